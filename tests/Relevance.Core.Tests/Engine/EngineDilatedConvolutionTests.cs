using Relevance.Baselines;
using Relevance.Engine;
using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests.Engine;

/// <summary>Dilated convolutions (DeepLab's atrous layers, dilated ResNets): taps d pixels apart, in the reference's
/// connections and in every engine route alike.</summary>
public class EngineDilatedConvolutionTests
{
    private static readonly ExplainOptions IgnoreBias = new(PoolingRedistribution.Proportional, BiasTreatment.Ignore);

    // 5×13×11 → Conv 3×3 dilation 2 padding 2 (5 → 8; col(x) built in memory) → ReLU → depthwise 3×3 dilation 3
    // stride 2 padding 3 (8 → 16, the depthwise kernel) → ReLU → Flatten → Dense(3).
    private static DeepCase Small(int seed)
    {
        var rng = new Random(seed);
        var first = new Conv2d(5, 8, 3, 3, TwoConvolutions.Random(rng, 8 * 5 * 9, 0.4), TwoConvolutions.Random(rng, 8, 0.1), 1, Padding2d.Uniform(2), dilation: 2);
        var second = new Conv2d(8, 16, 3, 3, TwoConvolutions.Random(rng, 16 * 9, 0.5), TwoConvolutions.Random(rng, 16, 0.1), 2, Padding2d.Uniform(3), groups: 8, dilation: 3);
        var dense = new Dense(16 * 7 * 6, 3, TwoConvolutions.Random(rng, 16 * 42 * 3, 0.2), TwoConvolutions.Random(rng, 3, 0.1));
        return TwoConvolutions.Case(Shape.Of(5, 13, 11), first, second, dense, rng);
    }

    // 12×21×20 → Conv 5×5 dilation 2 padding 4 (12 → 8, K = 300: col(x) packed in panels) → ReLU → Conv 3×3 dilation 2
    // stride 2 with uneven padding (8 → 6, the strided im2col) → ReLU → Flatten → Dense(3).
    private static DeepCase Strided()
    {
        var rng = new Random(21);
        var first = new Conv2d(12, 8, 5, 5, TwoConvolutions.Random(rng, 8 * 12 * 25, 0.1), TwoConvolutions.Random(rng, 8, 0.1), 1, Padding2d.Uniform(4), dilation: 2);
        var second = new Conv2d(8, 6, 3, 3, TwoConvolutions.Random(rng, 6 * 8 * 9, 0.2), TwoConvolutions.Random(rng, 6, 0.1), 2, new Padding2d(1, 2, 2, 1), dilation: 2);
        var dense = new Dense(6 * 10 * 10, 3, TwoConvolutions.Random(rng, 6 * 100 * 3, 0.1), TwoConvolutions.Random(rng, 3, 0.1));
        return TwoConvolutions.Case(Shape.Of(12, 21, 20), first, second, dense, rng);
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    [InlineData("flat first")]
    [InlineData("z everywhere")]
    [InlineData("ε everywhere")]
    [InlineData("α2β1 everywhere")]
    public void Dilated_convolutions_match_the_reference_under_every_rule(string name)
    {
        foreach (var c in new[] { Small(1), Small(2), Strided() })
            foreach (var options in new[] { ExplainOptions.Default, IgnoreBias })
            {
                var (ok, why) = EngineParityTests.Agree(c, Composite(name, c), options);
                Assert.True(ok, $"{c.Network.InputShape}, {options}: {why}");
            }
    }

    private static Composite Composite(string name, DeepCase c) => name switch
    {
        "flat first" => Relevance.Composite.FirstLayer(Rules.Flat, Rules.ZPlus),
        "ε everywhere" => Relevance.Composite.EpsilonEverywhere(1e-6),
        _ => TwoConvolutions.Named(name, c),
    };

    // A dilated kernel is the undilated kernel spread out with zeros between its taps: the same outputs, checked against
    // convolutions built from the spread weights, not through the dilation.
    [Theory]
    [InlineData(2, 1, 2)]
    [InlineData(3, 2, 1)]
    public void A_dilated_convolution_is_its_kernel_spread_out_with_zeros(int dilation, int stride, int padding)
    {
        var rng = new Random(dilation * 10 + stride);
        var (cin, cout, k) = (3, 4, 3);
        var w = TwoConvolutions.Random(rng, cout * cin * k * k, 1);
        var b = TwoConvolutions.Random(rng, cout, 1);
        var spread = (k - 1) * dilation + 1;
        var s = new double[cout * cin * spread * spread];
        for (var o = 0; o < cout; o++)
            for (var c = 0; c < cin; c++)
                for (var ky = 0; ky < k; ky++)
                    for (var kx = 0; kx < k; kx++)
                        s[((o * cin + c) * spread + ky * dilation) * spread + kx * dilation] = w[((o * cin + c) * k + ky) * k + kx];
        var x = Tensor.Own(Shape.Of(cin, 11, 9), [.. TwoConvolutions.Random(rng, cin * 99, 1)]);
        var dilated = new Conv2d(cin, cout, k, k, w, b, stride, Padding2d.Uniform(padding), dilation: dilation);
        var y = Forward.Output(Network.Sequential(x.Shape, dilated), x);
        var expected = Forward.Output(Network.Sequential(x.Shape, new Conv2d(cin, cout, spread, spread, [.. s], b, stride, padding)), x);
        Assert.Equal(expected.Shape, y.Shape);
        for (var i = 0; i < y.Size; i++) Assert.Equal(expected[i], y[i], 12);
    }

    // float32 backpropagation through four layers of ≤ 576 terms: ~1e-6 of the largest gradient; 1e-4 is stated as in EngineGradientTests.
    [Fact]
    public void The_engine_gradient_through_dilated_convolutions_matches_the_reference()
    {
        foreach (var c in new[] { Small(3), Strided() }) TwoConvolutions.AssertGradientsMatch(c, 1e-4);
    }

    // A 3×3 layer of 64 → 64 channels on a 10×10 map is Winograd's shape when undilated; dilated, it must not be taken
    // for Winograd (whose tiles assume adjacent taps). Float32 sums of 576 terms of magnitude ≤ 0.08: 1e-4 absolute.
    [Fact]
    public void A_dilated_layer_of_Winograd_s_shape_computes_the_dilated_convolution()
    {
        var rng = new Random(5);
        var conv = new Conv2d(64, 64, 3, 3, TwoConvolutions.Random(rng, 64 * 64 * 9, 0.08), TwoConvolutions.Random(rng, 64, 0.1), 1, Padding2d.Uniform(2), dilation: 2);
        var network = Network.Sequential(Shape.Of(64, 10, 10), conv);
        var x = Tensor.Own(network.InputShape, [.. TwoConvolutions.Random(rng, 6400, 1)]);
        var expected = Forward.Output(network, x);
        var engine = EngineNetwork.Compile(network, Relevance.Composite.Uniform(Rules.Z));
        var y = engine.Forward([.. x.Data.Select(v => (float)v)]);
        for (var i = 0; i < expected.Size; i++) Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4, $"[{i}]: {y[i]} vs {expected[i]}");
    }

    [Fact]
    public void A_dilated_kernel_that_does_not_fit_is_refused_with_its_extent()
    {
        var conv = new Conv2d(1, 1, 3, 3, [.. new double[9]], [0.0], 1, Padding2d.Uniform(0), dilation: 4);
        var e = Assert.Throws<ShapeMismatchException>(() => Network.Sequential(Shape.Of(1, 8, 8), conv));
        Assert.Contains("dilation 4", e.Message);
    }
}
