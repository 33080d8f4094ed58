using Relevance.Baselines;
using Relevance.Engine;
using Relevance.Reference;
using Relevance.Specification;
using Relevance.Tests.Engine;

namespace Relevance.Tests;

/// <summary>A product of two computed tensors (attention's Q·Kᵀ and A·V): its gradient, the engine against the reference,
/// and AttnLRP's relevance, half to each factor, conserved up to what ε absorbs.</summary>
public class MatMulTests
{
    // A single-head attention block on a 2×4×4 input: q, k, v are 1-channel convolutions ([1, 4, 4] each, T = K = N = 4);
    // scores = q · vᵀ-free product q · k (k read as [K × N]), weights = Softmax(scores), out = weights · v → Flatten → Dense(3).
    private static DeepCase Case(int seed, int attentionInput = -1)
    {
        var rng = new Random(seed);
        Conv2d Conv() => new(2, 1, 3, 3, TwoConvolutions.Random(rng, 18, 0.6), TwoConvolutions.Random(rng, 1, 0.2), 1, 1);
        var dense = new Dense(16, 3, TwoConvolutions.Random(rng, 48, 0.5), TwoConvolutions.Random(rng, 3, 0.1));
        var network = new Network(Shape.Of(2, 4, 4), [
            new Node("q", Conv(), [Network.InputName]), new Node("k", Conv(), [Network.InputName]), new Node("v", Conv(), [Network.InputName]),
            new Node("scores", new MatMul(), ["q", "k"]), new Node("weights", new Softmax(), ["scores"]),
            new Node("attend", new MatMul(attentionInput), ["weights", "v"]), new Node("flat", new Flatten(), ["attend"]), new Node("dense", dense, ["flat"])]);
        return TwoConvolutions.Uniform(network, rng);
    }

    [Fact]
    public void The_gradient_is_the_slope_of_the_function()
    {
        var c = Case(4);
        var x = c.Input.Data.ToArray();
        const double h = 1e-5;
        foreach (var k in new[] { 0, 2 })
        {
            var gradient = Gradient.Of(c.Network, c.Input, k);
            for (var i = 0; i < x.Length; i++)
            {
                double F(double d) => Forward.Output(c.Network, Tensor.From(c.Network.InputShape, [.. x.Select((v, j) => j == i ? v + d : v)]))[k];
                Assert.True(Math.Abs((F(h) - F(-h)) / (2 * h) - gradient[i]) <= 1e-7, $"∂f_{k}/∂x_{i}");
            }
        }
        TwoConvolutions.AssertGradientsMatch(c, 1e-5);
    }

    [Fact]
    public void The_engine_explains_as_the_reference_does_and_each_product_conserves()
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var c = Case(seed);
            var composite = Composite.Uniform(Rules.Epsilon());
            var (ok, why) = EngineParityTests.Agree(c, composite, ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
            var report = Propagation.Explain(c.Network, c.Input, composite).Consistency;
            foreach (var product in report.Layers.Where(l => l.Layer == "MatMul"))
            {
                Assert.Equal(MatMul.RedistributionName, product.Redistribution);
                // ε = 1e-6 against outputs of order 0.1–1: what it absorbs is ~1e-5 of the relevance at most.
                Assert.True(Math.Abs(product.AbsoluteError) <= 1e-4 * ConsistencyReport.Scale(report.Output), $"seed {seed}: {product}");
            }
        }
    }

    [Fact]
    public void With_attention_held_constant_the_values_take_all_of_it_and_the_softmax_none()
    {
        var composite = Composite.Uniform(Rules.Epsilon());
        var cp = ExplainOptions.Default with { Attention = AttentionRedistribution.ValuesOnly };
        for (var seed = 1; seed <= 4; seed++)
        {
            var c = Case(seed, attentionInput: 0);
            var (ok, why) = EngineParityTests.Agree(c, composite, cp);
            Assert.True(ok, $"seed {seed}: {why}");
            var e = Propagation.Explain(c.Network, c.Input, composite, cp);
            Assert.All(e.RelevanceOf("weights").Data, r => Assert.Equal(0, r));
            Assert.All(e.RelevanceOf("scores").Data, r => Assert.Equal(0, r));
            var attend = e.Consistency.Layers.Single(l => l.Node == "attend");
            Assert.Equal(MatMul.ValuesOnlyName, attend.Redistribution);
            // A row-stochastic A held constant makes A·V a linear map without bias: conserved up to what ε absorbs, as above.
            Assert.True(Math.Abs(attend.AbsoluteError) <= 1e-4 * ConsistencyReport.Scale(e.Consistency.Output), $"seed {seed}: {attend}");
            Assert.True(Math.Abs(e.RelevanceOf("v").Data.Sum() - e.RelevanceOf("attend").Data.Sum()) <= 1e-4 * ConsistencyReport.Scale(e.Consistency.Output));
            // Under AttnLRP (the default) the same network sends relevance through the Softmax: the option is what differs.
            var uniform = Propagation.Explain(c.Network, c.Input, composite);
            Assert.Contains(uniform.RelevanceOf("weights").Data, r => r != 0);
        }
    }

    [Fact]
    public void Factors_of_other_shapes_are_refused()
    {
        Assert.Throws<ShapeMismatchException>(() => new Network(Shape.Of(1, 4, 3), [
            new Node("a", new ReLU(), [Network.InputName]), new Node("b", new ReLU(), [Network.InputName]), new Node("p", new MatMul(), ["a", "b"])]));
    }
}
