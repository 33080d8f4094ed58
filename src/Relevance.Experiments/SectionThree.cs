using System.Collections.Immutable;
using Relevance.Baselines;
using Relevance.Reference;

namespace Relevance.Experiments;

/// <summary>One method's scores over the explained test points, beside the paper's.</summary>
/// <param name="Method">The method.</param>
/// <param name="ConservationError">⟨|R_f − Σ_p R_p|⟩ with R_f = f(x).</param>
/// <param name="NegativeMass">⟨Σ_p min(0, R_p)⟩.</param>
/// <param name="PaperConservationError">The paper's value (Figure 6), when it reports one.</param>
/// <param name="PaperNegativeMass">The paper's value, when it reports one.</param>
public sealed record MethodScore(string Method, double ConservationError, double NegativeMass, double? PaperConservationError, double? PaperNegativeMass)
{
    /// <summary>A method's scores over explained examples, with the paper's values when it has them.</summary>
    public static MethodScore Measure(string method, IReadOnlyCollection<ExplainedExample> examples, IReadOnlyDictionary<string, (double Error, double Negative)> paper)
    {
        var known = paper.TryGetValue(method, out var p);
        return new MethodScore(method, examples.Average(x => Math.Abs(x.Output - x.Heatmaps[method].Sum())),
            examples.Average(x => Relevances.NegativeMass<double>(x.Heatmaps[method].Data.AsSpan())), known ? p.Error : null, known ? p.Negative : null);
    }
}

/// <summary>One explained test image with each method's heatmap.</summary>
public sealed record ExplainedExample(TwoDigitData.Example Example, double Output, ImmutableDictionary<string, Tensor> Heatmaps);

/// <summary>What the section III-C experiment produced.</summary>
/// <param name="Detector">The trained network.</param>
/// <param name="TestAccuracy">The share of test images classified right (f &gt; 50 ⇔ a digit to detect is present).</param>
/// <param name="Losses">The training loss over the run.</param>
/// <param name="Scores">The table: one row per method.</param>
/// <param name="Examples">The explained test images.</param>
public sealed record SectionThreeResult(OneLayerDetector Detector, double TestAccuracy, ImmutableArray<double> Losses,
    ImmutableArray<MethodScore> Scores, ImmutableArray<ExplainedExample> Examples);

/// <summary>Section III-C: the one-layer network on the two-digit task, explained by sensitivity, nearest-root Taylor, and deep Taylor w² and z^B.</summary>
public static class SectionThree
{
    /// <summary>The methods in the order of the paper's figures.</summary>
    public static readonly ImmutableArray<string> Methods = ["sensitivity", "nearest-root Taylor", "deep Taylor w²", "deep Taylor z^B"];

    private static readonly ImmutableDictionary<string, (double Error, double Negative)> Paper = new Dictionary<string, (double, double)>
    {
        ["nearest-root Taylor"] = (24.5, -0.0),
        ["deep Taylor w²"] = (0.0, 0.0),
        ["deep Taylor z^B"] = (0.0, 0.0),
    }.ToImmutableDictionary();

    /// <summary>Trains on translated training pairs, measures test accuracy, and explains <paramref name="explained"/> test pairs with every method.</summary>
    public static SectionThreeResult Run(Digits train, Digits test, ClassSplit split, Training training, int trainingPairs, int testPairs, int explained,
        IProgress<string>? progress = null)
    {
        var data = TwoDigitData.Draw(train, split, trainingPairs, training.Seed, shift: 2);
        var (detector, losses) = OneLayerTrainer.Train(data, training, new Progress<int>(step => progress?.Report($"training {step}/{training.Iterations}")));
        var testData = TwoDigitData.Draw(test, split, testPairs, training.Seed + 1);
        var accuracy = testData.Count(e => detector.Output(e.Pixels) > 50 == e.Target > 50) / (double)testData.Count;

        var network = detector.ToNetwork();
        var rootOptions = new NearestRootOptions(Low: Bounds.Scalar(TwoDigitData.Low), High: Bounds.Scalar(TwoDigitData.High));
        var examples = ImmutableArray.CreateBuilder<ExplainedExample>();
        foreach (var (e, n) in testData.Take(explained).Select((e, n) => (e, n)))
        {
            progress?.Report($"explaining {n + 1}/{Math.Min(explained, testData.Count)}");
            var x = Tensor.From(Shape.Of(TwoDigitData.Size), [.. e.Pixels.Select(v => (double)v)]);
            var f = Forward.Output(network, x)[0];
            var maps = new Dictionary<string, Tensor>
            {
                ["sensitivity"] = Sensitivity.Explain(network, x, 0),
                ["nearest-root Taylor"] = NearestRootTaylor.Explain(network, x, 0, rootOptions).Heatmap,
                ["deep Taylor w²"] = Propagation.Explain(network, x, Composite.Uniform(Rules.WSquare)).Heatmap,
                ["deep Taylor z^B"] = Propagation.Explain(network, x, Composite.Uniform(Rules.ZBox(TwoDigitData.Low, TwoDigitData.High))).Heatmap,
            };
            examples.Add(new ExplainedExample(e, f, maps.ToImmutableDictionary()));
        }
        var scores = Methods.Where(m => m != "sensitivity").Select(m => MethodScore.Measure(m, examples, Paper));
        return new SectionThreeResult(detector, accuracy, losses, [.. scores], examples.ToImmutable());
    }
}
