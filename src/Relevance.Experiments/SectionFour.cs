using System.Collections.Immutable;
using MathNet.Numerics.LinearAlgebra;
using Relevance.Baselines;
using Relevance.Reference;
using Relevance.RelevanceModels;

namespace Relevance.Experiments;

/// <summary>What the section IV-C experiment produced.</summary>
/// <param name="Detector">The trained two-layer network.</param>
/// <param name="TestAccuracy">The share of test pairs classified right.</param>
/// <param name="Losses">The detector's training loss over the run.</param>
/// <param name="MinMaxLosses">The min-max model's ⟨Σ_k (R̂_k − R_k)²⟩ before training and after each epoch.</param>
/// <param name="MinMaxTestError">⟨|Σ_k R̂_k − Σ_k R_k|⟩ on the explained test pairs: the fitting error that the min-max explanation does not conserve.</param>
/// <param name="Scores">The table: one row per method.</param>
/// <param name="Examples">The explained test pairs.</param>
public sealed record SectionFourResult(TwoLayerDetector Detector, double TestAccuracy, ImmutableArray<double> Losses, ImmutableArray<double> MinMaxLosses,
    double MinMaxTestError, ImmutableArray<MethodScore> Scores, ImmutableArray<ExplainedExample> Examples);

/// <summary>Section IV-C: the two-layer network, a min-max relevance model for its first layer, and four explanations.</summary>
public static class SectionFour
{
    /// <summary>The methods in the order of the paper's figures.</summary>
    public static readonly ImmutableArray<string> Methods = ["sensitivity", "nearest-root Taylor", "deep Taylor (min-max)", "deep Taylor (training-free)"];

    private static readonly ImmutableDictionary<string, (double Error, double Negative)> Paper = new Dictionary<string, (double, double)>
    {
        ["nearest-root Taylor"] = (14.7, -0.2),
        ["deep Taylor (min-max)"] = (6.0, 0.0),
        ["deep Taylor (training-free)"] = (0.0, 0.0),
    }.ToImmutableDictionary();

    /// <summary>The true relevance of the pooled units with z⁺ in the top layer: R_k = Σ_l p_k w_lk⁺ / Σ_k' p_k' w_lk'⁺ · h2_l (biases are ≤ 0, so none take relevance).</summary>
    public static double[] PooledRelevance(TwoLayerDetector d, float[] pooled, float[] upper)
    {
        var r = new double[d.Pooled];
        for (var l = 0; l < d.Hidden2; l++)
        {
            if (upper[l] == 0) continue;
            var total = 0.0;
            for (var k = 0; k < d.Pooled; k++) total += pooled[k] * Math.Max(0, d.W2[l * d.Pooled + k]);
            if (total == 0) continue;
            for (var k = 0; k < d.Pooled; k++) r[k] += pooled[k] * Math.Max(0, d.W2[l * d.Pooled + k]) / total * upper[l];
        }
        return r;
    }

    /// <summary>Trains the detector, fits the min-max model on <paramref name="minMaxSamples"/> training pairs, and explains test pairs with every method.</summary>
    public static SectionFourResult Run(Digits train, Digits test, ClassSplit split, Training training, int trainingPairs, int testPairs, int explained,
        int minMaxSamples, MinMaxTraining minMax, IProgress<string>? progress = null)
    {
        var data = TwoDigitData.Draw(train, split, trainingPairs, training.Seed, shift: 2);
        var (detector, losses) = TwoLayerTrainer.Train(data, training, new Progress<int>(step => progress?.Report($"training {step}/{training.Iterations}")));
        var testData = TwoDigitData.Draw(test, split, testPairs, training.Seed + 1);
        var accuracy = testData.Count(e => detector.Activations(e.Pixels).Output > 50 == e.Target > 50) / (double)testData.Count;

        MinMaxSample Sample(TwoDigitData.Example e)
        {
            var (p, h, _) = detector.Activations(e.Pixels);
            return new MinMaxSample(Vector<double>.Build.DenseOfEnumerable(e.Pixels.Select(v => (double)v)),
                Vector<double>.Build.DenseOfEnumerable(h.Select(v => (double)v)), Vector<double>.Build.DenseOfArray(PooledRelevance(detector, p, h)));
        }
        progress?.Report("fitting the min-max model");
        var samples = data.Take(minMaxSamples).Select(Sample).ToList();
        var model = MinMaxRelevanceModel.Random(detector.Inputs, detector.Hidden2, detector.Pooled, TwoLayerDetector.Group, scale: 0.01, seed: training.Seed);
        var fit = MinMaxTrainerFloat.Train(model, samples, minMax, new Progress<int>(epoch => progress?.Report($"min-max epoch {epoch}/{minMax.Epochs}")));

        var network = detector.ToNetwork();
        var box = Rules.ZBox(TwoDigitData.Low, TwoDigitData.High);
        var rootOptions = new NearestRootOptions(Low: Bounds.Scalar(TwoDigitData.Low), High: Bounds.Scalar(TwoDigitData.High));
        var examples = ImmutableArray.CreateBuilder<ExplainedExample>();
        var fitErrors = new List<double>();
        foreach (var (e, n) in testData.Take(explained).Select((e, n) => (e, n)))
        {
            progress?.Report($"explaining {n + 1}/{Math.Min(explained, testData.Count)}");
            var x = Tensor.From(Shape.Of(TwoDigitData.Size), [.. e.Pixels.Select(v => (double)v)]);
            var f = Forward.Output(network, x)[0];
            var s = Sample(e);
            fitErrors.Add(Math.Abs(fit.Model.Predict(s.Input, s.Context).Sum() - s.Target.Sum()));
            var maps = new Dictionary<string, Tensor>
            {
                ["sensitivity"] = Sensitivity.Explain(network, x, 0),
                ["nearest-root Taylor"] = NearestRootTaylor.Explain(network, x, 0, rootOptions).Heatmap,
                ["deep Taylor (min-max)"] = fit.Model.Explain(box, x, s.Context),
                ["deep Taylor (training-free)"] = Propagation.Explain(network, x, Composite.TrainingFreeDtd(box)).Heatmap,
            };
            examples.Add(new ExplainedExample(e, f, maps.ToImmutableDictionary()));
        }
        var scores = Methods.Where(m => m != "sensitivity").Select(m => MethodScore.Measure(m, examples, Paper));
        return new SectionFourResult(detector, accuracy, losses, fit.Losses, fitErrors.DefaultIfEmpty(0).Average(), [.. scores], examples.ToImmutable());
    }
}
