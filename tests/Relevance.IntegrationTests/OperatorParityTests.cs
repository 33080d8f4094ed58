using Relevance.Engine;
using Relevance.Onnx;
using static Relevance.IntegrationTests.OnnxBuilder;

namespace Relevance.IntegrationTests;

/// <summary>Operators that no shipped model uses, built in code and held to ONNX Runtime.</summary>
public class OperatorParityTests
{
    private static void AssertParity(string path, float tolerance = 1e-4f)
    {
        var model = OnnxImporter.Load(path);
        var engine = EngineNetwork.Compile(model.Network, Composite.Uniform(Rules.Epsilon()));
        var input = OnnxParityTests.RandomInput(model, 3, 2).Select(v => v - 1).ToArray();
        var ours = engine.Forward(input);
        var reference = Reference.Forward.Output(model.Network, Tensor.From(model.Network.InputShape, [.. input.Select(v => (double)v)]));
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
}
