using BenchmarkDotNet.Attributes;
using Relevance.Engine;
using Relevance.Onnx;

namespace Relevance.Benchmarks;

/// <summary>Forward pass against explanation (training-free DTD, forward included) of the engine, per network and batch size, in one run: the ratio is the target (the minimum and median columns are steadier than the mean on a shared machine).</summary>
/// <remarks>A batch runs as <see cref="EngineNetwork.ExplainBatch(ReadOnlyMemory{float}, int, IReadOnlyList{Workspace}, int?)"/>
/// does, an input per core; its times are per call, not per input.</remarks>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class ExplainBenchmarks
{
    private Case _case = null!;

    /// <summary>The network: AlexNet-, GoogLeNet-, VGG-16- and ResNet-50-shaped graphs with random weights, and the real SqueezeNet 1.1.</summary>
    [ParamsSource(nameof(NetworkNames))]
    public string Network { get; set; } = "AlexNet";

    /// <summary>The values of <see cref="Network"/>.</summary>
    public static IEnumerable<string> NetworkNames => Networks;

    /// <summary>Inputs per call.</summary>
    [Params(1, 8)]
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup() => _case = Case.Of(Network, Batch);

    /// <summary>The networks of <see cref="Network"/>.</summary>
    internal static readonly string[] Networks = ["AlexNet", "GoogLeNet", "VGG-16", "ResNet-50", "SqueezeNet-1.1"];

    [Benchmark(Baseline = true)]
    public void Forward() => _case.Forward();

    [Benchmark]
    public void Explain() => _case.Explain();

    /// <summary>A network's engine (training-free DTD, z^B over [0, 255] on the pixels), a workspace per core and a batch of
    /// random inputs in [0, 255].</summary>
    internal sealed record Case(EngineNetwork Engine, Workspace[] Workspaces, float[] Inputs, int Batch)
    {
        public static Case Of(string name, int batch)
        {
            if (batch < 1) throw new ArgumentException($"A batch holds at least one input, not {batch}.");
            var network = name switch
            {
                "AlexNet" => ShapedNetworks.AlexNet(),
                "GoogLeNet" => ShapedNetworks.GoogLeNet(),
                "VGG-16" => ShapedNetworks.Vgg16(),
                "ResNet-50" => ShapedNetworks.ResNet50(),
                "SqueezeNet-1.1" => OnnxImporter.Load(RepositoryModel("squeezenet1.1_fp16_winml", "SqueezeNet_fp16.onnx")).Network,
                _ => throw new ArgumentException($"Unknown network {name}: {string.Join(", ", Networks)}."),
            };
            var engine = EngineNetwork.Compile(network, Composite.TrainingFreeDtd(Rules.ZBox(0, 255)));
            var rng = new Random(0);
            var inputs = Enumerable.Range(0, batch * network.InputShape.Size).Select(_ => (float)(rng.NextDouble() * 255)).ToArray();
            var workspaces = Enumerable.Range(0, batch == 1 ? 1 : Math.Min(batch, Environment.ProcessorCount)).Select(_ => engine.CreateWorkspace()).ToArray();
            return new Case(engine, workspaces, inputs, batch);
        }

        /// <summary>The forward pass of the batch.</summary>
        public void Forward()
        {
            if (Batch == 1) Engine.Forward(Inputs, Workspaces[0]);
            else Engine.ForwardBatch(Inputs, Batch, Workspaces);
        }

        /// <summary>The explanation of the batch, forward pass included.</summary>
        public void Explain()
        {
            if (Batch == 1) Engine.Explain(Inputs, Workspaces[0]);
            else Engine.ExplainBatch(Inputs, Batch, Workspaces);
        }
    }

    internal static string RepositoryModel(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Relevance.sln")))
                return Path.GetFullPath(Path.Combine([dir.FullName, "data", "onnx", .. parts]));
        throw new DirectoryNotFoundException("Relevance.sln not found above the benchmark.");
    }
}
