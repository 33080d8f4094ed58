using Relevance.Engine;
using Relevance.Onnx;
using static Relevance.IntegrationTests.OnnxBuilder;

namespace Relevance.IntegrationTests;

/// <summary>Vision transformers as PyTorch exports them: torchvision's ViT (data/onnx/tiny_vit, made by
/// scripts/export-tiny-vit.py), a DeiT-style ViT with timm's fused qkv attention and a distillation token
/// (data/onnx/tiny_deit, scripts/export-deit.py) and torchvision's Swin with padded, shifted windows (data/onnx/tiny_swin,
/// scripts/export-tiny-swin.py) import, and explain with the AttnLRP and CP-LRP presets as the reference does.</summary>
public class TransformerTests
{
    [Theory]
    [InlineData("tiny_vit/vit.onnx", "attnlrp")]
    [InlineData("tiny_vit/vit.onnx", "cp-lrp")]
    [InlineData("tiny_deit/deit.onnx", "attnlrp")]
    [InlineData("tiny_deit/deit.onnx", "cp-lrp")]
    [InlineData("tiny_swin/swin.onnx", "attnlrp")]
    [InlineData("tiny_swin/swin.onnx", "cp-lrp")]
    public void A_vit_explains_with_each_preset_as_the_reference_does(string file, string preset)
    {
        var model = OnnxImporter.Load(RepositoryData.Path(["onnx", .. file.Split('/')]));
        var composite = Composite.Preset(preset);
        var options = Composite.PresetOptions(preset, ExplainOptions.Default);
        var engine = EngineNetwork.Compile(model.Network, composite, options);
        var input = OnnxParityTests.RandomInput(model, 5, 1);
        var ours = engine.Explain(input);
        // The network both explain: Dropout (Swin's) removed, as the engine's canonizers do.
        var network = Canonizers.Canonize(model.Network);
        var reference = Reference.Propagation.Explain(network, Tensor.From(network.InputShape, [.. input.Select(v => (double)v)]), composite, options);

        Assert.Equal(reference.Target, ours.Target);
        Assert.Equal(network.Nodes.Length, ours.Consistency.Layers.Length);
        var (heatmap, expected) = (ours.HeatmapSingles(), reference.Heatmap.Data);
        Assert.All(heatmap, r => Assert.True(float.IsFinite(r)));
        // float32 against double through two encoder layers: pixels agree to ~1e-8 of the largest (measured), rounding that
        // ε-rule denominators near 0 may amplify; 1e-5 leaves that room, while a wrong rule or share moves pixels by a
        // sizeable fraction of the largest.
        var scale = expected.Max(Math.Abs);
        for (var i = 0; i < heatmap.Length; i++)
            Assert.True(Math.Abs(heatmap[i] - expected[i]) <= 1e-5 * scale, $"{preset}, pixel {i}: engine {heatmap[i]}, reference {expected[i]} (largest {scale})");
        foreach (var (a, b) in ours.Consistency.Layers.Zip(reference.Consistency.Layers))
        {
            Assert.Equal((b.Node, b.Redistribution), (a.Node, a.Redistribution));
            Assert.True(Math.Abs(a.BiasRelevance - b.BiasRelevance) <= 1e-4 * Math.Max(1, Math.Abs(b.BiasRelevance)), $"{preset}, {a.Node}: bias {a.BiasRelevance} vs {b.BiasRelevance}");
        }

        // CP-LRP holds every attention matrix constant, so no Softmax receives relevance; AttnLRP sends some through each.
        var softmaxes = ours.Consistency.Layers.Where(l => l.Layer == "Softmax").ToList();
        Assert.Equal(file.Contains("swin") ? 4 : 2, softmaxes.Count);
        foreach (var s in softmaxes)
            if (preset == "cp-lrp") Assert.Equal(0, s.RelevanceIn);
            else Assert.NotEqual(0, s.RelevanceIn);
    }

    // The batch axis leaves the front and comes back as attention's exports move it ([1, T, D] → [T, 1, D] → [T, H, D/H] →
    // [H, T, D/H] and back), a constant joins the tokens (a class token), another is added element by element (a position
    // embedding), and one token is picked out (the class token's output): each held to ONNX Runtime.
    [Fact]
    public void Batch_axis_moves_a_class_token_a_position_embedding_and_a_picked_token()
    {
        var b = new OnnxBuilder("x", 1, 3, 4);
        b.Node("Concat", [b.Weights("token", 1, 1, 4), "x"], "tokens", Int("axis", 1))
            .Node("Add", ["tokens", b.Weights("position", 1, 4, 4)], "embedded")
            .Node("Transpose", ["embedded"], "sequence_first", Ints("perm", 1, 0, 2))
            .Node("Reshape", ["sequence_first", b.Ints64("heads", 4, 2, 2)], "split")
            .Node("Transpose", ["split"], "head_first", Ints("perm", 1, 0, 2))
            .Node("Softmax", ["head_first"], "weights", Int("axis", -1))
            .Node("Transpose", ["weights"], "back", Ints("perm", 1, 0, 2))
            .Node("Reshape", ["back", b.Ints64("joined", 4, 1, 4)], "joined_heads")
            .Node("Transpose", ["joined_heads"], "batch_first", Ints("perm", 1, 0, 2))
            .Node("Gather", ["batch_first", b.Ints64Scalar("first", 0)], "class_token", Int("axis", 1))
            .Node("Gemm", ["class_token", b.Weights("head", 3, 4)], "y", Int("transB", 1));
        var path = b.Save("y", 13, 1, 3);
        var network = OnnxImporter.Load(path).Network;
        Assert.Contains(network.Nodes, n => n.Layer is ChannelAffine { Channels: 16 });
        OperatorParityTests.AssertParity(path);
    }

    // Swin's window plumbing on a channels-last map: padded at the bottom and right to whole windows, rolled (torch.roll:
    // two slices joined along a spatial axis), and merged by strided slices (every other row and column) joined along the
    // channels; each held to ONNX Runtime.
    [Fact]
    public void Channels_last_padding_a_roll_and_strided_slices()
    {
        var b = new OnnxBuilder("x", 1, 3, 3, 2);
        b.Node("Pad", ["x", b.Ints64("pads", 0, 0, 0, 0, 0, 1, 1, 0)], "padded")
            .Node("Slice", ["padded", b.Ints64("tail_from", 1), b.Ints64("tail_to", 4), b.Ints64("tail_axis", 1)], "tail")
            .Node("Slice", ["padded", b.Ints64("head_from", 0), b.Ints64("head_to", 1), b.Ints64("head_axis", 1)], "head")
            .Node("Concat", ["tail", "head"], "rolled", Int("axis", 1))
            .Node("Slice", ["rolled", b.Ints64("even_from", 0, 0), b.Ints64("even_to", 4, 4), b.Ints64("even_axes", 1, 2), b.Ints64("even_steps", 2, 2)], "even")
            .Node("Slice", ["rolled", b.Ints64("odd_from", 1, 0), b.Ints64("odd_to", 4, 4), b.Ints64("odd_axes", 1, 2), b.Ints64("odd_steps", 2, 2)], "odd")
            .Node("Concat", ["even", "odd"], "merged", Int("axis", -1))
            .Node("Mul", ["merged", b.Weights("scale", 4)], "y");
        var path = b.Save("y", 13, 1, 2, 2, 4);
        var network = OnnxImporter.Load(path).Network;
        Assert.Contains(network.Nodes, n => n.Layer is Slice { Step: 2 });
        Assert.Contains(network.Nodes, n => n.Layer is Pad2d);
        OperatorParityTests.AssertParity(path);
    }

    [Fact]
    public void Gather_of_several_tokens_is_refused_with_its_node()
    {
        var b = new OnnxBuilder("x", 1, 3, 4);
        var path = b.Node("Gather", ["x", b.Ints64("pair", 0, 1)], "pair_of_tokens", Int("axis", 1)).Save("pair_of_tokens", 13, 1, 2, 4);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        File.Delete(path);
        Assert.Contains("pair_of_tokens", e.Message);
        Assert.Contains("one index", e.Message);
    }

    // Once the batch axis has moved, ONNX's axis 1 is the node's second axis: a Concat along it joins there (through a
    // transpose that brings it first), not along the channels the Concat layer joins.
    [Fact]
    public void Concat_along_a_batchless_tensors_second_axis_joins_there()
    {
        var b = new OnnxBuilder("x", 1, 3, 4);
        b.Node("Transpose", ["x"], "sequence_first", Ints("perm", 1, 0, 2)).Node("Concat", ["sequence_first", "sequence_first"], "doubled", Int("axis", 1));
        OperatorParityTests.AssertParity(b.Save("doubled", 13, 3, 2, 4));
    }

    // Shape computations as Swin's exports write them: a bool condition picks between a constant and a Mod (Python's sign
    // convention: −2 mod 8 = 6, where C's fmod gives −2, no valid dimension), folded into the reshape target [1, 6].
    [Fact]
    public void Shape_computations_with_bool_conditions_and_mod_are_folded()
    {
        var b = new OnnxBuilder("x", 1, 2, 3);
        b.Node("Mod", [b.Ints64("dividends", 13, -2), b.Ints64("divisors", 4, 8)], "remainders")
            .Node("Where", [b.Bools("keep_first", true, false), b.Ints64("batch", 1, 0), "remainders"], "target")
            .Node("Reshape", ["x", "target"], "flat")
            .Node("Gemm", ["flat", b.Weights("w", 6, 2)], "y");
        var path = b.Save("y", 13, 1, 2);
        Assert.Contains(OnnxImporter.Load(path).Network.Nodes, n => n.Layer is Flatten);
        OperatorParityTests.AssertParity(path);

        var refused = new OnnxBuilder("x", 1, 4);
        var bad = refused.Node("Mod", ["x", refused.Ints64("four", 4)], "computed_mod").Save("computed_mod", 13, 1, 4);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(bad));
        File.Delete(bad);
        Assert.Contains("computed_mod", e.Message);
        Assert.Contains("shape computations", e.Message);
    }
}
