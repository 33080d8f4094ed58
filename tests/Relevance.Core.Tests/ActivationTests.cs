using FsCheck;
using FsCheck.Fluent;
using Relevance.Baselines;
using Relevance.Engine;
using Relevance.Reference;
using Relevance.Tests.Engine;

namespace Relevance.Tests;

/// <summary>Element-wise activations: each is its function and derivative, computed alike by the reference and the engine,
/// and relevance passes through each unchanged.</summary>
public class ActivationTests
{
    public static TheoryData<string> Names => [.. Activations.Keys];

    private static readonly Dictionary<string, (Activation Layer, double[] Kinks)> Activations = new()
    {
        ["ReLU"] = (new ReLU(), [0]),
        ["ReLU6"] = (new Clip(0, 6), [0, 6]),
        ["Clip(−1, 0.5)"] = (new Clip(-1, 0.5), [-1, 0.5]),
        ["Sigmoid"] = (new Sigmoid(), []),
        ["HardSigmoid(0.3, 0.4)"] = (new HardSigmoid(0.3, 0.4), [-0.4 / 0.3, 0.6 / 0.3]),
        ["HardSwish"] = (new HardSwish(), [-3, 3]),
        ["SiLU"] = (new SiLU(), []),
        ["Tanh"] = (new Tanh(), []),
        ["LeakyReLU(0.1)"] = (new LeakyReLU(0.1), [0]),
        ["GELU"] = (new Gelu(), []),
        ["GELU (tanh)"] = (new Gelu(TanhApproximation: true), []),
    };

    // erf against values to 16 digits (Abramowitz & Stegun table 7.1, and erf(x) = 1 − erfc(x) from DLMF 7.2 for the tail),
    // on both sides of the series/continued-fraction switch at 2.5, and GELU's exact values x·Φ(x).
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.5, 0.9995930479825550)]
    [InlineData(2.6, 0.9997639655834707)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(4.0, 0.9999999845827421)]
    [InlineData(-1.5, -0.9661051464753108)]
    public void Erf_is_accurate_to_a_few_units_in_the_last_place(double x, double expected) =>
        Assert.True(Math.Abs(SpecialFunctions.Erf(x) - expected) <= 4e-16, $"erf({x}) = {SpecialFunctions.Erf(x):R}, expected {expected:R}");

    [Theory]
    [InlineData(1.0, 0.8413447460685429)]
    [InlineData(-1.0, -0.15865525393145707)]
    [InlineData(2.0, 1.9544997361036416)]
    public void Gelu_is_x_times_the_normal_cdf(double x, double expected) =>
        Assert.True(Math.Abs(Forward.Output(Alone(new Gelu(), 1), Tensor.Vector(x))[0] - expected) <= 1e-15, $"GELU({x})");

    private static Network Alone(Activation a, int n) => Network.Sequential(Shape.Of(n), a);

    // The derivative the gradient uses is the function's slope: a central difference with h = 1e-5 has truncation error
    // ~h²·|σ'''| ≤ 1e-9 and rounding error ~u/h ≈ 1e-11 here; points within 1e-3 of a kink (where the slope jumps) are left out.
    [SpecProperty]
    public Property The_gradient_is_the_slope_of_the_function() =>
        Prop.ForAll(Gen.Elements([.. Activations.Keys]).ToArbitrary(), Gen.Choose(-8000, 8000).Select(k => k / 1000.0 + 1e-4).ToArbitrary(), (name, z) =>
        {
            var (layer, kinks) = Activations[name];
            if (kinks.Any(k => Math.Abs(z - k) < 1e-3)) return true.ToProperty();
            const double h = 1e-5;
            var network = Alone(layer, 1);
            double F(double v) => Forward.Output(network, Tensor.Vector(v))[0];
            var slope = (F(z + h) - F(z - h)) / (2 * h);
            var gradient = Gradient.Of(network, Tensor.Vector(z), 0)[0];
            return (Math.Abs(slope - gradient) <= 1e-6).Label($"{name} at {z}: slope {slope}, gradient {gradient}");
        });

    // float32 rounds each result to u = 6e-8 relative; the vectorised exp/tanh of TensorPrimitives add a few ulp. 1e-6 of
    // max(1, |y|) bounds both with margin and still catches a wrong constant or branch.
    [Theory]
    [MemberData(nameof(Names))]
    public void The_engine_computes_the_function_and_its_gradient_as_the_reference_does(string name)
    {
        var layer = Activations[name].Layer;
        var z = Enumerable.Range(0, 1601).Select(i => -8 + i / 100.0 + 1e-4).ToArray();
        var network = Alone(layer, z.Length);
        var engine = EngineNetwork.Compile(network, Composite.Uniform(Rules.Epsilon()));
        var ours = engine.Forward([.. z.Select(v => (float)v)]);
        var reference = Forward.Output(network, Tensor.From(network.InputShape, z));
        for (var i = 0; i < z.Length; i++)
            Assert.True(Math.Abs(ours[i] - reference[i]) <= 1e-6 * Math.Max(1, Math.Abs(reference[i])), $"{name}({z[i]}): engine {ours[i]}, reference {reference[i]}");
        foreach (var k in new[] { 0, 500, 777, 800, 1100, 1600 })
        {
            var g = engine.Gradient([.. z.Select(v => (float)v)], engine.CreateWorkspace(), k);
            var expected = Gradient.Of(network, Tensor.From(network.InputShape, z), k);
            for (var i = 0; i < z.Length; i++)
                Assert.True(Math.Abs(g[i] - expected[i]) <= 1e-6, $"{name}: ∂y_{k}/∂z_{i} engine {g[i]}, reference {expected[i]}");
        }
    }

    // Conv → activation → Flatten → Dense on inputs in [−1, 1]: the rules that accept inputs of either sign, through each activation.
    [Theory]
    [MemberData(nameof(Names))]
    public void Explanations_through_an_activation_match_the_reference_and_pass_it_unchanged(string name)
    {
        var rng = new Random(23);
        var conv = new Conv2d(3, 6, 3, 3, TwoConvolutions.Random(rng, 6 * 3 * 9, 0.5), TwoConvolutions.Random(rng, 6, 0.2), 1, 1);
        var dense = new Dense(6 * 25, 4, TwoConvolutions.Random(rng, 6 * 25 * 4, 0.2), TwoConvolutions.Random(rng, 4, 0.1));
        var network = new Network(Shape.Of(3, 5, 5), [
            new Node("conv", conv, [Network.InputName]), new Node("act", Activations[name].Layer, ["conv"]),
            new Node("flat", new Flatten(), ["act"]), new Node("dense", dense, ["flat"])]);
        var x = Tensor.Own(network.InputShape, [.. Enumerable.Range(0, network.InputShape.Size).Select(_ => rng.NextDouble() * 4 - 2)]);
        var c = new Specification.DeepCase(network, x, Tensor.Filled(x.Shape, -2), Tensor.Filled(x.Shape, 2));
        foreach (var composite in new[] { Composite.Uniform(Rules.Epsilon(0.01)), Composite.Uniform(Rules.AlphaBeta(2, 1)), Composite.Uniform(Rules.Flat) })
        {
            var (ok, why) = EngineParityTests.Agree(c, composite, ExplainOptions.Default);
            Assert.True(ok, $"{name}, {composite}: {why}");
            var layer = Propagation.Explain(network, x, composite).Consistency.Layers.Single(l => l.Node == "act");
            Assert.Equal("pass-through", layer.Redistribution);
            Assert.Equal(layer.RelevanceIn, layer.RelevanceOut);
        }
    }
}
