using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Relevance.Engine;
using Relevance.Onnx;

namespace Relevance.IntegrationTests;

/// <summary>Every model in the repository's data/onnx imports and computes what ONNX Runtime computes.</summary>
public class OnnxParityTests
{
    public static TheoryData<string> Models => new()
    {
        "mnist-8/mnist-8.onnx",
        "webmnist_lenet5/lenet5.onnx",
        "cifar10_winml_tutorial/ImageClassifier_cifar10.onnx",
        "squeezenet1.1_fp16_winml/SqueezeNet_fp16.onnx",
        "tiny_vit/vit.onnx",
        "mnist_vit/vit.onnx",
        "tiny_deit/deit.onnx",
        "tiny_swin/swin.onnx",
    };

    internal static float[] RuntimeOutput(string path, ImportedModel model, float[] input, string? output = null)
    {
        using var session = new InferenceSession(path);
        var dims = model.InputDims.Select(d => (int)d).ToArray();
        NamedOnnxValue value = model.InputIsHalf
            ? NamedOnnxValue.CreateFromTensor(model.InputName, new DenseTensor<Float16>(input.Select(v => (Float16)v).ToArray(), dims))
            : NamedOnnxValue.CreateFromTensor(model.InputName, new DenseTensor<float>(input, dims));
        using var results = session.Run([value]);
        var result = output is null ? results.First() : results.First(r => r.Name == output);
        return model.InputIsHalf ? [.. result.AsEnumerable<Float16>().Select(v => (float)v)] : [.. result.AsEnumerable<float>()];
    }

    internal static float[] RandomInput(ImportedModel model, int seed, float scale)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, model.Network.InputShape.Size).Select(_ => (float)(rng.NextDouble() * scale))];
    }

    internal static float[] Softmax(float[] z)
    {
        var max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return [.. e.Select(v => (float)(v / sum))];
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_imported_graph_computes_what_onnx_runtime_computes(string file)
    {
        var path = RepositoryData.Path("onnx", file);
        var model = OnnxImporter.Load(path);
        var engine = EngineNetwork.Compile(model.Network, Composite.Uniform(Rules.Epsilon()));
        for (var seed = 0; seed < 3; seed++)
        {
            var input = RandomInput(model, seed, model.InputIsHalf ? 255 : 1);
            var ours = engine.Forward(input);
            var theirs = RuntimeOutput(path, model, input);
            if (model.StrippedSoftmax) ours = Softmax(ours);
            Assert.Equal(theirs.Length, ours.Length);
            // float32 models: both sides round in float32 with different summation orders, ~1e-5 of the largest output.
            // The float16 model: ONNX Runtime computes in float16 (u = 4.9e-4) through 26 convolutions, we in float32, so
            // probabilities agree to ~1e-3; 1e-2 leaves room without hiding a wrong layer (which moves them by ~1e-1).
            var tolerance = (model.InputIsHalf ? 1e-2 : 1e-4) * Math.Max(1, theirs.Max(Math.Abs));
            for (var i = 0; i < ours.Length; i++)
                Assert.True(Math.Abs(ours[i] - theirs[i]) <= tolerance, $"{file}, seed {seed}, output {i}: ours {ours[i]}, ONNX Runtime {theirs[i]}");
        }
    }

    [Fact]
    public void ResNet18_from_its_NuGet_package_computes_what_onnx_runtime_computes()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "models", "ResNet18.onnx");
        var model = OnnxImporter.Load(path);
        Assert.Equal(22, model.Network.Nodes.Count(n => n.Layer is BatchNorm));
        var engine = EngineNetwork.Compile(model.Network, Composite.TrainingFreeDtd(Rules.WSquare));
        Assert.DoesNotContain(engine.Network.Nodes, n => n.Layer is BatchNorm);
        var input = RandomInput(model, 1, 255).Select(v => v - 120f).ToArray();
        var ours = engine.Forward(input);
        var theirs = RuntimeOutput(path, model, input);
        // float32 on both sides through 21 convolutions with folded batch norms: ~1e-5 of the largest feature; 1e-3 is stated.
        var tolerance = 1e-3 * Math.Max(1, theirs.Max(Math.Abs));
        for (var i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - theirs[i]) <= tolerance, $"feature {i}: ours {ours[i]}, ONNX Runtime {theirs[i]}");
    }

    [Fact]
    public void Mnist_8_reproduces_its_golden_input_output_pairs()
    {
        var model = OnnxImporter.Load(RepositoryData.Path("onnx", "mnist-8", "mnist-8.onnx"));
        var engine = EngineNetwork.Compile(model.Network, Composite.Uniform(Rules.Epsilon()));
        foreach (var set in Directory.GetDirectories(RepositoryData.Path("onnx", "mnist-8"), "test_data_set_*"))
        {
            var input = global::Onnx.TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(set, "input_0.pb")));
            var output = global::Onnx.TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(set, "output_0.pb")));
            var x = Floats(input);
            var expected = Floats(output);
            var ours = engine.Forward(x);
            for (var i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(ours[i] - expected[i]) <= 1e-3 * Math.Max(1, Math.Abs(expected[i])), $"{set}: logit {i} is {ours[i]}, golden {expected[i]}");
        }
    }

    private static float[] Floats(global::Onnx.TensorProto t) =>
        t.RawData.IsEmpty ? [.. t.FloatData] : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();
}
