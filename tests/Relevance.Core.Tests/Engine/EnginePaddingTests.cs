using Relevance.Reference;

namespace Relevance.Tests.Engine;

/// <summary>Padding as a layer of its own (ONNX Pad): the engine crops relevance back as the reference does; what the
/// padded positions received is reported as the layer's bias share.</summary>
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

    // A constant pad of 0.7 before a convolution: the padded positions are inputs of the layer above, z and αβ give them
    // relevance, and cropping reports it as the pad's bias share, so relevance in = relevance out + bias share; w² gives
    // padded zeros relevance too. Engine and reference agree on values and on the share.
    [Theory]
    [InlineData("z everywhere", 0.7)]
    [InlineData("α2β1 everywhere", 0.7)]
    [InlineData("w² first", 0.0)]
    public void Relevance_on_padded_positions_is_the_pad_s_bias_share(string name, double value)
    {
        var rng = new Random(31);
        var conv = new Conv2d(2, 3, 3, 3, TwoConvolutions.Random(rng, 3 * 2 * 9, 0.4), TwoConvolutions.Random(rng, 3, 0.1), 1, 0);
        var dense = new Dense(3 * 6 * 5, 3, TwoConvolutions.Random(rng, 3 * 30 * 3, 0.2), TwoConvolutions.Random(rng, 3, 0.1));
        var network = new Network(Shape.Of(2, 5, 4), [
            new Node("pad", new Pad2d(new Padding2d(1, 2, 2, 1), value), [Network.InputName]),
            new Node("conv", conv, ["pad"]), new Node("relu", new ReLU(), ["conv"]),
            new Node("flat", new Flatten(), ["relu"]), new Node("dense", dense, ["flat"])]);
        var c = TwoConvolutions.Uniform(network, rng);
        var composite = name == "w² first" ? Composite.TrainingFreeDtd(Rules.WSquare) : TwoConvolutions.Named(name, c);
        var (ok, why) = EngineParityTests.Agree(c, composite, ExplainOptions.Default);
        Assert.True(ok, why);
        var pad = Propagation.Explain(network, c.Input, composite).Consistency.Layers.Single(l => l.Node == "pad");
        Assert.True(Math.Abs(pad.BiasRelevance) > 1e-3, $"bias share {pad.BiasRelevance}");
        Assert.True(Math.Abs(pad.RelevanceIn - pad.RelevanceOut - pad.BiasRelevance) <= 1e-12 * Math.Max(1, Math.Abs(pad.RelevanceIn)),
            $"{pad.RelevanceIn} vs {pad.RelevanceOut} + {pad.BiasRelevance}");
        var engine = Relevance.Engine.EngineNetwork.Compile(network, composite).Explain([.. c.Input.Data.Select(v => (float)v)]);
        var layer = engine.Consistency.Layers.Single(l => l.Node == "pad");
        Assert.True(Math.Abs(layer.BiasRelevance - pad.BiasRelevance) <= 1e-4 * Math.Max(1, Math.Abs(pad.RelevanceIn)), $"{layer.BiasRelevance} vs {pad.BiasRelevance}");
    }

    [Fact]
    public void A_padding_value_that_is_not_finite_is_refused() =>
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => new Pad2d(Padding2d.Uniform(1), double.NaN)).Message);
}
