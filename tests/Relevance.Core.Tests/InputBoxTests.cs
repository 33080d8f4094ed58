using Relevance.Engine;
using Relevance.Reference;
using Relevance.Specification;
using Relevance.Tests.Engine;

namespace Relevance.Tests;

/// <summary>z^B's box carried from the network's input to its first linear layer through normalisation written into the
/// graph, padding and reshapes (<see cref="Rules.InputBox"/>).</summary>
public class InputBoxTests
{
    private static readonly double[] Mean = [0.485, 0.456, 0.406];
    private static readonly double[] Std = [0.229, 0.224, 0.225];

    // Pixels in [0, 1] → (x − μ_c)/σ_c as a ChannelAffine (a Keras or PyTorch export with its normalisation inside) → Pad 1
    // with 0.3 → Conv 3×3 → ReLU → Flatten → Dense(2); inputs on the box's corners, where rounding would leave it.
    private static DeepCase Normalised(int seed)
    {
        var rng = new Random(seed);
        var affine = new ChannelAffine([.. Std.Select(s => 1 / s)], [.. Mean.Zip(Std, (m, s) => -m / s)]);
        var conv = new Conv2d(3, 4, 3, 3, TwoConvolutions.Random(rng, 4 * 3 * 9, 0.4), TwoConvolutions.Random(rng, 4, 0.1), 1, 0);
        var dense = new Dense(4 * 6 * 6, 2, TwoConvolutions.Random(rng, 4 * 36 * 2, 0.2), TwoConvolutions.Random(rng, 2, 0.1));
        var network = new Network(Shape.Of(3, 6, 6), [
            new Node("normalise", affine, [Network.InputName]), new Node("pad", new Pad2d(Padding2d.Uniform(1), 0.3), ["normalise"]),
            new Node("conv", conv, ["pad"]), new Node("relu", new ReLU(), ["conv"]),
            new Node("flat", new Flatten(), ["relu"]), new Node("dense", dense, ["flat"])]);
        var x = Tensor.Own(network.InputShape, [.. Enumerable.Range(0, network.InputShape.Size).Select(_ => (double)rng.Next(2))]);
        return new DeepCase(network, x, Tensor.Zeros(x.Shape), Tensor.Filled(x.Shape, 1));
    }

    [Fact]
    public void The_box_is_carried_through_normalisation_and_padding_to_the_first_convolution()
    {
        var c = Normalised(1);
        var box = Rules.InputBox(c.Network, c.Low, c.High);
        var (low, high) = (Assert.IsType<ElementBounds>(box.Low).Tensor, Assert.IsType<ElementBounds>(box.High).Tensor);
        Assert.Equal(Shape.Of(3, 8, 8), low.Shape);
        for (var ch = 0; ch < 3; ch++)
        {
            // Inside: the normalised pixel range, widened by 10⁻⁶ of its size; on the border: [0, 0.3], the constant and 0.
            var at = (ch * 8 + 3) * 8 + 4;
            Assert.Equal(-Mean[ch] / Std[ch], low[at], 1e-6 * Math.Abs(low[at]) + 1e-15);
            Assert.True(low[at] < -Mean[ch] / Std[ch]);
            Assert.Equal((1 - Mean[ch]) / Std[ch], high[at], 1e-6 * high[at] + 1e-15);
            Assert.True(high[at] > (1 - Mean[ch]) / Std[ch]);
            Assert.Equal(0, low[ch * 64]);
            Assert.InRange(high[ch * 64], 0.3, 0.3 * (1 + 1.001e-6));
        }
    }

    // With the carried box the engine and the reference explain the corners of the pixel box and agree; with the pixel box
    // itself, the normalised inputs fall outside it and z^B refuses them.
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void The_carried_box_explains_what_the_pixel_box_refuses(int seed)
    {
        var c = Normalised(seed);
        var composite = Composite.TrainingFreeDtd(Rules.InputBox(c.Network, c.Low, c.High));
        var (ok, why) = EngineParityTests.Agree(c, composite, ExplainOptions.Default);
        Assert.True(ok, why);
        var e = EngineNetwork.Compile(c.Network, composite).Explain([.. c.Input.Data.Select(v => (float)v)]);
        // z^B and z⁺ conserve: float32 sums over ≤ 108 terms per neuron, 1e-4 of f stated as in the engine's parity tests.
        Assert.True(e.Consistency.RelativeError <= 1e-4, $"{e.Consistency.HeatmapSum} + {e.Consistency.BiasRelevance} vs {e.Consistency.Output}");
        var raw = EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(Rules.ZBox(0, 1)));
        Assert.Throws<RuleDomainException>(() => raw.Explain([.. c.Input.Data.Select(v => (float)v)]));
    }

    // The normalisation is the input's change of units: the pixels keep exactly the relevance of the normalised values, in
    // the reference and the engine, and it takes no bias share. A ChannelAffine behind a linear layer stays a neuron.
    [Fact]
    public void Input_normalisation_passes_relevance_through()
    {
        var c = Normalised(5);
        var composite = Composite.TrainingFreeDtd(Rules.InputBox(c.Network, c.Low, c.High));
        var reference = Propagation.Explain(c.Network, c.Input, composite);
        var normalise = reference.Consistency.Layers.Single(l => l.Node == "normalise");
        Assert.Equal((normalise.RelevanceIn, 0.0), (normalise.RelevanceOut, normalise.BiasRelevance));
        var below = reference.Nodes.Single(n => n.Node == "normalise").Relevance.Data;
        Assert.True(below.SequenceEqual(reference.Heatmap.Data));
        var engine = EngineNetwork.Compile(c.Network, composite).Explain([.. c.Input.Data.Select(v => (float)v)]);
        Assert.Equal(0.0, engine.Consistency.Layers.Single(l => l.Node == "normalise").BiasRelevance);
        Assert.Contains("passed through", engine.Consistency.Layers.Single(l => l.Node == "normalise").Redistribution);
    }

    // An embedding added beside the input (a text model's positions) is a constant of the model, not the input's units: it
    // takes its share by the z-rule, R_x = x / y · R_y, reported as bias relevance, in the reference and the engine alike.
    [Fact]
    public void An_embedding_added_beside_the_input_takes_its_share()
    {
        var rng = new Random(6);
        var positions = new ChannelAffine([.. Enumerable.Repeat(1.0, 6)], [.. TwoConvolutions.Random(rng, 6, 1)]) { AddsEmbedding = true };
        var network = new Network(Shape.Of(2, 3), [
            new Node("positions", positions, [Network.InputName]), new Node("flat", new Flatten(), ["positions"]),
            new Node("dense", new Dense(6, 2, TwoConvolutions.Random(rng, 12, 0.5), [0, 0]), ["flat"])]);
        var x = Tensor.Own(network.InputShape, [.. TwoConvolutions.Random(rng, 6, 1)]);
        var reference = Propagation.Explain(network, x, Composite.EpsilonEverywhere(1e-9));
        var above = reference.Nodes.Single(n => n.Node == "positions").Relevance.Data;
        var y = x.Data.Select((v, i) => v + positions.Shift[i]).ToArray();
        for (var i = 0; i < 6; i++) Assert.Equal(x[i] / y[i] * above[i], reference.Heatmap[i], 1e-9 * Math.Max(1, Math.Abs(above[i])));
        var share = reference.Consistency.Layers.Single(l => l.Node == "positions").BiasRelevance;
        Assert.Equal(above.Sum() - reference.Heatmap.Data.Sum(), share, 1e-9);
        Assert.NotEqual(0, share);
        var engine = EngineNetwork.Compile(network, Composite.EpsilonEverywhere(1e-9)).Explain([.. x.Data.Select(v => (float)v)]);
        // float32 against double over six inputs: 1e-5 of the largest value.
        var scale = reference.Heatmap.Data.Max(Math.Abs);
        Assert.All(engine.HeatmapSingles().Zip(reference.Heatmap.Data), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5 * scale, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void A_box_of_the_wrong_size_is_refused()
    {
        var c = Normalised(4);
        Assert.Throws<ShapeMismatchException>(() => Rules.InputBox(c.Network, Tensor.Zeros(Shape.Of(5)), Tensor.Filled(Shape.Of(5), 1)));
    }
}
