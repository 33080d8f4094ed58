using Relevance.Engine;
using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests.Engine;

/// <summary>Layers whose outputs receive relevance below zero: a convolution feeding a residual Add (its outputs reach the
/// sum without a ReLU), and a layer under a w² rule that gives relevance to neurons a ReLU switched off.</summary>
public class EngineResidualTests
{
    // 64×12×12 → conv1 3×3 → ReLU → conv2 3×3 (Winograd) → Add(ReLU output, conv2) → ReLU → Flatten → Dense(3): conv2's
    // negative outputs take a share of the Add's relevance, so its z⁺ denominators are summed exactly, not paired.
    private static DeepCase Block(int seed) => Blocks(seed, 1);

    // Block, then a second block on its rectified sum: relu2 is read by conv3 and by add2, as a ResNet block's output is, so
    // the relevance both pass down is added up in the buffer of the Add below it (a chain topped by a value read twice).
    private static DeepCase TwoBlocks(int seed) => Blocks(seed, 2);

    private static DeepCase Blocks(int seed, int count)
    {
        var rng = new Random(seed);
        Conv2d Conv() => new(64, 64, 3, 3, TwoConvolutions.Random(rng, 64 * 64 * 9, 0.08), TwoConvolutions.Random(rng, 64, 0.05), 1, 1);
        List<Node> nodes = [new("conv1", Conv(), [Network.InputName]), new("relu1", new ReLU(), ["conv1"])];
        for (var b = 1; b <= count; b++)
            nodes.AddRange([new($"conv{b + 1}", Conv(), [$"relu{b}"]), new($"add{b}", new Add(), [$"relu{b}", $"conv{b + 1}"]),
                new($"relu{b + 1}", new ReLU(), [$"add{b}"])]);
        nodes.AddRange([new("flat", new Flatten(), [$"relu{count + 1}"]),
            new("dense", new Dense(64 * 144, 3, TwoConvolutions.Random(rng, 64 * 144 * 3, 0.02), TwoConvolutions.Random(rng, 3, 0.05)), ["flat"])]);
        return TwoConvolutions.Uniform(new Network(Shape.Of(64, 12, 12), [.. nodes]), rng);
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    public void Blocks_whose_rectified_sums_are_read_twice_match_the_reference(string composite) => AgreeOnSeeds(TwoBlocks, 2, composite);

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    public void A_convolution_feeding_a_residual_add_matches_the_reference(string composite) => AgreeOnSeeds(Block, 3, composite);

    private static void AgreeOnSeeds(Func<int, DeepCase> make, int seeds, string composite)
    {
        for (var seed = 1; seed <= seeds; seed++)
        {
            var c = make(seed);
            var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(composite, c), ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
        }
    }

    // conv2 a 1×1 layer on 512 channels with too many outputs to stack [W; W⁺] (264 × 512): its denominators W⁺ · x are a
    // product of their own in the relevance pass, and its backward product reads W⁺ᵀ from W⁺ rows 2 KB apart; with w² above,
    // relevance also reaches its switched-off outputs.
    [Theory]
    [InlineData("z⁺ above")]
    [InlineData("w² above")]
    public void A_wide_pointwise_layer_whose_denominators_are_a_product_of_their_own_matches_the_reference(string above)
    {
        var rng = new Random(512);
        var conv1 = new Conv2d(4, 512, 3, 3, TwoConvolutions.Random(rng, 512 * 36, 0.3), TwoConvolutions.Random(rng, 512, 0.05), 1, 1);
        var conv2 = new Conv2d(512, 264, 1, 1, TwoConvolutions.Random(rng, 264 * 512, 0.06), TwoConvolutions.Random(rng, 264, 0.05), 1, 0);
        var dense = new Dense(264 * 36, 3, TwoConvolutions.Random(rng, 264 * 36 * 3, 0.02), TwoConvolutions.Random(rng, 3, 0.05));
        var c = TwoConvolutions.Case(Shape.Of(4, 6, 6), conv1, conv2, dense, rng);
        var composite = Composite.PerLayer(new Dictionary<string, Rule>
        {
            ["conv1"] = Rules.ZBox(0, 1), ["conv2"] = Rules.ZPlus, ["dense"] = above == "z⁺ above" ? Rules.ZPlus : Rules.WSquare,
        });
        // Every rule here divides by sums of non-negative terms (no cancellation), so float32 stays within a few K·2⁻²⁴
        // (K ≤ 512) of the reference at each of the three layers: 1e-4 of the relevance's scale bounds that with room,
        // while denominators W · x in place of W⁺ · x would be off by their order.
        var reference = Propagation.Explain(c.Network, c.Input, composite, ExplainOptions.Default);
        var engine = EngineNetwork.Compile(c.Network, composite, ExplainOptions.Default).Explain([.. c.Input.Data.Select(v => (float)v)]);
        var scale = reference.Heatmap.Data.Sum(Math.Abs);
        var worst = reference.Heatmap.Data.Zip(engine.Heatmap.Data, (r, e) => Math.Abs(r - e)).Max();
        Assert.True(worst <= 1e-4 * scale, $"worst element {worst:G3} of Σ|R| = {scale:G3}");
        var (r2, e2) = (reference.Consistency.Layers.Single(l => l.Node == "conv2"), engine.Consistency.Layers.Single(l => l.Node == "conv2"));
        Assert.True(Math.Abs(r2.RelevanceOut - e2.RelevanceOut) <= 1e-4 * Math.Abs(r2.RelevanceIn), $"conv2 passes down {e2.RelevanceOut}, the reference {r2.RelevanceOut}");
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
