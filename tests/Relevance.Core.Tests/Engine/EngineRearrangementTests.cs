using Relevance.Baselines;
using Relevance.Engine;
using Relevance.Reference;

namespace Relevance.Tests.Engine;

/// <summary>Slices, transposes and squeeze-and-excitation gating: the engine moves relevance and gradient back as the
/// reference does, the gate's branch receives no relevance, and every one of these layers conserves.</summary>
public class EngineRearrangementTests
{
    // conv → ReLU → two channel slices, one transposed (H and W swapped) → Concat → gated by σ(Dense(GAP(·))) → Dense(3).
    private static (Network Network, Random Rng) Build(int seed)
    {
        var rng = new Random(seed);
        var conv = new Conv2d(4, 6, 3, 3, TwoConvolutions.Random(rng, 6 * 4 * 9, 0.4), TwoConvolutions.Random(rng, 6, 0.1), 1, 1);
        var se = new Dense(6, 6, TwoConvolutions.Random(rng, 36, 0.8), TwoConvolutions.Random(rng, 6, 0.2));
        var dense = new Dense(6 * 25, 3, TwoConvolutions.Random(rng, 150 * 3, 0.2), TwoConvolutions.Random(rng, 3, 0.1));
        var network = new Network(Shape.Of(4, 5, 5), [
            new Node("conv", conv, [Network.InputName]), new Node("v", new ReLU(), ["conv"]),
            new Node("a", new Slice(0, 0, 3), ["v"]), new Node("b", new Slice(0, 3, 3), ["v"]),
            new Node("bt", new Transpose([0, 2, 1]), ["b"]), new Node("cat", new Concat(), ["a", "bt"]),
            new Node("p", new GlobalAvgPool(), ["cat"]), new Node("se", se, ["p"]), new Node("g", new Sigmoid(), ["se"]),
            new Node("y", new Gating(), ["cat", "g"]), new Node("flat", new Flatten(), ["y"]), new Node("dense", dense, ["flat"])]);
        return (network, rng);
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    [InlineData("z everywhere")]
    [InlineData("α2β1 everywhere")]
    public void Slices_transposes_and_gating_match_the_reference_and_conserve(string name)
    {
        foreach (var seed in new[] { 1, 2 })
        {
            var (network, rng) = Build(seed);
            var c = TwoConvolutions.Uniform(network, rng);
            var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(name, c), ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
            var layers = Propagation.Explain(network, c.Input, TwoConvolutions.Named(name, c)).Consistency.Layers;
            // Moving values loses nothing and the gate is held constant: each of these layers passes down exactly what it
            // received, up to the rounding of two double sums.
            foreach (var l in layers.Where(l => l.Node is "a" or "b" or "bt" or "cat" or "y"))
                Assert.True(Math.Abs(l.RelevanceIn - l.RelevanceOut) <= 1e-12 * Math.Max(1, Math.Abs(l.RelevanceIn)), $"{l.Node}: {l.RelevanceIn} vs {l.RelevanceOut}");
            Assert.Equal(0, layers.Single(l => l.Node == "se").RelevanceIn);
        }
    }

    // The uniform split: the value and the gate's branch each take half of the gated relevance, the engine as the
    // reference, and the layer still conserves.
    [Theory]
    [InlineData("z^B first")]
    [InlineData("α2β1 everywhere")]
    public void The_uniform_gate_split_sends_half_to_the_gate_s_branch_and_conserves(string name)
    {
        var options = new ExplainOptions(Gating: GateRedistribution.Uniform);
        foreach (var seed in new[] { 4, 5 })
        {
            var (network, rng) = Build(seed);
            var c = TwoConvolutions.Uniform(network, rng);
            var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(name, c), options);
            Assert.True(ok, $"seed {seed}: {why}");
            var layers = Propagation.Explain(network, c.Input, TwoConvolutions.Named(name, c), options).Consistency.Layers;
            var y = layers.Single(l => l.Node == "y");
            Assert.True(Math.Abs(y.RelevanceIn - y.RelevanceOut) <= 1e-12 * Math.Max(1, Math.Abs(y.RelevanceIn)), $"{y.RelevanceIn} vs {y.RelevanceOut}");
            var se = layers.Single(l => l.Node == "se");
            Assert.True(Math.Abs(se.RelevanceIn - y.RelevanceIn / 2) <= 1e-12 * Math.Max(1, Math.Abs(y.RelevanceIn)), $"{se.RelevanceIn} vs half of {y.RelevanceIn}");
            Assert.NotEqual(0, se.RelevanceIn);
        }
    }

    // float32 backpropagation through ≤ 6 layers of ≤ 150 terms: ~1e-6 of the largest gradient; 1e-4 is stated as in EngineGradientTests.
    [Fact]
    public void The_engine_gradient_through_slices_transposes_and_gates_matches_the_reference()
    {
        var (network, rng) = Build(3);
        var c = TwoConvolutions.Uniform(network, rng);
        var engine = EngineNetwork.Compile(network, Composite.Uniform(Rules.Flat));
        for (var k = 0; k < 3; k++)
        {
            var reference = Gradient.Of(network, c.Input, k);
            var g = engine.Gradient([.. c.Input.Data.Select(v => (float)v)], engine.CreateWorkspace(), k);
            var scale = Math.Max(1, reference.Data.Max(Math.Abs));
            Assert.All(reference.Data.Zip(g), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4 * scale, $"{p.First} vs {p.Second}"));
        }
    }

    [Fact]
    public void A_transpose_moves_each_value_to_its_permuted_place()
    {
        var x = Tensor.Own(Shape.Of(2, 3, 4), [.. Enumerable.Range(0, 24).Select(i => (double)i)]);
        var y = Forward.Output(Network.Sequential(x.Shape, new Transpose([2, 0, 1])), x);
        Assert.Equal(Shape.Of(4, 2, 3), y.Shape);
        for (var c = 0; c < 2; c++)
            for (var h = 0; h < 3; h++)
                for (var w = 0; w < 4; w++)
                    Assert.Equal(x[(c * 3 + h) * 4 + w], y[(w * 2 + c) * 3 + h]);
    }
}
