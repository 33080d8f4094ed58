using Relevance.Engine;
using Relevance.Onnx;
using static Relevance.IntegrationTests.OnnxBuilder;

namespace Relevance.IntegrationTests;

/// <summary>Operators that no shipped model uses, built in code and held to ONNX Runtime.</summary>
public class OperatorParityTests
{
    internal static void AssertParity(string path, float tolerance = 1e-4f)
    {
        var model = OnnxImporter.Load(path);
        var engine = EngineNetwork.Compile(model.Network, Composite.Uniform(Rules.Epsilon()));
        var input = OnnxParityTests.RandomInput(model, 3, 2).Select(v => v - 1).ToArray();
        var ours = engine.Forward(input);
        var reference = Reference.Forward.Output(model.Network, Tensor.From(model.Network.InputShape, [.. input.Select(v => (double)v)])).ToArray();
        if (model.StrippedSoftmax) (ours, reference) = (OnnxParityTests.Softmax(ours), [.. OnnxParityTests.Softmax([.. reference.Select(v => (float)v)]).Select(v => (double)v)]);
        var theirs = OnnxParityTests.RuntimeOutput(path, model, input);
        Assert.Equal(theirs.Length, ours.Length);
        for (var i = 0; i < theirs.Length; i++)
        {
            Assert.True(Math.Abs(ours[i] - theirs[i]) <= tolerance * Math.Max(1, Math.Abs(theirs[i])), $"engine output {i}: {ours[i]} vs ONNX Runtime {theirs[i]}");
            Assert.True(Math.Abs(reference[i] - theirs[i]) <= tolerance * Math.Max(1, Math.Abs(theirs[i])), $"reference output {i}: {reference[i]} vs ONNX Runtime {theirs[i]}");
        }
        File.Delete(path);
    }

    [Fact]
    public void Local_response_normalisation()
    {
        var b = new OnnxBuilder("x", 1, 5, 4, 4);
        AssertParity(b.Node("LRN", ["x"], "y", Int("size", 3), Float("alpha", 0.5f), Float("beta", 0.75f), Float("bias", 2f)).Save("y", 13, 1, 5, 4, 4));
    }

    [Fact]
    public void Same_upper_convolution_then_padded_average_and_max_pooling_and_a_residual_sum()
    {
        var b = new OnnxBuilder("x", 1, 2, 7, 6);
        var w = b.Weights("w", 3, 2, 4, 4);
        var w2 = b.Weights("w2", 3, 3, 1, 1);
        b.Node("Conv", ["x", w], "c", String("auto_pad", "SAME_UPPER"), Ints("strides", 2, 2))
            .Node("Relu", ["c"], "r")
            .Node("AveragePool", ["r"], "a", Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Ints("strides", 1, 1))
            .Node("MaxPool", ["a"], "m", Ints("kernel_shape", 2, 2), Ints("pads", 1, 0, 0, 1), Ints("strides", 1, 1))
            .Node("Conv", ["m", w2], "m2")
            .Node("Sum", ["m", "m2", "m"], "s");
        AssertParity(b.Save("s", 13, 1, 3, 5, 4));
    }

    [Fact]
    public void Flatten_then_matmul_with_a_bias_add()
    {
        var b = new OnnxBuilder("x", 1, 2, 3, 3);
        var w = b.Weights("w", 18, 4);
        var bias = b.Weights("b", 4);
        b.Node("Flatten", ["x"], "f").Node("MatMul", ["f", w], "m").Node("Add", ["m", bias], "y");
        AssertParity(b.Save("y", 9, 1, 4));
    }

    // With a batch of one, Flatten at axis 0 (or −4) gives the same [1, N] as axis 1; Gemm follows as Keras exports do.
    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(-3)]
    public void Flatten_at_the_batch_axis_or_a_negative_one(long axis)
    {
        var b = new OnnxBuilder("x", 1, 2, 3, 3);
        b.Node("Flatten", ["x"], "f", Int("axis", axis)).Node("Gemm", ["f", b.Weights("w", 18, 4), b.Weights("b", 4)], "y");
        AssertParity(b.Save("y", 13, 1, 4));
    }

    [Fact]
    public void Flatten_that_folds_features_into_the_batch_axis_is_refused_with_its_node()
    {
        var b = new OnnxBuilder("x", 1, 2, 3, 3);
        b.Node("Flatten", ["x"], "f", Int("axis", 2)).Node("Relu", ["f"], "y");
        var path = b.Save("y", 13, 2, 9);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        Assert.Contains("'f'", e.Message);
        Assert.Contains("batch axis", e.Message);
        File.Delete(path);
    }

    /// <summary>A Keras CNN as tf2onnx exports it: the input channels last, a Transpose to channels first before the first
    /// convolution and back before Keras's Flatten, a Gemm at the end.</summary>
    internal static string ChannelsLastModel()
    {
        var b = new OnnxBuilder("x", 1, 10, 9, 3);
        b.Node("Transpose", ["x"], "nchw", Ints("perm", 0, 3, 1, 2))
            .Node("Conv", ["nchw", b.Weights("w", 4, 3, 3, 3), b.Weights("cb", 4)], "c", Ints("pads", 1, 1, 1, 1))
            .Node("Relu", ["c"], "r").Node("Transpose", ["r"], "nhwc", Ints("perm", 0, 2, 3, 1))
            .Node("Flatten", ["nhwc"], "f").Node("Gemm", ["f", b.Weights("d", 360, 5), b.Weights("db", 5)], "y");
        return b.Save("y", 13, 1, 5);
    }

    // Explained channels first (Network.WithChannelsFirstInput), it is the same function of the transposed photo, and its
    // heatmap is the transposed heatmap of the model as exported (both with z^B's box carried to the convolution).
    [Fact]
    public void A_channels_last_model_as_tf2onnx_exports_it()
    {
        var path = ChannelsLastModel();
        var model = OnnxImporter.Load(path);
        Assert.True(model.Network.TakesChannelsLastImage);
        var first = model.Network.WithChannelsFirstInput();
        Assert.Equal(Shape.Of(3, 10, 9), first.InputShape);
        var rng = new Random(3);
        var hwc = Enumerable.Range(0, 270).Select(_ => rng.NextDouble()).ToArray();
        var chw = new double[270];
        for (var y = 0; y < 10; y++)
            for (var x = 0; x < 9; x++)
                for (var c = 0; c < 3; c++)
                    chw[(c * 10 + y) * 9 + x] = hwc[(y * 9 + x) * 3 + c];
        Explanation Explain(Network n, double[] input) => EngineNetwork.Compile(n, Composite.TrainingFreeDtd(
            Rules.InputBox(n, Tensor.Zeros(n.InputShape), Tensor.Filled(n.InputShape, 1)))).Explain([.. input.Select(v => (float)v)], target: 2);
        var (asExported, channelsFirst) = (Explain(model.Network, hwc), Explain(first, chw));
        Assert.Equal(asExported.Output, channelsFirst.Output, 5);
        for (var y = 0; y < 10; y++)
            for (var x = 0; x < 9; x++)
                for (var c = 0; c < 3; c++)
                    Assert.Equal(asExported.Heatmap[(y * 9 + x) * 3 + c], channelsFirst.Heatmap[(c * 10 + y) * 9 + x], 5);
        Assert.Throws<InvalidOperationException>(() => first.WithChannelsFirstInput());
        AssertParity(path);
    }

    // tf2onnx's other Keras heads: a symbolic batch axis, global average pooling as ReduceMean over the channels-last
    // spatial axes (keepdims 0, or 1 then Squeeze), Dense as MatMul + Add, and the softmax activation in the graph.
    [Theory]
    [InlineData(false, 13)]
    [InlineData(true, 13)]
    [InlineData(true, 11)]
    public void A_channels_last_model_with_global_pooling_and_a_softmax_as_tf2onnx_exports_it(bool keepDims, long opset)
    {
        var b = new OnnxBuilder("x", 1, 7, 6, 3).SymbolicBatch("unk__6");
        b.Node("Transpose", ["x"], "nchw", Ints("perm", 0, 3, 1, 2))
            .Node("Conv", ["nchw", b.Weights("w", 4, 3, 3, 3), b.Weights("cb", 4)], "c", String("auto_pad", "SAME_UPPER"))
            .Node("Relu", ["c"], "r").Node("Transpose", ["r"], "nhwc", Ints("perm", 0, 2, 3, 1))
            .Node("ReduceMean", ["nhwc"], keepDims ? "m" : "pooled", Ints("axes", 1, 2), Int("keepdims", keepDims ? 1 : 0));
        if (keepDims)
        {
            if (opset >= 13) b.Node("Squeeze", ["m", b.Ints64("axes", 1, 2)], "pooled");
            else b.Node("Squeeze", ["m"], "pooled", Ints("axes", 1, 2));
        }
        b.Node("MatMul", ["pooled", b.Weights("d", 4, 5)], "mm").Node("Add", ["mm", b.Weights("db", 5)], "logits")
            .Node("Softmax", ["logits"], "y", Int("axis", -1));
        var path = b.Save("y", opset, 1, 5);
        var model = OnnxImporter.Load(path);
        Assert.True(model.StrippedSoftmax);
        Assert.True(model.Network.TakesChannelsLastImage);
        Assert.Equal(Shape.Of(5), model.Network.OutputShape);
        AssertParity(path);
    }

    // Gemm's alpha scales A·B, beta the bias C; transB stores B as [out × in] (PyTorch's nn.Linear), which raw data in the
    // file decodes straight into the Dense layer's [in × out] (33 × 40 crosses the transposition's 32 × 32 tiles).
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(1, true)]
    public void Gemm_with_alpha_beta_and_transposed_weights(long transB, bool raw)
    {
        var b = new OnnxBuilder("x", 1, 7);
        if (raw) b.RawData();
        var w = transB == 1 ? b.Weights("w", 3, 7) : b.Weights("w", 7, 3);
        b.Node("Gemm", ["x", w, b.Weights("c", 3)], "g", Float("alpha", 0.7f), Float("beta", -1.5f), Int("transB", transB)).Node("Relu", ["g"], "r");
        var wide = transB == 1 ? b.Weights("w2", 40, 3) : b.Weights("w2", 3, 40);
        b.Node("Gemm", ["r", wide, b.Weights("c2", 40)], "h", Int("transB", transB)).Node("Relu", ["h"], "s")
            .Node("Gemm", ["s", transB == 1 ? b.Weights("w3", 33, 40) : b.Weights("w3", 40, 33)], "y", Float("alpha", -2f), Int("transB", transB));
        AssertParity(b.Save("y", 13, 1, 33));
    }

    // A file is read through a memory map, its weights decoded from the file's pages; bytes in memory are read through a
    // pinned copy. Both give the same network, value for value (every shipped model, and one PyTorch classifier's shared
    // transposed weights, which also matches ONNX Runtime; the shipped models are held to it by OnnxParityTests).
    [Theory]
    [InlineData("mnist-8/mnist-8.onnx")]
    [InlineData("squeezenet1.1_fp16_winml/SqueezeNet_fp16.onnx")]
    [InlineData("cifar10_winml_tutorial/ImageClassifier_cifar10.onnx")]
    [InlineData("webmnist_lenet5/lenet5.onnx")]
    [InlineData("")]
    public void A_mapped_file_imports_as_its_bytes_do(string file)
    {
        string path;
        if (file.Length > 0) path = RepositoryData.Path(["onnx", .. file.Split('/')]);
        else
        {
            var b = new OnnxBuilder("x", 1, 6).RawData();
            var w = b.Weights("w", 6, 6);
            b.Node("Identity", [w], "w_shared").Node("Gemm", ["x", w], "g", Int("transB", 1)).Node("Relu", ["g"], "r")
                .Node("Gemm", ["r", "w_shared", b.Weights("c", 6)], "y", Int("transB", 1), Float("alpha", 0.5f));
            path = b.Save("y", 13, 1, 6);
        }
        var (mapped, parsed) = (OnnxImporter.Load(path).Network, OnnxImporter.Load(File.ReadAllBytes(path)).Network);
        Assert.Equal(parsed.Nodes.Select(n => (n.Name, n.Layer.Kind)), mapped.Nodes.Select(n => (n.Name, n.Layer.Kind)));
        foreach (var (p, m) in parsed.Nodes.Zip(mapped.Nodes))
            switch (p.Layer, m.Layer)
            {
                case (Dense a, Dense c):
                    Assert.Equal(a.Weights.ToArray(), c.Weights.ToArray());
                    Assert.Equal(a.Bias.ToArray(), c.Bias.ToArray());
                    break;
                case (Conv2d a, Conv2d c):
                    Assert.Equal(a.Weights.ToArray(), c.Weights.ToArray());
                    Assert.Equal(a.Bias.ToArray(), c.Bias.ToArray());
                    break;
            }
        if (file.Length == 0)
        {
            AssertParity(path);
            return;
        }
        Assert.Contains(mapped.Nodes, n => n.Layer is Dense or Conv2d);
    }

    [Fact]
    public void Gemm_with_transposed_input_is_refused_with_its_node()
    {
        var b = new OnnxBuilder("x", 1, 7);
        b.Node("Gemm", ["x", b.Weights("w", 1, 3)], "g", Int("transA", 1)).Node("Relu", ["g"], "y");
        var path = b.Save("y", 13, 7, 3);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        Assert.Contains("'g'", e.Message);
        Assert.Contains("transA", e.Message);
        File.Delete(path);
    }

    [Theory]
    [InlineData("Squeeze", new long[] { 0 }, "batch axis")]
    [InlineData("Squeeze", new long[] { 1 }, "length 1")]
    [InlineData("Unsqueeze", new long[] { 0 }, "batch axis")]
    [InlineData("Unsqueeze", new long[] { 9 }, "rank")]
    public void Squeeze_or_unsqueeze_that_moves_the_batch_axis_or_misses_is_refused_with_its_node(string op, long[] axes, string message)
    {
        var b = new OnnxBuilder("x", 1, 2, 1, 3);
        b.Node(op, ["x", b.Ints64("axes", axes)], "s").Node("Relu", ["s"], "y");
        var path = b.Save("y", 13, 1, 2, 3);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        Assert.Contains("'s'", e.Message);
        Assert.Contains(message, e.Message);
        File.Delete(path);
    }

    [Fact]
    public void Weights_shared_through_identity_as_pytorch_exports_them()
    {
        // torch.onnx passes an initializer used by two layers (here one convolution's weights) through Identity nodes.
        var b = new OnnxBuilder("x", 1, 2, 5, 5);
        var w = b.Weights("w", 2, 2, 3, 3);
        b.Node("Identity", [w], "w_a").Node("Identity", ["w_a"], "w_b")
            .Node("Conv", ["x", "w_a"], "c1", Ints("pads", 1, 1, 1, 1)).Node("Relu", ["c1"], "r")
            .Node("Conv", ["r", "w_b"], "c2", Ints("pads", 1, 1, 1, 1));
        AssertParity(b.Save("c2", 13, 1, 2, 5, 5));
    }

    // Conv → activation → Conv on inputs in [−1, 1] with weights in [−1, 1]: the convolution spreads values over about
    // [−6, 6], across every kink of the activations below.
    private static string Activated(Func<OnnxBuilder, string, string> activation, long opset)
    {
        var b = new OnnxBuilder("x", 1, 2, 5, 5);
        var w = b.Weights("w", 3, 2, 3, 3);
        var w2 = b.Weights("w2", 2, 3, 1, 1);
        b.Node("Conv", ["x", w], "c", Ints("pads", 1, 1, 1, 1));
        var a = activation(b, "c");
        b.Node("Conv", [a, w2], "y");
        return b.Save("y", opset, 1, 2, 5, 5);
    }

    [Theory]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    [InlineData("HardSwish")]
    public void Element_wise_activations(string op) => AssertParity(Activated((b, x) => { b.Node(op, [x], "a"); return "a"; }, 14));

    [Fact]
    public void Hard_sigmoid_and_leaky_relu_with_their_attributes() =>
        AssertParity(Activated((b, x) =>
        {
            b.Node("HardSigmoid", [x], "h", Float("alpha", 0.3f), Float("beta", 0.4f)).Node("LeakyRelu", [x], "l", Float("alpha", 0.1f)).Node("Add", ["h", "l"], "a");
            return "a";
        }, 14));

    [Fact]
    public void Clip_with_constant_bounds_as_inputs_and_relu6() =>
        AssertParity(Activated((b, x) =>
        {
            b.Node("Clip", [x, b.Scalar("lo", 0), b.Scalar("hi", 0.6f)], "r6").Node("Clip", [x, "", b.Scalar("hi2", 0.2f)], "top").Node("Add", ["r6", "top"], "a");
            return "a";
        }, 13));

    [Fact]
    public void Clip_with_bounds_as_attributes_before_opset_11() =>
        AssertParity(Activated((b, x) => { b.Node("Clip", [x], "a", Float("min", -0.5f), Float("max", 0.5f)); return "a"; }, 9));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SiLU_as_pytorch_exports_it(bool sigmoidFirst) =>
        AssertParity(Activated((b, x) =>
        {
            b.Node("Sigmoid", [x], "s").Node("Mul", sigmoidFirst ? ["s", x] : [x, "s"], "a");
            return "a";
        }, 14));

    // GELU as PyTorch exports it (opsets 13–18): x / √2 → Erf → + 1, multiplied by x and by ½ in each of the orders
    // exporters write; one Gelu layer, its intermediate nodes gone.
    [Theory]
    [InlineData("x-then-half")]
    [InlineData("half-then-x")]
    [InlineData("half-of-x")]
    public void Gelu_as_pytorch_exports_it(string order) =>
        AssertParity(Activated((b, x) =>
        {
            // The 1 as a Constant node written between the Erf and the Add, as PyTorch writes it.
            b.Node("Div", [x, b.Scalar("sqrt2", MathF.Sqrt(2))], "d").Node("Erf", ["d"], "e")
                .Node("Constant", [], "one", Float("value_float", 1f)).Node("Add", ["e", "one"], "p");
            var half = b.Scalar("half", 0.5f);
            _ = order switch
            {
                "x-then-half" => b.Node("Mul", [x, "p"], "m").Node("Mul", ["m", half], "a"),
                "half-then-x" => b.Node("Mul", ["p", half], "m").Node("Mul", [x, "m"], "a"),
                _ => b.Node("Mul", [x, half], "h").Node("Mul", ["h", "p"], "a"),
            };
            return "a";
        }, 13));

    // GELU's tanh form as PyTorch exports it (nn.GELU(approximate="tanh"), opset 13): x · x · x (or Pow(x, 3)), × 0.044715,
    // + x, × √(2/π), Tanh, + 1, × x, × ½; one Gelu layer of the tanh form, nothing else left.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gelu_in_its_tanh_form_as_pytorch_exports_it(bool pow)
    {
        var path = Activated((b, x) =>
        {
            if (pow) b.Node("Pow", [x, b.Scalar("three", 3)], "cube");
            else b.Node("Mul", [x, x], "square").Node("Mul", [x, "square"], "cube");
            b.Node("Mul", [b.Scalar("k", 0.044715f), "cube"], "weighted").Node("Add", [x, "weighted"], "i")
                .Node("Mul", [b.Scalar("s", MathF.Sqrt(2 / MathF.PI)), "i"], "z").Node("Tanh", ["z"], "t")
                .Node("Add", [b.Scalar("one", 1), "t"], "p").Node("Mul", [x, "p"], "m").Node("Mul", [b.Scalar("half", 0.5f), "m"], "a");
            return "a";
        }, 13);
        Assert.Equal(["Conv2d", "Gelu", "Conv2d"], OnnxImporter.Load(path).Network.Nodes.Select(n => n.Layer.Kind));
        Assert.Contains(OnnxImporter.Load(path).Network.Nodes, n => n.Layer is Gelu { TanhApproximation: true });
        AssertParity(path);
    }

    [Fact]
    public void Gelu_imports_as_one_layer_and_relevance_passes_through_it()
    {
        var b = new OnnxBuilder("x", 1, 2, 5, 5);
        var w = b.Weights("w", 3, 2, 3, 3);
        b.Node("Conv", ["x", w], "c", Ints("pads", 1, 1, 1, 1))
            .Node("Div", ["c", b.Scalar("sqrt2", MathF.Sqrt(2))], "d").Node("Erf", ["d"], "e").Node("Add", ["e", b.Scalar("one", 1)], "p")
            .Node("Mul", ["c", "p"], "m").Node("Mul", ["m", b.Scalar("half", 0.5f)], "g").Node("Flatten", ["g"], "f");
        var path = b.Save("f", 13, 1, 75);
        var model = OnnxImporter.Load(path);
        File.Delete(path);
        Assert.Equal(["Conv2d", "Gelu", "Flatten"], model.Network.Nodes.Select(n => n.Layer.Kind));
        var input = OnnxParityTests.RandomInput(model, 3, 2).Select(v => v - 1).ToArray();
        var explanation = Explainer.Create(model.Network, Composite.Uniform(Rules.Epsilon())).Explain(input, target: 7);
        var gelu = explanation.Consistency.Layers.Single(l => l.Layer == "Gelu");
        Assert.Equal(("pass-through", gelu.RelevanceIn), (gelu.Redistribution, gelu.RelevanceOut));
    }

    // LayerNormalization (opset 17) over the last axis, with and without its bias input, after a convolution (each row of
    // each channel normalised); another axis is refused with its node.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Layer_normalisation_over_the_last_axis(bool bias)
    {
        var b = new OnnxBuilder("x", 1, 2, 5, 5);
        var w = b.Weights("w", 3, 2, 3, 3);
        var w2 = b.Weights("w2", 2, 3, 1, 1);
        b.Node("Conv", ["x", w], "c", Ints("pads", 1, 1, 1, 1));
        b.Node("LayerNormalization", bias ? ["c", b.Positive("gamma", 5), b.Weights("beta", 5)] : ["c", b.Positive("gamma", 5)], "n", Float("epsilon", 1e-3f));
        AssertParity(b.Node("Conv", ["n", w2], "y").Save("y", 17, 1, 2, 5, 5));

        var refused = new OnnxBuilder("x", 1, 2, 5, 5);
        refused.Node("LayerNormalization", ["x", refused.Positive("g", 5)], "across", Int("axis", 1));
        var path = refused.Save("across", 17, 1, 2, 5, 5);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        File.Delete(path);
        Assert.Contains("across", e.Message);
        Assert.Contains("last axis", e.Message);
    }

    // A Softmax inside the graph over the last axis (attention weights), at opset 13 (its axis alone) and 11 (the axes from
    // `axis` on: the last alone when it is the last); from opset 13 over any other axis too (between transposes), and before
    // 13 over the flattened axes from a middle one on, refused with its node.
    [Theory]
    [InlineData(13, -1)]
    [InlineData(11, 3)]
    [InlineData(13, 1)]
    [InlineData(13, -2)]
    public void Softmax_inside_the_graph(long opset, long axis)
    {
        var b = new OnnxBuilder("x", 1, 2, 5, 5);
        var w = b.Weights("w", 3, 2, 3, 3);
        var w2 = b.Weights("w2", 2, 3, 1, 1);
        b.Node("Conv", ["x", w], "c", Ints("pads", 1, 1, 1, 1)).Node("Softmax", ["c"], "s", Int("axis", axis));
        AssertParity(b.Node("Conv", ["s", w2], "y").Save("y", opset, 1, 2, 5, 5));

        var refused = new OnnxBuilder("x", 1, 2, 5, 5);
        refused.Node("Softmax", ["x"], "channels", Int("axis", 1)).Node("Relu", ["channels"], "y");
        var path = refused.Save("y", 11, 1, 2, 5, 5);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        File.Delete(path);
        Assert.Contains("channels", e.Message);
        Assert.Contains("last axis", e.Message);
    }

    // Einsum as attention and linear layers write it: Q·Kᵀ and A·V over heads, "…" spelled out, a constant matrix applied
    // to the last axis (a linear layer), results transposed to the equation's order; each held to ONNX Runtime.
    [Fact]
    public void Einsum_products()
    {
        var b = new OnnxBuilder("x", 1, 2, 3, 4);
        b.Node("Mul", ["x", b.Weights("scale", 4)], "q")
            .Node("Einsum", ["q", "x"], "scores", String("equation", "bhid,bhjd->bhij"))
            .Node("Softmax", ["scores"], "weights", Int("axis", -1))
            .Node("Einsum", ["weights", "x"], "context", String("equation", "...ij,...jd->...id"))
            .Node("Einsum", ["context", b.Weights("w", 4, 5)], "y", String("equation", "bhld,dk->bkhl"));
        var path = b.Save("y", 13, 1, 5, 2, 3);
        var network = OnnxImporter.Load(path).Network;
        Assert.Equal(2, network.Nodes.Count(n => n.Layer is MatMul));
        Assert.Contains(network.Nodes, n => n.Layer is MatMul { AttentionInput: 0 });
        Assert.Contains(network.Nodes, n => n.Layer is Conv2d);
        AssertParity(path);

        // Several summed letters merged into one, two own letters of the first operand merged, the implicit output.
        var merged = new OnnxBuilder("x", 1, 2, 3, 4);
        merged.Node("Relu", ["x"], "r").Node("Einsum", ["x", "r"], "y", String("equation", "bijk,bljk"));
        AssertParity(merged.Save("y", 13, 1, 2, 2));

        foreach (var (equation, inputs) in new[] { ("bhi,bhj->bhij", new[] { "x", "x" }), ("bhij->bhi", ["x"]), ("bhij,bhij->bhij", ["x", "x"]) })
        {
            var refused = new OnnxBuilder("x", 1, 2, 3);
            var bad = refused.Node("Einsum", inputs, "e", String("equation", equation)).Save("e", 13, 1, 2, 3, 3);
            var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(bad));
            File.Delete(bad);
            Assert.Contains("Einsum", e.Message);
        }
    }

    // A single-head attention block as an exporter writes it: q, k, v from 1-channel convolutions, Q·Kᵀ (a Transpose of the
    // last two axes), a scale, Softmax over the keys, times V. MatMul of two computed tensors imports as one layer each.
    [Fact]
    public void Attention_of_two_products_and_a_softmax()
    {
        var b = new OnnxBuilder("x", 1, 2, 4, 4);
        foreach (var name in new[] { "q", "k", "v" })
            b.Node("Conv", ["x", b.Weights($"w{name}", 1, 2, 3, 3)], name, Ints("pads", 1, 1, 1, 1));
        b.Node("Transpose", ["k"], "kt", Ints("perm", 0, 1, 3, 2))
            .Node("MatMul", ["q", "kt"], "scores")
            .Node("Mul", ["scores", b.Scalar("scale", 0.5f)], "scaled")
            .Node("Softmax", ["scaled"], "weights", Int("axis", -1))
            .Node("MatMul", ["weights", "v"], "attended")
            .Node("Relu", ["attended"], "y");
        var path = b.Save("y", 13, 1, 1, 4, 4);
        Assert.Equal(2, OnnxImporter.Load(path).Network.Nodes.Count(n => n.Layer is MatMul));
        AssertParity(path);
    }

    // A constant matrix on the last axis of tokens (a transformer's linear layers) with its bias Add, and on a channels-last
    // image (ConvNeXt's pointwise layers), without one: each a 1×1 convolution between transposes, the bias folded into it.
    [Fact]
    public void Linear_layers_on_tokens_and_on_channels_last_images()
    {
        var b = new OnnxBuilder("x", 1, 2, 4, 4);
        b.Node("Conv", ["x", b.Weights("w", 3, 2, 3, 3)], "c", Ints("pads", 1, 1, 1, 1))
            .Node("Reshape", ["c", b.Ints64("to", 1, 3, 16)], "flat")
            .Node("Transpose", ["flat"], "tokens", Ints("perm", 0, 2, 1))
            .Node("MatMul", ["tokens", b.Weights("proj", 3, 5)], "projected")
            .Node("Add", ["projected", b.Weights("bias", 5)], "biased")
            .Node("Relu", ["biased"], "y");
        var path = b.Save("y", 13, 1, 16, 5);
        var model = OnnxImporter.Load(path);
        Assert.DoesNotContain(model.Network.Nodes, n => n.Layer is Add or ChannelAffine);
        AssertParity(path);

        var pointwise = new OnnxBuilder("x", 1, 2, 4, 4);
        pointwise.Node("Conv", ["x", pointwise.Weights("w", 3, 2, 3, 3)], "c", Ints("pads", 1, 1, 1, 1))
            .Node("Transpose", ["c"], "last", Ints("perm", 0, 2, 3, 1))
            .Node("MatMul", ["last", pointwise.Weights("up", 3, 6)], "y");
        AssertParity(pointwise.Save("y", 13, 1, 4, 4, 6));
    }

    // LayerNorm as PyTorch exports it before opset 17: mean, x − mean, Pow 2, mean, + ε, Sqrt, Div, then × γ and + β when
    // it has them, with the exponent and ε as Constant nodes written just before their uses. One LayerNorm layer.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Layer_normalisation_in_its_decomposed_form(bool affine)
    {
        var b = new OnnxBuilder("x", 1, 2, 5, 5);
        b.Node("Conv", ["x", b.Weights("w", 3, 2, 3, 3)], "c", Ints("pads", 1, 1, 1, 1))
            .Node("ReduceMean", ["c"], "mean", Ints("axes", -1))
            .Node("Sub", ["c", "mean"], "centred")
            .Node("Constant", [], "two", Float("value_float", 2f)).Node("Pow", ["centred", "two"], "squared")
            .Node("ReduceMean", ["squared"], "variance", Ints("axes", -1))
            .Node("Constant", [], "eps", Float("value_float", 1e-5f)).Node("Add", ["variance", "eps"], "stabilised")
            .Node("Sqrt", ["stabilised"], "root")
            .Node("Div", ["centred", "root"], "normalised");
        var last = "normalised";
        if (affine)
        {
            b.Node("Mul", ["normalised", b.Positive("gamma", 5)], "scaled").Node("Add", ["scaled", b.Weights("beta", 5)], "shifted");
            last = "shifted";
        }
        var path = b.Node("Conv", [last, b.Weights("w2", 2, 3, 1, 1)], "y").Save("y", 13, 1, 2, 5, 5);
        Assert.Equal(["Conv2d", "LayerNorm", "Conv2d"], OnnxImporter.Load(path).Network.Nodes.Select(n => n.Layer.Kind));
        AssertParity(path);
    }

    // An Erf outside that pattern has no rule: refused, naming the node and what is supported.
    [Fact]
    public void An_erf_outside_gelu_is_refused_with_its_node()
    {
        var b = new OnnxBuilder("x", 1, 2, 5, 5);
        b.Node("Erf", ["x"], "lonely");
        var path = b.Save("lonely", 13, 1, 2, 5, 5);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        File.Delete(path);
        Assert.Contains("lonely", e.Message);
        Assert.Contains("GELU", e.Message);
    }

    [Fact]
    public void A_product_of_two_computed_tensors_without_a_rule_is_refused_with_its_node()
    {
        var b = new OnnxBuilder("x", 1, 2, 5, 5);
        b.Node("Relu", ["x"], "r").Node("Mul", ["x", "r"], "gated");
        var path = b.Save("gated", 14, 1, 2, 5, 5);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        Assert.Contains("gated", e.Message);
        Assert.Contains("Mul", e.Message);
        File.Delete(path);
    }

    [Fact]
    public void Grouped_and_depthwise_convolutions_with_a_folded_batch_norm_and_a_bias_add()
    {
        var b = new OnnxBuilder("x", 1, 4, 7, 7);
        var w = b.Weights("w", 6, 2, 3, 3);
        var dw = b.Weights("dw", 6, 1, 3, 3);
        b.Node("Conv", ["x", w, b.Weights("bw", 6)], "g", Int("group", 2), Ints("pads", 1, 1, 1, 1))
            .Node("Relu", ["g"], "r")
            .Node("Conv", ["r", dw], "d", Int("group", 6), Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2))
            .Node("Add", ["d", b.Weights("bias", 6, 1, 1)], "db")
            .Node("BatchNormalization", ["db", b.Weights("gamma", 6), b.Weights("beta", 6), b.Weights("mean", 6), b.Positive("var", 6)], "n")
            .Node("Clip", ["n", b.Scalar("lo", 0), b.Scalar("hi", 6)], "y");
        AssertParity(b.Save("y", 13, 1, 6, 4, 4));
    }

    // DeepLab's atrous convolutions: a dilated layer, a dilated depthwise one with uneven padding, and a strided one.
    [Fact]
    public void Dilated_convolutions()
    {
        var b = new OnnxBuilder("x", 1, 3, 13, 12);
        b.Node("Conv", ["x", b.Weights("w1", 4, 3, 3, 3), b.Weights("b1", 4)], "c1", Ints("dilations", 2, 2), Ints("pads", 2, 2, 2, 2))
            .Node("Relu", ["c1"], "r1")
            .Node("Conv", ["r1", b.Weights("w2", 4, 1, 3, 3)], "c2", Int("group", 4), Ints("dilations", 3, 3), Ints("pads", 3, 2, 3, 4))
            .Node("Conv", ["c2", b.Weights("w3", 5, 4, 2, 2)], "y", Ints("dilations", 2, 2), Ints("strides", 2, 2), Ints("pads", 0, 1, 1, 0));
        AssertParity(b.Save("y", 13, 1, 5, 6, 7));
    }

    // SAME_UPPER pads the dilated extent (k − 1)·d + 1, as the ONNX specification defines it (ONNX Runtime refuses
    // dilation with auto_pad, so the padding is checked, not the values): 3×3 taps 3 apart span 7 pixels, 6 of padding.
    [Fact]
    public void Automatic_padding_of_a_dilated_convolution_covers_its_extent()
    {
        var b = new OnnxBuilder("x", 1, 2, 9, 8);
        b.Node("Conv", ["x", b.Weights("w", 3, 2, 3, 3)], "y", Ints("dilations", 3, 3), String("auto_pad", "SAME_UPPER"));
        var path = b.Save("y", 13, 1, 3, 9, 8);
        var conv = Assert.IsType<Conv2d>(OnnxImporter.Load(path).Network.Nodes.Single().Layer);
        Assert.Equal((3, new Padding2d(3, 3, 3, 3)), (conv.Dilation, conv.Pads));
        File.Delete(path);
    }

    [Theory]
    [InlineData(new long[] { 2, 1 })]
    [InlineData(new long[] { 0, 0 })]
    public void Unequal_or_non_positive_dilations_are_refused_with_the_node(long[] dilations)
    {
        var b = new OnnxBuilder("x", 1, 2, 9, 9);
        b.Node("Conv", ["x", b.Weights("w", 3, 2, 3, 3)], "y", Ints("dilations", dilations));
        var path = b.Save("y", 13, 1, 3, 5, 7);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        Assert.Contains("'y'", e.Message);
        Assert.Contains("dilations", e.Message);
        File.Delete(path);
    }

    [Fact]
    public void Zero_pad_before_an_average_pooling_that_counts_it_and_before_a_convolution()
    {
        // PyTorch's AvgPool2d(padding=1) at some opsets: Pad, then an AveragePool whose windows count the zeros.
        var b = new OnnxBuilder("x", 1, 2, 6, 5);
        var pads = b.Ints64("pads", 0, 0, 1, 1, 0, 0, 1, 1);
        b.Node("Pad", ["x", pads], "p").Node("AveragePool", ["p"], "a", Ints("kernel_shape", 3, 3), Ints("strides", 1, 1))
            .Node("Pad", ["a", b.Ints64("pads2", 0, 0, 0, 2, 0, 0, 1, 0)], "p2").Node("Conv", ["p2", b.Weights("w", 3, 2, 2, 2)], "y");
        AssertParity(b.Save("y", 13, 1, 3, 6, 6));
    }

    // A constant other than zero: as an input from opset 11 on, as an attribute before.
    [Fact]
    public void Constant_pad_with_a_value_other_than_zero()
    {
        var b = new OnnxBuilder("x", 1, 2, 5, 4);
        b.Node("Pad", ["x", b.Ints64("pads", 0, 0, 1, 2, 0, 0, 2, 1), b.Scalar("value", -0.75f)], "p")
            .Node("Conv", ["p", b.Weights("w", 3, 2, 3, 3)], "y");
        AssertParity(b.Save("y", 13, 1, 3, 6, 5));
        var old = new OnnxBuilder("x", 1, 2, 5, 4);
        old.Node("Pad", ["x"], "p", Ints("pads", 0, 0, 1, 1, 0, 0, 1, 1), Float("value", 2.5f)).Node("Conv", ["p", old.Weights("w", 3, 2, 3, 3)], "y");
        AssertParity(old.Save("y", 10, 1, 3, 5, 4));
    }

    [Fact]
    public void Zero_pad_with_attributes_before_opset_11()
    {
        var b = new OnnxBuilder("x", 1, 2, 4, 4);
        b.Node("Pad", ["x"], "p", Ints("pads", 0, 0, 2, 0, 0, 0, 0, 1)).Node("Conv", ["p", b.Weights("w", 2, 2, 3, 3)], "y");
        AssertParity(b.Save("y", 9, 1, 2, 4, 3));
    }

    [Theory]
    [InlineData("MaxPool", 7, 3, 2, 0)]
    [InlineData("MaxPool", 8, 3, 2, 0)]
    [InlineData("MaxPool", 14, 3, 2, 1)]
    [InlineData("AveragePool", 9, 2, 2, 0)]
    public void Ceil_mode_pooling_whose_windows_do_not_tile_the_input(string op, int size, int kernel, int stride, int pad)
    {
        var b = new OnnxBuilder("x", 1, 2, size, size);
        b.Node(op, ["x"], "y", Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad), Int("ceil_mode", 1));
        var outputs = (size + 2 * pad - kernel + stride - 1) / stride + 1;
        if ((outputs - 1) * stride >= size + pad) outputs--;
        AssertParity(b.Save("y", 13, 1, 2, outputs, outputs));
    }

    [Fact]
    public void Channel_shuffle_as_reshape_transpose_reshape_after_a_split_as_shufflenet_exports_it()
    {
        var b = new OnnxBuilder("x", 1, 4, 5, 5);
        b.Node("Split", ["x", b.Ints64("sizes", 2, 2)], "", Int("axis", 1));
        b.Outputs("Split", "left", "right")
            .Node("Conv", ["right", b.Weights("w", 2, 2, 3, 3)], "c", Ints("pads", 1, 1, 1, 1)).Node("Relu", ["c"], "r")
            .Node("Concat", ["left", "r"], "joined", Int("axis", 1))
            .Node("Reshape", ["joined", b.Ints64("grouped", 1, 2, 2, 5, 5)], "g")
            .Node("Transpose", ["g"], "t", Ints("perm", 0, 2, 1, 3, 4))
            .Node("Reshape", ["t", b.Ints64("flat", 1, 4, 5, 5)], "y");
        AssertParity(b.Save("y", 13, 1, 4, 5, 5));
    }

    [Fact]
    public void Split_into_equal_parts_and_slices_with_negative_and_open_ends()
    {
        var b = new OnnxBuilder("x", 1, 6, 4, 5);
        b.Node("Split", ["x"], "", Int("axis", -3));
        b.Outputs("Split", "s0", "s1", "s2")
            .Node("Slice", ["s1", b.Ints64("st", -1, 1), b.Ints64("en", long.MaxValue, -1), b.Ints64("ax", 1, 3)], "sl")
            .Node("Slice", ["s2", b.Ints64("st2", 0), b.Ints64("en2", 3), b.Ints64("ax2", 2)], "sl2")
            .Node("Conv", ["sl2", b.Weights("w", 3, 2, 3, 3)], "c")
            .Node("Flatten", ["sl"], "f1").Node("Flatten", ["c"], "f2").Node("Flatten", ["s0"], "f0")
            .Node("Concat", ["f0", "f1", "f2"], "y", Int("axis", 1));
        AssertParity(b.Save("y", 13, 1, 40 + 12 + 9));
    }

    [Fact]
    public void Split_sizes_as_an_attribute_before_opset_13()
    {
        var b = new OnnxBuilder("x", 1, 5, 3, 3);
        b.Node("Split", ["x"], "", Int("axis", 1), Ints("split", 3, 2));
        b.Outputs("Split", "a", "c").Node("Conv", ["a", b.Weights("w", 2, 3, 1, 1)], "ca").Node("Add", ["ca", "c"], "y");
        AssertParity(b.Save("y", 11, 1, 2, 3, 3));
    }

    [Theory]
    [InlineData("Sigmoid")]
    [InlineData("HardSigmoid")]
    public void Squeeze_and_excitation_gating_as_efficientnet_and_mobilenet_v3_export_it(string gate)
    {
        var b = new OnnxBuilder("x", 1, 3, 6, 6);
        b.Node("Conv", ["x", b.Weights("w", 4, 3, 3, 3)], "c", Ints("pads", 1, 1, 1, 1)).Node("Relu", ["c"], "v")
            .Node("GlobalAveragePool", ["v"], "p")
            .Node("Conv", ["p", b.Weights("se1", 2, 4, 1, 1), b.Weights("se1b", 2)], "s1").Node("Relu", ["s1"], "s1r")
            .Node("Conv", ["s1r", b.Weights("se2", 4, 2, 1, 1), b.Weights("se2b", 4)], "s2").Node(gate, ["s2"], "g")
            .Node("Mul", ["v", "g"], "y");
        AssertParity(b.Save("y", 13, 1, 4, 6, 6));
    }

    [Fact]
    public void Hard_swish_as_x_times_its_hard_sigmoid_before_opset_14()
    {
        var b = new OnnxBuilder("x", 1, 2, 5, 5);
        b.Node("Conv", ["x", b.Weights("w", 3, 2, 3, 3)], "c", Ints("pads", 1, 1, 1, 1))
            .Node("HardSigmoid", ["c"], "h", Float("alpha", 1f / 6), Float("beta", 0.5f)).Node("Mul", ["c", "h"], "y");
        var path = b.Save("y", 13, 1, 3, 5, 5);
        Assert.Contains(OnnxImporter.Load(path).Network.Nodes, n => n.Layer is HardSwish);
        AssertParity(path);
    }

    [Theory]
    [InlineData(13, 1)]
    [InlineData(13, 0)]
    [InlineData(18, 0)]
    public void Spatial_reduce_mean_as_mnasnet_exports_it(int opset, int keepdims)
    {
        var b = new OnnxBuilder("x", 1, 3, 4, 5);
        var axes = opset >= 18 ? new[] { "x", b.Ints64("axes", 2, 3) } : new[] { "x" };
        var attributes = opset >= 18 ? new[] { Int("keepdims", keepdims) } : new[] { Ints("axes", -2, -1), Int("keepdims", keepdims) };
        b.Node("ReduceMean", axes, "m", attributes);
        if (keepdims == 1) b.Node("Flatten", ["m"], "f"); else b.Node("Identity", ["m"], "f");
        b.Node("Gemm", ["f", b.Weights("w", 2, 3), b.Weights("bias", 2)], "y", Int("transB", 1));
        AssertParity(b.Save("y", opset, 1, 2));
    }

    [Fact]
    public void Shape_arithmetic_on_constants_is_folded_with_integer_division()
    {
        // Reshape [1, 6, 2, 2] to [1, 2, 3·2·2 / 1, …] with the sizes computed from Shape, Gather, Div and Mul, as exporters write
        // dynamic reshapes: 6 / 4 truncates to 1 in ONNX's int64 arithmetic.
        var b = new OnnxBuilder("x", 1, 6, 2, 2);
        b.Node("Shape", ["x"], "s").Node("Gather", ["s", b.Ints64("one", 1)], "ch")
            .Node("Div", ["ch", b.Ints64("four", 4)], "q").Node("Mul", ["q", b.Ints64("two64", 2)], "two")
            .Node("Sub", ["ch", "q"], "five").Node("Add", ["five", b.Ints64("minus", -3)], "twoAgain")
            .Node("Concat", [b.Ints64("batch", 1), "two", b.Ints64("rest", 3, 4)], "target", Int("axis", 0))
            .Node("Reshape", ["x", "target"], "r").Node("Flatten", ["r"], "f")
            .Node("Gemm", ["f", b.Weights("w", 3, 24)], "y", Int("transB", 1));
        AssertParity(b.Save("y", 13, 1, 3));
    }

    [Fact]
    public void A_concat_of_one_tensor_is_that_tensor()
    {
        var b = new OnnxBuilder("x", 1, 2, 3, 3);
        b.Node("Concat", ["x"], "c", Int("axis", 1)).Node("Conv", ["c", b.Weights("w", 2, 2, 1, 1)], "y");
        AssertParity(b.Save("y", 13, 1, 2, 3, 3));
    }

    [Fact]
    public void A_batch_norm_after_a_concat_as_densenet_exports_it()
    {
        var b = new OnnxBuilder("x", 1, 3, 5, 5);
        b.Node("Conv", ["x", b.Weights("w", 4, 3, 3, 3)], "c", Ints("pads", 1, 1, 1, 1))
            .Node("Concat", ["x", "c"], "cat", Int("axis", 1))
            .Node("BatchNormalization", ["cat", b.Weights("gamma", 7), b.Weights("beta", 7), b.Weights("mean", 7), b.Positive("var", 7)], "n")
            .Node("Relu", ["n"], "r").Node("Conv", ["r", b.Weights("w2", 2, 7, 1, 1)], "y");
        AssertParity(b.Save("y", 13, 1, 2, 5, 5));
    }

    // Normalisation written into the graph ((x − mean) / std before the first convolution), constants multiplied into a
    // convolution's and a Gemm's outputs (folded into their weights) and added after a ReLU (a ChannelAffine left in place).
    [Fact]
    public void Arithmetic_with_constants_per_channel_on_computed_tensors()
    {
        var b = new OnnxBuilder("x", 1, 3, 5, 5);
        b.Node("Sub", ["x", b.Weights("mean", 1, 3, 1, 1)], "centred").Node("Div", ["centred", b.Positive("std", 1, 3, 1, 1)], "normalised")
            .Node("Conv", ["normalised", b.Weights("w", 4, 3, 3, 3)], "c", Ints("pads", 1, 1, 1, 1))
            .Node("Mul", [b.Scalar("half", 0.5f), "c"], "scaled").Node("Relu", ["scaled"], "r")
            .Node("Add", ["r", b.Weights("shift", 4, 1, 1)], "shifted").Node("Sub", [b.Scalar("one", 1f), "shifted"], "flipped")
            .Node("Flatten", ["flipped"], "f").Node("Gemm", ["f", b.Weights("g", 3, 100)], "d", Int("transB", 1))
            .Node("Div", ["d", b.Positive("s", 1, 3)], "y");
        AssertParity(b.Save("y", 13, 1, 3));
    }

    // Constants that hold a value per element, or per channel and row, broadcast to the tensor: an element-wise affine map.
    [Fact]
    public void Arithmetic_with_constants_per_element()
    {
        var b = new OnnxBuilder("x", 1, 2, 3, 3);
        b.Node("Relu", ["x"], "r").Node("Mul", ["r", b.Weights("k", 1, 2, 3, 3)], "scaled").Node("Sub", [b.Weights("rows", 2, 3, 1), "scaled"], "y");
        AssertParity(b.Save("y", 13, 1, 2, 3, 3));
    }

    [Theory]
    [InlineData("Div", true, "a constant divided by a computed tensor")]
    [InlineData("Mul", false, "one value per channel")]
    public void Arithmetic_that_is_not_an_element_wise_affine_map_is_refused_with_its_node(string op, bool constantFirst, string reason)
    {
        var b = new OnnxBuilder("x", 1, 2, 3, 3);
        // Its last axis (2) does not broadcast against the tensor's (3).
        var constant = b.Weights("k", 1, 2, 1, 2);
        b.Node("Relu", ["x"], "r").Node(op, constantFirst ? [constant, "r"] : ["r", constant], "odd");
        var path = b.Save("odd", 13, 1, 2, 3, 3);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        Assert.Contains("odd", e.Message);
        Assert.Contains(reason, e.Message);
        File.Delete(path);
    }
}
