using System.Collections.Immutable;
using Relevance.Baselines;
using Relevance.Engine;
using Relevance.Reference;
using Relevance.Specification;
using Relevance.Tests.Engine;

namespace Relevance.Tests;

/// <summary>Layer normalisation over the last axis: its function and gradient, the engine against the reference, and relevance
/// through its linearisation (the scale held constant), conservative up to what β takes and ε absorbs.</summary>
public class LayerNormTests
{
    private static LayerNorm Layer(Random rng, int d) => new(
        [.. Enumerable.Range(0, d).Select(_ => 0.5 + rng.NextDouble())], [.. Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5)], 1e-5);

    // Conv → ReLU → LayerNorm over each row's 6 values → Flatten → Dense(3).
    private static DeepCase Case(int seed)
    {
        var rng = new Random(seed);
        var conv = new Conv2d(2, 3, 3, 3, TwoConvolutions.Random(rng, 3 * 2 * 9, 0.5), TwoConvolutions.Random(rng, 3, 0.2), 1, 1);
        var dense = new Dense(3 * 4 * 6, 3, TwoConvolutions.Random(rng, 72 * 3, 0.3), TwoConvolutions.Random(rng, 3, 0.1));
        var network = new Network(Shape.Of(2, 4, 6), [
            new Node("conv", conv, [Network.InputName]), new Node("relu", new ReLU(), ["conv"]),
            new Node("norm", Layer(rng, 6), ["relu"]), new Node("flat", new Flatten(), ["norm"]), new Node("dense", dense, ["flat"])]);
        return TwoConvolutions.Uniform(network, rng);
    }

    [Fact]
    public void It_normalises_each_run_of_the_last_axis()
    {
        var norm = new LayerNorm([2.0, 1.0], [0.5, -0.5], epsilon: 0);
        var y = Forward.Output(Network.Sequential(Shape.Of(2, 2), norm), Tensor.From(Shape.Of(2, 2), [1.0, 3.0, 5.0, 5.0 + 1e-3]));
        // (1, 3): mean 2, s 1 → (−1, 1) · γ + β = (−1.5, 0.5); (5, 5.001): the same, to rounding.
        Assert.Equal([-1.5, 0.5], y.Data.Take(2));
        Assert.Equal(-1.5, y[2], 9);
        Assert.Equal(0.5, y[3], 9);
        Assert.Throws<ShapeMismatchException>(() => Network.Sequential(Shape.Of(2, 3), norm));
    }

    // Central differences with h = 1e-5 (truncation ~h²·|f'''|, rounding ~u/h, both ≪ 1e-6 here).
    [Fact]
    public void The_gradient_is_the_slope_of_the_function()
    {
        var rng = new Random(3);
        var network = Network.Sequential(Shape.Of(3, 5), Layer(rng, 5));
        var x = Enumerable.Range(0, 15).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        const double h = 1e-5;
        foreach (var k in new[] { 0, 7, 14 })
        {
            var gradient = Gradient.Of(network, Tensor.From(network.InputShape, x), k);
            for (var i = 0; i < x.Length; i++)
            {
                double F(double d) => Forward.Output(network, Tensor.From(network.InputShape, [.. x.Select((v, j) => j == i ? v + d : v)]))[k];
                var slope = (F(h) - F(-h)) / (2 * h);
                Assert.True(Math.Abs(slope - gradient[i]) <= 1e-6, $"∂y_{k}/∂x_{i}: slope {slope}, gradient {gradient[i]}");
            }
        }
    }

    [Theory]
    [InlineData("ε")]
    [InlineData("z everywhere")]
    public void The_engine_explains_as_the_reference_does(string composite)
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var c = Case(seed);
            var rules = composite == "ε" ? Composite.Uniform(Rules.Epsilon()) : TwoConvolutions.Named(composite, c);
            var (ok, why) = EngineParityTests.Agree(c, rules, ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
        }
        TwoConvolutions.AssertGradientsMatch(Case(9), 1e-5);
    }

    // What comes in leaves as relevance below, β's share, or what ε absorbed: at ε = 1e-6 that is at most ~1e-6 of the
    // relevance per output over outputs of size ~1, so 1e-4 of max(1, |f|) is ample and still catches a lost term.
    [Fact]
    public void Relevance_through_it_is_conserved_up_to_its_bias_share()
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var c = Case(seed);
            var composite = Composite.Uniform(Rules.Epsilon());
            var input = c.Input.Data.Select(v => (float)v).ToArray();
            foreach (var report in new[] { Propagation.Explain(c.Network, c.Input, composite).Consistency, EngineNetwork.Compile(c.Network, composite).Explain(input).Consistency })
            {
                var norm = report.Layers.Single(l => l.Node == "norm");
                Assert.Equal(LayerNorm.RedistributionName, norm.Redistribution);
                Assert.True(norm.BiasRelevance != 0, "β takes a share");
                Assert.True(Math.Abs(norm.AbsoluteError) <= 1e-4 * ConsistencyReport.Scale(report.Output), $"seed {seed}: {norm}");
            }
        }
    }
}
