using Relevance.Baselines;
using Relevance.Engine;
using Relevance.Reference;
using Relevance.Specification;
using Relevance.Tests.Engine;

namespace Relevance.Tests;

/// <summary>Softmax over the last axis inside a network: its gradient, the engine against the reference, and AttnLRP's
/// relevance R_j = x_j (R_j − s_j Σ R), whose bias term is reported, not hidden.</summary>
public class SoftmaxTests
{
    // Conv → Softmax over each row's 6 values → Flatten → Dense(3).
    private static DeepCase Case(int seed)
    {
        var rng = new Random(seed);
        var conv = new Conv2d(2, 3, 3, 3, TwoConvolutions.Random(rng, 3 * 2 * 9, 0.8), TwoConvolutions.Random(rng, 3, 0.2), 1, 1);
        var dense = new Dense(72, 3, TwoConvolutions.Random(rng, 72 * 3, 0.5), TwoConvolutions.Random(rng, 3, 0.1));
        var network = new Network(Shape.Of(2, 4, 6), [
            new Node("conv", conv, [Network.InputName]), new Node("attend", new Softmax(), ["conv"]),
            new Node("flat", new Flatten(), ["attend"]), new Node("dense", dense, ["flat"])]);
        return TwoConvolutions.Uniform(network, rng);
    }

    [Fact]
    public void The_gradient_is_the_slope_of_the_function()
    {
        var rng = new Random(5);
        var network = Network.Sequential(Shape.Of(2, 4), new Softmax());
        var x = Enumerable.Range(0, 8).Select(_ => rng.NextDouble() * 6 - 3).ToArray();
        const double h = 1e-5;
        foreach (var k in new[] { 0, 5 })
        {
            var gradient = Gradient.Of(network, Tensor.From(network.InputShape, x), k);
            for (var i = 0; i < x.Length; i++)
            {
                double F(double d) => Forward.Output(network, Tensor.From(network.InputShape, [.. x.Select((v, j) => j == i ? v + d : v)]))[k];
                Assert.True(Math.Abs((F(h) - F(-h)) / (2 * h) - gradient[i]) <= 1e-8, $"∂s_{k}/∂x_{i}");
            }
        }
        var s = Forward.Output(network, Tensor.From(network.InputShape, x));
        Assert.Equal(1.0, s.Data.Take(4).Sum(), 12);
        Assert.Equal(1.0, s.Data.Skip(4).Sum(), 12);
    }

    [Fact]
    public void The_engine_explains_as_the_reference_does()
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var c = Case(seed);
            var (ok, why) = EngineParityTests.Agree(c, Composite.Uniform(Rules.Epsilon()), ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
        }
        TwoConvolutions.AssertGradientsMatch(Case(9), 1e-5);
    }

    // The layer's relevance is the formula's, and what it does not pass down is its bias relevance (so its own conservation
    // error is zero by construction, and the bias share shows what the expansion kept).
    [Fact]
    public void Relevance_is_attnlrps_and_its_bias_term_is_reported()
    {
        var c = Case(2);
        var e = Propagation.Explain(c.Network, c.Input, Composite.Uniform(Rules.Epsilon()));
        var x = Forward.Output(new Network(c.Network.InputShape, [c.Network.Nodes[0]]), c.Input).Data;
        var s = RowSoftmax(x);
        var upper = e.RelevanceOf("attend").Data;
        var lower = e.RelevanceOf("conv").Data;
        for (var at = 0; at < x.Length; at += 6)
        {
            var total = upper.Skip(at).Take(6).Sum();
            for (var j = at; j < at + 6; j++) Assert.Equal(x[j] * (upper[j] - s[j] * total), lower[j], 12);
        }
        var layer = e.Consistency.Layers.Single(l => l.Node == "attend");
        Assert.Equal((Softmax.RedistributionName, layer.RelevanceIn - layer.RelevanceOut), (layer.Redistribution, layer.BiasRelevance));
        Assert.True(Math.Abs(layer.BiasRelevance) > 1e-6, "the expansion keeps a share");
    }

    private static double[] RowSoftmax(IReadOnlyList<double> x) => [.. Enumerable.Range(0, x.Count / 6).SelectMany(r =>
    {
        var run = x.Skip(6 * r).Take(6).ToArray();
        var e = run.Select(v => Math.Exp(v - run.Max())).ToArray();
        return e.Select(v => v / e.Sum());
    })];
}
