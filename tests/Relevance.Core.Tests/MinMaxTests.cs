using MathNet.Numerics.LinearAlgebra;
using Relevance.RelevanceModels;
using Relevance.Specification;

namespace Relevance.Tests;

/// <summary>The min-max relevance model of §IV-A: definition, propagation and training.</summary>
public class MinMaxTests
{
    // Synthetic data from a teacher model of the same form: targets a min-max model can reach exactly.
    private static List<MinMaxSample> TeacherData(MinMaxRelevanceModel teacher, int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ =>
        {
            var x = Vector<double>.Build.Dense(teacher.Inputs, _ => rng.NextDouble());
            var ctx = Vector<double>.Build.Dense(teacher.Context, _ => rng.NextDouble());
            return new MinMaxSample(x, ctx, teacher.Predict(x, ctx));
        })];
    }

    [Fact]
    public void Training_reduces_the_loss_on_synthetic_data()
    {
        var teacher = MinMaxRelevanceModel.Random(inputs: 12, context: 4, outputs: 3, neuronsPerOutput: 2, scale: 1, seed: 1);
        var data = TeacherData(teacher, 300, seed: 2);
        var student = MinMaxRelevanceModel.Random(12, 4, 3, 2, scale: 0.3, seed: 3);
        var fit = MinMaxTrainer.Train(student, data, new MinMaxTraining(LearningRate: 0.01, Epochs: 40, BatchSize: 10, Seed: 4));
        Assert.Equal(41, fit.Losses.Length);
        // A stated target, not a tuned one: SGD must remove at least 80 % of the initial squared error.
        Assert.True(fit.Losses[^1] < 0.2 * fit.Losses[0], $"loss {fit.Losses[0]:G3} → {fit.Losses[^1]:G3}");
        Assert.Equal(fit.Losses[^1], MinMaxTrainer.Loss(fit.Model, data), 12);
    }

    [Fact]
    public void The_float32_trainer_takes_the_reference_trainers_steps()
    {
        // Same data, same seed, same minibatches: after three epochs both parameter sets and loss curves agree to float32
        // accuracy. Each step sums ≤ 40 products of values ≤ ~3; 1e-4 relative (over ~30 steps of accumulated rounding at
        // ε = 6e-8 and learning rate 0.01) is ample and still fails for any difference in the gradient.
        var teacher = MinMaxRelevanceModel.Random(inputs: 30, context: 7, outputs: 4, neuronsPerOutput: 3, scale: 1, seed: 11);
        var data = TeacherData(teacher, 97, seed: 12);
        var student = MinMaxRelevanceModel.Random(30, 7, 4, 3, scale: 0.3, seed: 13);
        var settings = new MinMaxTraining(LearningRate: 0.01, Epochs: 3, BatchSize: 10, Seed: 14);
        var reference = MinMaxTrainer.Train(student, data, settings);
        var fast = MinMaxTrainerFloat.Train(student, data, settings);
        static void Close(Matrix<double> a, Matrix<double> b) =>
            Assert.True((a - b).Enumerate().Max(Math.Abs) <= 1e-4 * Math.Max(1, a.Enumerate().Max(Math.Abs)), $"largest difference {(a - b).Enumerate().Max(Math.Abs):E2}");
        Close(reference.Model.Detectors, fast.Model.Detectors);
        Close(reference.Model.ContextWeights, fast.Model.ContextWeights);
        Assert.True((reference.Model.Offsets - fast.Model.Offsets).AbsoluteMaximum() <= 1e-4);
        Assert.All(reference.Losses.Zip(fast.Losses), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4 * Math.Max(1, p.First), $"{p.First} vs {p.Second}"));
        Assert.True(reference.Losses[^1] < reference.Losses[0]);
    }

    [Fact]
    public void The_inhibitor_is_never_positive_and_the_model_output_is_the_sum_of_its_neurons()
    {
        var model = MinMaxRelevanceModel.Random(5, 3, 2, 3, scale: 1, seed: 5);
        var rng = new Random(6);
        for (var t = 0; t < 50; t++)
        {
            var x = Vector<double>.Build.Dense(5, _ => rng.NextDouble() * 2 - 1);
            var ctx = Vector<double>.Build.Dense(3, _ => rng.NextDouble() * 2 - 1);
            Assert.All(model.Inhibitors(ctx), a => Assert.True(a <= 0));
            var y = model.Activations(x, ctx);
            var r = model.Predict(x, ctx);
            Assert.Equal(y.SubVector(0, 3).Sum(), r[0], 12);
            Assert.Equal(y.SubVector(3, 3).Sum(), r[1], 12);
        }
    }

    [Fact]
    public void Propagation_through_the_model_is_conservative_and_positive_for_its_rules()
    {
        var model = MinMaxRelevanceModel.Random(6, 2, 2, 2, scale: 1, seed: 7);
        var rng = new Random(8);
        for (var t = 0; t < 100; t++)
        {
            var x = Tensor.From(Shape.Of(6), [.. Enumerable.Range(0, 6).Select(_ => rng.NextDouble())]);
            var ctx = Vector<double>.Build.Dense(2, _ => rng.NextDouble());
            var total = model.Predict(Vector<double>.Build.DenseOfEnumerable(x.Data), ctx).Sum();
            foreach (var rule in new Rule[] { Rules.WSquare, Rules.ZPlus, Rules.ZBox(0, 1) })
            {
                var r = model.Explain(rule, x, ctx);
                Assert.True(Math.Abs(r.Sum() - total) <= Tolerances.Conservation * Math.Max(1, total), $"{rule.Name}: {r.Sum()} vs {total}");
                Assert.All(r.Data, v => Assert.True(v >= 0));
            }
        }
    }

    [Fact]
    public void Bad_training_input_is_rejected()
    {
        var model = MinMaxRelevanceModel.Random(2, 1, 1, 1, 1, 0);
        Assert.Throws<ArgumentException>(() => MinMaxTrainer.Train(model, [], new MinMaxTraining()));
        var wrong = new MinMaxSample(Vector<double>.Build.Dense(3), Vector<double>.Build.Dense(1), Vector<double>.Build.Dense(1));
        Assert.Throws<ArgumentException>(() => MinMaxTrainer.Train(model, [wrong], new MinMaxTraining()));
        Assert.Throws<ArgumentException>(() => model.Explain(Rules.Epsilon(), Tensor.Zeros(Shape.Of(2)), Vector<double>.Build.Dense(1)));
    }
}
