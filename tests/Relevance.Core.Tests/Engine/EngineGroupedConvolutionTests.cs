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

    // float32 backpropagation through four layers of ≤ 72 terms: ~1e-6 of the largest gradient; 1e-4 is stated as in EngineGradientTests.
    [Fact]
    public void The_engine_gradient_through_grouped_convolutions_matches_the_reference()
    {
        var c = Case(6);
        var engine = EngineNetwork.Compile(c.Network, Composite.Uniform(Rules.Flat));
        for (var k = 0; k < 3; k++)
        {
            var reference = Gradient.Of(c.Network, c.Input, k);
            var g = engine.Gradient([.. c.Input.Data.Select(v => (float)v)], engine.CreateWorkspace(), k);
            var scale = Math.Max(1, reference.Data.Max(Math.Abs));
            Assert.All(reference.Data.Zip(g), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4 * scale, $"{p.First} vs {p.Second}"));
        }
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
