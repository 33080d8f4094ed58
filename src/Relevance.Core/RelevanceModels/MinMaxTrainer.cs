using System.Collections.Immutable;
using MathNet.Numerics.LinearAlgebra;

namespace Relevance.RelevanceModels;

/// <summary>One training example of a min-max model: the layer's input, the top-down context, and the true relevances R_k.</summary>
public sealed record MinMaxSample(Vector<double> Input, Vector<double> Context, Vector<double> Target);

/// <summary>SGD settings for the min-max trainer.</summary>
/// <param name="LearningRate">The step size.</param>
/// <param name="Epochs">Passes over the data.</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="Seed">The seed of the shuffling.</param>
public sealed record MinMaxTraining(double LearningRate = 1e-3, int Epochs = 50, int BatchSize = 20, int Seed = 0);

/// <summary>The trained model and the mean loss ⟨Σ_k (R̂_k − R_k)²⟩ before training and after each epoch.</summary>
public sealed record MinMaxFit(MinMaxRelevanceModel Model, ImmutableArray<double> Losses);

/// <summary>Fits a min-max relevance model by SGD on ⟨(R̂_k − R_k)²⟩.</summary>
public static class MinMaxTrainer
{
    /// <summary>Trains the model on the samples; reports the loss before training and after each epoch.</summary>
    public static MinMaxFit Train(MinMaxRelevanceModel model, IReadOnlyList<MinMaxSample> samples, MinMaxTraining training, IProgress<int>? progress = null)
    {
        if (samples.Count == 0) throw new ArgumentException("The min-max trainer needs at least one sample.", nameof(samples));
        if (!(training.LearningRate > 0) || training.Epochs < 0 || training.BatchSize <= 0)
            throw new ArgumentException("The learning rate and batch size must be positive and the epochs non-negative.", nameof(training));
        foreach (var s in samples)
            if (s.Input.Count != model.Inputs || s.Context.Count != model.Context || s.Target.Count != model.Outputs)
                throw new ArgumentException($"A sample does not fit the model (inputs {model.Inputs}, context {model.Context}, outputs {model.Outputs}).", nameof(samples));

        var (v, c, d) = (model.Detectors.Clone(), model.ContextWeights.Clone(), model.Offsets.Clone());
        var losses = ImmutableArray.CreateBuilder<double>();
        losses.Add(Loss(model, samples));
        var rng = new Random(training.Seed);
        var order = Enumerable.Range(0, samples.Count).ToArray();
        for (var epoch = 0; epoch < training.Epochs; epoch++)
        {
            rng.Shuffle(order);
            for (var start = 0; start < order.Length; start += training.BatchSize)
            {
                var batch = order.Skip(start).Take(training.BatchSize).Select(i => samples[i]).ToList();
                Step(model with { Detectors = v, ContextWeights = c, Offsets = d }, batch, training.LearningRate, v, c, d);
            }
            losses.Add(Loss(model with { Detectors = v, ContextWeights = c, Offsets = d }, samples));
            progress?.Report(epoch + 1);
        }
        return new MinMaxFit(model with { Detectors = v, ContextWeights = c, Offsets = d }, losses.ToImmutable());
    }

    /// <summary>⟨Σ_k (R̂_k − R_k)²⟩ over the samples.</summary>
    public static double Loss(MinMaxRelevanceModel model, IReadOnlyList<MinMaxSample> samples) =>
        samples.Average(s =>
        {
            var error = model.Predict(s.Input, s.Context) - s.Target;
            return error.DotProduct(error);
        });

    // One SGD step on a minibatch, in matrix form: rows are examples. The gradient of Σ_k (R̂_k − R_k)² reaches z_j where
    // z_j > 0 (2 (R̂_k(j) − R_k(j))), and the inhibitor's parameters where its pre-activation is negative.
    private static void Step(MinMaxRelevanceModel model, List<MinMaxSample> batch, double rate, Matrix<double> v, Matrix<double> c, Vector<double> d)
    {
        var x = Matrix<double>.Build.DenseOfRowVectors(batch.Select(s => s.Input));
        var context = Matrix<double>.Build.DenseOfRowVectors(batch.Select(s => s.Context));
        var pre = context * c;
        for (var b = 0; b < pre.RowCount; b++) pre.SetRow(b, pre.Row(b) + d);
        var z = x * v + pre.Map(t => Math.Min(0, t));
        var dz = Matrix<double>.Build.Dense(z.RowCount, z.ColumnCount);
        for (var b = 0; b < batch.Count; b++)
        {
            var predicted = model.Pool(z.Row(b).Map(t => Math.Max(0, t)));
            var error = predicted - batch[b].Target;
            for (var j = 0; j < z.ColumnCount; j++)
                if (z[b, j] > 0) dz[b, j] = 2 * error[j / model.NeuronsPerOutput];
        }
        var dpre = dz.PointwiseMultiply(pre.Map(t => t < 0 ? 1.0 : 0.0));
        var scale = rate / batch.Count;
        v.Subtract(x.TransposeThisAndMultiply(dz) * scale, v);
        c.Subtract(context.TransposeThisAndMultiply(dpre) * scale, c);
        d.Subtract(dpre.ColumnSums() * scale, d);
    }
}
