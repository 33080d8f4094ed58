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
    [ParamsSource(nameof(NetworkNames))]
    public string Network { get; set; } = "AlexNet";

    /// <summary>The values of <see cref="Network"/>.</summary>
    public static IEnumerable<string> NetworkNames => Networks;

    [GlobalSetup]
    public void Setup() => (_engine, _workspace, _input) = Case(Network);

    /// <summary>The network's engine (training-free DTD, z^B over [0, 255] on the pixels), a workspace and a random input in [0, 255].</summary>
    internal static (EngineNetwork Engine, Workspace Workspace, float[] Input) Case(string name)
    {
        var network = name switch
        {
            "AlexNet" => ShapedNetworks.AlexNet(),
            "GoogLeNet" => ShapedNetworks.GoogLeNet(),
            "VGG-16" => ShapedNetworks.Vgg16(),
            "SqueezeNet-1.1" => OnnxImporter.Load(RepositoryModel("squeezenet1.1_fp16_winml", "SqueezeNet_fp16.onnx")).Network,
            _ => throw new ArgumentException($"Unknown network {name}: AlexNet, GoogLeNet, VGG-16 or SqueezeNet-1.1."),
        };
        var engine = EngineNetwork.Compile(network, Composite.TrainingFreeDtd(Rules.ZBox(0, 255)));
        var rng = new Random(0);
        return (engine, engine.CreateWorkspace(), [.. Enumerable.Range(0, network.InputShape.Size).Select(_ => (float)(rng.NextDouble() * 255))]);
    }

    /// <summary>The networks of <see cref="Network"/>.</summary>
    internal static readonly string[] Networks = ["AlexNet", "GoogLeNet", "VGG-16", "SqueezeNet-1.1"];

    [Benchmark(Baseline = true)]
    public float Forward() => _engine.Forward(_input, _workspace)[0];

    [Benchmark]
    public double Explain() => _engine.Explain(_input, _workspace).Output;

    internal static string RepositoryModel(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Relevance.sln")))
                return Path.GetFullPath(Path.Combine([dir.FullName, "data", "onnx", .. parts]));
        throw new DirectoryNotFoundException("Relevance.sln not found above the benchmark.");
    }
}
