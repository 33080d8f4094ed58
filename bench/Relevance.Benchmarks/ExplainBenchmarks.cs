using BenchmarkDotNet.Attributes;
using Relevance.Engine;
using Relevance.Onnx;

namespace Relevance.Benchmarks;

/// <summary>Forward pass against explanation (training-free DTD, forward included) of the engine, per network, in one run: the ratio is the target (the minimum and median columns are steadier than the mean on a shared machine).</summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class ExplainBenchmarks
{
    private EngineNetwork _engine = null!;
    private Workspace _workspace = null!;
    private float[] _input = [];

    /// <summary>The network: AlexNet-, GoogLeNet- and VGG-16-shaped graphs with random weights, and the real SqueezeNet 1.1.</summary>
    [Params("AlexNet", "GoogLeNet", "VGG-16", "SqueezeNet-1.1")]
    public string Network { get; set; } = "AlexNet";

    [GlobalSetup]
    public void Setup()
    {
        var network = Network switch
        {
            "AlexNet" => ShapedNetworks.AlexNet(),
            "GoogLeNet" => ShapedNetworks.GoogLeNet(),
            "VGG-16" => ShapedNetworks.Vgg16(),
            _ => OnnxImporter.Load(SharedModel("squeezenet1.1_fp16_winml", "SqueezeNet_fp16.onnx")).Network,
        };
        _engine = EngineNetwork.Compile(network, Composite.TrainingFreeDtd(Rules.ZBox(0, 255)));
        _workspace = _engine.CreateWorkspace();
        var rng = new Random(0);
        _input = [.. Enumerable.Range(0, network.InputShape.Size).Select(_ => (float)(rng.NextDouble() * 255))];
    }

    [Benchmark(Baseline = true)]
    public float Forward() => _engine.Forward(_input, _workspace)[0];

    [Benchmark]
    public double Explain() => _engine.Explain(_input, _workspace).Output;

    internal static string SharedModel(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Relevance.sln")))
                return Path.GetFullPath(Path.Combine([dir.FullName, "..", "shared", "data", "onnx", .. parts]));
        throw new DirectoryNotFoundException("Relevance.sln not found above the benchmark.");
    }
}
