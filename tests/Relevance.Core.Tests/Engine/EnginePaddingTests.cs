using Relevance.Reference;

namespace Relevance.Tests.Engine;

/// <summary>Zero padding as a layer of its own (ONNX Pad): the engine crops relevance back as the reference does, and the
/// padded zeros receive none.</summary>
public class EnginePaddingTests
{
    [Theory]
    [InlineData("z^B first")]
    [InlineData("z everywhere")]
    [InlineData("α2β1 everywhere")]
    public void Padding_before_an_average_pooling_matches_the_reference_and_conserves(string name)
    {
        var rng = new Random(29);
        var conv = new Conv2d(3, 4, 3, 3, TwoConvolutions.Random(rng, 4 * 3 * 9, 0.4), TwoConvolutions.Random(rng, 4, 0.1), 1, 0);
        var dense = new Dense(4 * 6 * 4, 3, TwoConvolutions.Random(rng, 4 * 24 * 3, 0.2), TwoConvolutions.Random(rng, 3, 0.1));
        var network = new Network(Shape.Of(3, 7, 6), [
            new Node("conv", conv, [Network.InputName]), new Node("relu", new ReLU(), ["conv"]),
            new Node("pad", new Pad2d(new Padding2d(1, 2, 2, 0)), ["relu"]),
            new Node("pool", new Pool2d(PoolKind.Average, 3, 3, 1, 1), ["pad"]),
            new Node("flat", new Flatten(), ["pool"]), new Node("dense", dense, ["flat"])]);
        var c = TwoConvolutions.Uniform(network, rng);
        var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(name, c), ExplainOptions.Default);
        Assert.True(ok, why);
        var pad = Propagation.Explain(network, c.Input, TwoConvolutions.Named(name, c)).Consistency.Layers.Single(l => l.Node == "pad");
        // The zeros hold no relevance, so cropping loses none: equal up to the rounding of two double sums.
        Assert.True(Math.Abs(pad.RelevanceIn - pad.RelevanceOut) <= 1e-12 * Math.Max(1, Math.Abs(pad.RelevanceIn)), $"{pad.RelevanceIn} vs {pad.RelevanceOut}");
    }
}
