using System.Text.Json;
using Relevance.IO;
using Relevance.Onnx;

namespace Relevance.IntegrationTests;

/// <summary>One to one with Zennit: its EpsilonGammaBox heatmap of a small ReLU CNN, computed by Zennit 0.5.1 in float64
/// (scripts/zennit-fixture.py), against this project's preset under Zennit's bias conventions.</summary>
public class ZennitComparisonTests
{
    private static string Fixture(string name) => RepositoryData.Path("..", "tests", "Relevance.IntegrationTests", "Fixtures", "zennit", name);

    // Zennit's EpsilonGammaBox as it treats this network: z^B on the first convolution, γ 0.25 on the other, ε on the dense
    // layers, and the gradient (winner-take-all) through max-pooling.
    private static Explanation Explain(BiasTreatment bias, bool oracle = false)
    {
        var model = OnnxImporter.Load(Fixture("model.onnx"));
        var x = Npy.Read(Fixture("input.npy")).Data.ToArray();
        using var explainer = Explainer.Create(model, new ExplainerSettings
        {
            Composite = Composite.EpsilonGammaBox(Rules.ZBox(0, 1)),
            Options = new ExplainOptions(PoolingRedistribution.WinnerTakeAll, bias),
        });
        return oracle ? explainer.Oracle().Explain(Tensor.FromSingles(explainer.Network.InputShape, x)) : explainer.Explain(x);
    }

    // max |a − b| / max |b|.
    private static double RelativeError(IReadOnlyList<double> a, IReadOnlyList<float> b) =>
        a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) / b.Max(v => Math.Abs((double)v));

    [Fact]
    public void The_Zennit_convention_reproduces_Zennits_EpsilonGammaBox_heatmap()
    {
        var fixture = JsonDocument.Parse(File.ReadAllText(Fixture("fixture.json"))).RootElement;
        var expected = Npy.Read(Fixture("expected.npy")).Data;
        var engine = Explain(BiasTreatment.Zennit);
        var oracle = Explain(BiasTreatment.Zennit, oracle: true);
        Assert.Equal(fixture.GetProperty("target").GetInt32(), engine.Target);
        Assert.Equal(fixture.GetProperty("f").GetDouble(), engine.Output, 1e-5);

        // The engine in float32 against Zennit in float64: 1e-4 of the largest relevance (EngineParityTests' bound). The
        // double-precision oracle differs from Zennit only by the 1e-6 Zennit adds to z^B's denominators, which are here
        // of order 1: within 1e-5 (the fixture stores Zennit's values rounded to float32 by Npy.Read, 6e-8 relative).
        Assert.True(RelativeError([.. engine.Heatmap.Data], expected) <= 1e-4, $"engine: {RelativeError([.. engine.Heatmap.Data], expected):G3}");
        Assert.True(RelativeError([.. oracle.Heatmap.Data], expected) <= 1e-5, $"oracle: {RelativeError([.. oracle.Heatmap.Data], expected):G3}");
        Assert.Equal(fixture.GetProperty("relevance_sum").GetDouble(), engine.Consistency.HeatmapSum, 1e-4 * Math.Abs(fixture.GetProperty("relevance_sum").GetDouble()));
    }

    [Fact]
    public void The_bias_convention_is_what_separates_the_default_from_Zennit()
    {
        // The fixture's biases are large enough that the project's own convention (z^B takes max(0, b), γ leaves b out) gives
        // another heatmap, and the Zennit convention reports what the biases took, so relevance is accounted for.
        var expected = Npy.Read(Fixture("expected.npy")).Data;
        var own = Explain(BiasTreatment.Neuron);
        Assert.True(RelativeError([.. own.Heatmap.Data], expected) > 1e-2);
        var zennit = Explain(BiasTreatment.Zennit);
        var layers = zennit.Consistency.Layers;
        Assert.Contains(layers, l => l.BiasRelevance != 0);
    }
}
