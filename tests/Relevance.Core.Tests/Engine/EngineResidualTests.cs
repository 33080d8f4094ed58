using Relevance.Engine;
using Relevance.Specification;

namespace Relevance.Tests.Engine;

/// <summary>Layers whose outputs receive relevance below zero: a convolution feeding a residual Add (its outputs reach the
/// sum without a ReLU), and a layer under a w² rule that gives relevance to neurons a ReLU switched off.</summary>
public class EngineResidualTests
{
    // 64×12×12 → conv1 3×3 → ReLU → conv2 3×3 (Winograd) → Add(ReLU output, conv2) → ReLU → Flatten → Dense(3): conv2's
    // negative outputs take a share of the Add's relevance, so its z⁺ denominators are summed exactly, not paired.
    private static DeepCase Block(int seed)
    {
        var rng = new Random(seed);
        Conv2d Conv() => new(64, 64, 3, 3, TwoConvolutions.Random(rng, 64 * 64 * 9, 0.08), TwoConvolutions.Random(rng, 64, 0.05), 1, 1);
        var network = new Network(Shape.Of(64, 12, 12), [
            new Node("conv1", Conv(), [Network.InputName]), new Node("relu1", new ReLU(), ["conv1"]),
            new Node("conv2", Conv(), ["relu1"]), new Node("add", new Add(), ["relu1", "conv2"]), new Node("relu2", new ReLU(), ["add"]),
            new Node("flat", new Flatten(), ["relu2"]),
            new Node("dense", new Dense(64 * 144, 3, TwoConvolutions.Random(rng, 64 * 144 * 3, 0.02), TwoConvolutions.Random(rng, 3, 0.05)), ["flat"])]);
        return TwoConvolutions.Uniform(network, rng);
    }

    // Block, then a second block on its rectified sum: relu2 is read by conv3 and by add2, as a ResNet block's output is, so
    // the relevance both pass down is added up in the buffer of the Add below it (a chain topped by a value read twice).
    private static DeepCase TwoBlocks(int seed)
    {
        var rng = new Random(seed);
        Conv2d Conv() => new(64, 64, 3, 3, TwoConvolutions.Random(rng, 64 * 64 * 9, 0.08), TwoConvolutions.Random(rng, 64, 0.05), 1, 1);
        var network = new Network(Shape.Of(64, 12, 12), [
            new Node("conv1", Conv(), [Network.InputName]), new Node("relu1", new ReLU(), ["conv1"]),
            new Node("conv2", Conv(), ["relu1"]), new Node("add", new Add(), ["relu1", "conv2"]), new Node("relu2", new ReLU(), ["add"]),
            new Node("conv3", Conv(), ["relu2"]), new Node("add2", new Add(), ["relu2", "conv3"]), new Node("relu3", new ReLU(), ["add2"]),
            new Node("flat", new Flatten(), ["relu3"]),
            new Node("dense", new Dense(64 * 144, 3, TwoConvolutions.Random(rng, 64 * 144 * 3, 0.02), TwoConvolutions.Random(rng, 3, 0.05)), ["flat"])]);
        return TwoConvolutions.Uniform(network, rng);
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    public void Blocks_whose_rectified_sums_are_read_twice_match_the_reference(string composite)
    {
        for (var seed = 1; seed <= 2; seed++)
        {
            var c = TwoBlocks(seed);
            var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(composite, c), ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
        }
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    public void A_convolution_feeding_a_residual_add_matches_the_reference(string composite)
    {
        for (var seed = 1; seed <= 3; seed++)
        {
            var c = Block(seed);
            var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(composite, c), ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
        }
    }

    // conv2 as a matrix product whose denominators come stacked with its forward product ([W; W⁺]): 1×1 on 64 channels (the
    // unpacked kernel) and 3×3 on 16 (packed). w² above gives relevance to its switched-off outputs: the stacked sums are
    // used as they are, and the relevance stays the reference's and ≥ 0.
    [Theory]
    [InlineData(64, 1)]
    [InlineData(16, 3)]
    public void Stacked_denominators_under_relevance_of_inactive_neurons_match_the_reference(int channels, int kernel)
    {
        var rng = new Random(channels + kernel);
        var conv1 = new Conv2d(3, channels, 3, 3, TwoConvolutions.Random(rng, channels * 27, 0.3), [.. TwoConvolutions.Random(rng, channels, 0.05).Select(b => -Math.Abs(b))], 1, 1);
        var conv2 = new Conv2d(channels, 80, kernel, kernel, TwoConvolutions.Random(rng, 80 * channels * kernel * kernel, 0.1), TwoConvolutions.Random(rng, 80, 0.05), 1, kernel / 2);
        var dense = new Dense(80 * 100, 3, TwoConvolutions.Random(rng, 80 * 100 * 3, 0.02), TwoConvolutions.Random(rng, 3, 0.05));
        var c = TwoConvolutions.Case(Shape.Of(3, 10, 10), conv1, conv2, dense, rng);
        var composite = Composite.PerLayer(new Dictionary<string, Rule> { ["conv1"] = Rules.ZBox(0, 1), ["conv2"] = Rules.ZPlus, ["dense"] = Rules.WSquare });
        var (ok, why) = EngineParityTests.Agree(c, composite, ExplainOptions.Default);
        Assert.True(ok, why);
        var e = EngineNetwork.Compile(c.Network, composite).Explain([.. c.Input.Data.Select(v => (float)v)]);
        Assert.All(e.Heatmap.Data, v => Assert.True(v >= 0, $"heatmap value {v}"));
    }
}
