using Relevance.Baselines;
using Relevance.Engine;
using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests.Engine;

/// <summary>Grouped and depthwise convolutions (ResNeXt, MobileNet, EfficientNet): each output reads only its group's
/// input channels, in the reference's connections and in the engine's per-group kernels alike.</summary>
public class EngineGroupedConvolutionTests
{
    // 6×7×7 → Conv 3×3, 2 groups, 6 → 8 channels, padding 1 → ReLU → depthwise 3×3 stride 2 (8 groups, 8 → 16 channels,
    // two per group) → ReLU → Flatten → Dense(3).
    private static DeepCase Case(int seed)
    {
        var rng = new Random(seed);
        var grouped = new Conv2d(6, 8, 3, 3, TwoConvolutions.Random(rng, 8 * 3 * 9, 0.4), TwoConvolutions.Random(rng, 8, 0.1), 1, Padding2d.Uniform(1), groups: 2);
        var depthwise = new Conv2d(8, 16, 3, 3, TwoConvolutions.Random(rng, 16 * 1 * 9, 0.5), TwoConvolutions.Random(rng, 16, 0.1), 2, Padding2d.Uniform(1), groups: 8);
        var dense = new Dense(16 * 16, 3, TwoConvolutions.Random(rng, 16 * 16 * 3, 0.2), TwoConvolutions.Random(rng, 3, 0.1));
        return TwoConvolutions.Case(Shape.Of(6, 7, 7), grouped, depthwise, dense, rng);
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    [InlineData("z everywhere")]
    [InlineData("α2β1 everywhere")]
    public void Grouped_and_depthwise_convolutions_match_the_reference(string name)
    {
        foreach (var seed in new[] { 3, 4, 5 })
        {
            var c = Case(seed);
            foreach (var options in new[] { ExplainOptions.Default, new ExplainOptions(PoolingRedistribution.Proportional, BiasTreatment.Ignore) })
            {
                var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(name, c), options);
                Assert.True(ok, $"seed {seed}, {options}: {why}");
            }
        }
    }

    // 8×20×20 → depthwise 5×5, stride 1, padding 2 (EfficientNet's; large enough that the engine splits its channels
    // between cores) → ReLU → depthwise 3×3, stride 2, two outputs per channel → ReLU → Flatten → Dense(3): the
    // depthwise kernel first, under every rule of the reference.
    private static DeepCase DepthwiseFirst(int seed)
    {
        var rng = new Random(seed);
        var first = new Conv2d(8, 8, 5, 5, TwoConvolutions.Random(rng, 8 * 25, 0.4), TwoConvolutions.Random(rng, 8, 0.1), 1, Padding2d.Uniform(2), groups: 8);
        var second = new Conv2d(8, 16, 3, 3, TwoConvolutions.Random(rng, 16 * 9, 0.5), TwoConvolutions.Random(rng, 16, 0.1), 2, Padding2d.Uniform(1), groups: 8);
        var dense = new Dense(16 * 100, 3, TwoConvolutions.Random(rng, 16 * 100 * 3, 0.1), TwoConvolutions.Random(rng, 3, 0.1));
        return TwoConvolutions.Case(Shape.Of(8, 20, 20), first, second, dense, rng);
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    [InlineData("flat first")]
    [InlineData("z everywhere")]
    [InlineData("ε everywhere")]
    [InlineData("α2β1 everywhere")]
    [InlineData("α1β0 everywhere")]
    public void A_depthwise_first_layer_matches_the_reference_under_every_rule(string name)
    {
        foreach (var seed in new[] { 7, 8 })
        {
            var c = DepthwiseFirst(seed);
            var composite = name switch
            {
                "flat first" => Composite.FirstLayer(Rules.Flat, Rules.ZPlus),
                "ε everywhere" => Composite.EpsilonEverywhere(1e-6),
                "α1β0 everywhere" => Composite.Uniform(Rules.AlphaBeta(1, 0)),
                _ => TwoConvolutions.Named(name, c),
            };
            foreach (var options in new[] { ExplainOptions.Default, new ExplainOptions(PoolingRedistribution.Proportional, BiasTreatment.Ignore) })
            {
                var (ok, why) = EngineParityTests.Agree(c, composite, options);
                Assert.True(ok, $"seed {seed}, {options}: {why}");
            }
        }
    }

    // z⁺ on a depthwise layer refuses a negative input, and z^B an input outside its box, as on any linear layer.
    [Fact]
    public void A_depthwise_layer_checks_its_rule_s_domain()
    {
        var c = DepthwiseFirst(9);
        var x = c.Input.Data.Select(v => (float)v).ToArray();
        x[123] = -0.5f;
        var plus = EngineNetwork.Compile(c.Network, Composite.Uniform(Rules.ZPlus));
        var e = Assert.Throws<RuleDomainException>(() => plus.Explain(x));
        Assert.Contains("input 123", e.Message);
        var box = EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(c.Box));
        Assert.Throws<RuleDomainException>(() => box.Explain(x));
    }

    // float32 backpropagation through four layers of ≤ 72 terms: ~1e-6 of the largest gradient; 1e-4 is stated as in EngineGradientTests.
    [Fact]
    public void The_engine_gradient_through_grouped_convolutions_matches_the_reference()
    {
        TwoConvolutions.AssertGradientsMatch(Case(6), 1e-4);
    }

    // A grouped convolution is its groups side by side: group g applied to input channels g·C/G … computes output channels
    // g·M/G …, and nothing else. Checked against convolutions built from the weights directly, not through Conv2d.Group.
    [Fact]
    public void A_grouped_convolution_is_its_groups_side_by_side()
    {
        var rng = new Random(11);
        var (groups, inPer, outPer) = (3, 2, 4);
        var w = TwoConvolutions.Random(rng, groups * outPer * inPer * 4, 1);
        var b = TwoConvolutions.Random(rng, groups * outPer, 1);
        var grouped = new Conv2d(groups * inPer, groups * outPer, 2, 2, w, b, 1, Padding2d.Uniform(1), groups);
        var x = Tensor.Own(Shape.Of(groups * inPer, 4, 5), [.. TwoConvolutions.Random(rng, groups * inPer * 20, 1)]);
        var y = Forward.Output(Network.Sequential(x.Shape, grouped), x);
        var plane = y.Size / (groups * outPer);
        for (var g = 0; g < groups; g++)
        {
            var alone = new Conv2d(inPer, outPer, 2, 2, [.. w.Skip(g * outPer * inPer * 4).Take(outPer * inPer * 4)], [.. b.Skip(g * outPer).Take(outPer)], 1, 1);
            var part = Tensor.Own(Shape.Of(inPer, 4, 5), [.. x.Data.Skip(g * inPer * 20).Take(inPer * 20)]);
            var expected = Forward.Output(Network.Sequential(part.Shape, alone), part);
            for (var i = 0; i < expected.Size; i++) Assert.Equal(expected[i], y[g * outPer * plane + i], 12);
        }
    }

    [Fact]
    public void Groups_that_do_not_divide_the_channels_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Conv2d(6, 8, 3, 3, [.. new double[8 * 3 * 9]], [.. new double[8]], 1, Padding2d.Uniform(0), groups: 4));
        Assert.Contains("4 groups must divide", e.Message);
    }
}
