using System.Collections.Immutable;
using Relevance.Engine;
using Relevance.Specification;

namespace Relevance.Tests.Engine;

/// <summary>A z⁺ convolution that keeps W alone (no W⁺ beside it) and whose relevance reaches one channel of twenty: its
/// denominators and backward product are made for that channel only, with W's positive part taken as W is read.</summary>
public class EngineFewChannelsTests
{
    [Theory]
    [InlineData("z^B first")]
    [InlineData("α2β1 everywhere")]
    public void Relevance_reaching_one_channel_matches_the_reference(string composite)
    {
        for (var seed = 1; seed <= 3; seed++)
        {
            var rng = new Random(seed);
            var conv1 = new Conv2d(3, 16, 3, 3, TwoConvolutions.Random(rng, 16 * 27, 0.3), TwoConvolutions.Random(rng, 16, 0.05), 1, 1);
            // 20 output channels (not a multiple of 8: W and W⁺ are not stacked) over K = 144 taps: its z⁺ terms read packed
            // matrices, and W's positive part where few channels have relevance.
            var conv2 = new Conv2d(16, 20, 3, 3, TwoConvolutions.Random(rng, 20 * 144, 0.1), TwoConvolutions.Random(rng, 20, 0.05), 1, 1);
            // Only channel 5 of the pooled features reaches the outputs.
            var weights = Enumerable.Range(0, 20 * 3).Select(i => i / 3 == 5 ? 0.2 + 0.1 * (i % 3) : 0.0).ToImmutableArray();
            var network = new Network(Shape.Of(3, 8, 8), [
                new Node("conv1", conv1, [Network.InputName]), new Node("relu1", new ReLU(), ["conv1"]),
                new Node("conv2", conv2, ["relu1"]), new Node("relu2", new ReLU(), ["conv2"]),
                new Node("pool", new GlobalAvgPool(), ["relu2"]), new Node("flat", new Flatten(), ["pool"]),
                new Node("dense", new Dense(20, 3, weights, [0.1, 0.0, -0.1]), ["flat"])]);
            var c = TwoConvolutions.Uniform(network, rng);
            var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(composite, c), ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
        }
    }
}
