using BenchmarkDotNet.Attributes;
using Relevance.Engine;
using Relevance.Kernels;
using Relevance.Samples;

namespace Relevance.Benchmarks;

/// <summary>A sample network's generated code, bound to random weights, with one input (or a batch) inside its box.</summary>
internal sealed class GeneratedCase
{
    public required Func<float[], float[], float> Explain { get; init; }
    public required Action<float[], float[]> Forward { get; init; }
    public required Action<float[], float[], float[]> ExplainBatch { get; init; }
    public required Action<float[], float[]> ForwardBatch { get; init; }
    public required Network Reference { get; init; }
    public required Composite Composite { get; init; }
    public required ExplainOptions Options { get; init; }
    public required int InputSize { get; init; }
    public required int OutputSize { get; init; }
    public required (float Low, float High) Box { get; init; }

    public static GeneratedCase Of(string name) => name switch
    {
        "OneLayer" => Of<OneLayerDetector>(true, -0.5f, 1.5f),
        "TwoLayer" => Of<TwoLayerDetector>(true, -0.5f, 1.5f),
        "LeNet-5" => Of<LeNet5>(false, 0f, 1f),
        _ => Of<ResidualCnn>(false, 0f, 1f),
    };

    private static GeneratedCase Of<TNet>(bool nonPositiveBias, float low, float high) where TNet : class, INetworkKernel<TNet>
    {
        var random = new Random(3);
        var net = TNet.Bind([.. TNet.ParameterSizes.Select(s => new LayerParameters(
            [.. Enumerable.Range(0, s.Weights).Select(_ => (float)((random.NextDouble() * 2 - 1) / Math.Sqrt(s.FanIn)))],
            [.. Enumerable.Range(0, s.Bias).Select(_ => (float)(nonPositiveBias ? -0.1 * random.NextDouble() : 0.2 * random.NextDouble() - 0.1))]))]);
        return new GeneratedCase
        {
            Explain = (x, h) => net.Explain(x, h),
            Forward = (x, o) => net.Forward(x, o),
            ExplainBatch = (x, h, f) => net.ExplainBatch(x, h, f),
            ForwardBatch = (x, o) => net.ForwardBatch(x, o),
            Reference = net.ToNetwork(),
            Composite = TNet.Composite,
            Options = TNet.Options,
            InputSize = TNet.InputShape.Size,
            OutputSize = TNet.OutputLength,
            Box = (low, high),
        };
    }

    public float[] Inputs(int batch)
    {
        var random = new Random(4);
        return [.. Enumerable.Range(0, batch * InputSize).Select(_ => random.NextDouble() < 0.3 ? Box.Low + (Box.High - Box.Low) * random.NextSingle() : Box.Low)];
    }
}

/// <summary>Generated forward against generated explanation (forward included), batch 1 and 64: the ratio and the absolute times are the targets.</summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class GeneratedBenchmarks
{
    private GeneratedCase _case = null!;
    private float[] _inputs = [], _heatmaps = [], _outputs = [];

    /// <summary>The sample network.</summary>
    [Params("OneLayer", "TwoLayer", "LeNet-5", "ResidualCnn")]
    public string Network { get; set; } = "OneLayer";

    /// <summary>Inputs per call.</summary>
    [Params(1, 64)]
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _case = GeneratedCase.Of(Network);
        _inputs = _case.Inputs(Batch);
        _heatmaps = new float[_inputs.Length];
        _outputs = new float[Batch * _case.OutputSize];
    }

    [Benchmark(Baseline = true)]
    public void Forward()
    {
        if (Batch == 1) _case.Forward(_inputs, _outputs);
        else _case.ForwardBatch(_inputs, _outputs);
    }

    [Benchmark]
    public void Explain()
    {
        if (Batch == 1) _case.Explain(_inputs, _heatmaps);
        else _case.ExplainBatch(_inputs, _heatmaps, new float[Batch]);
    }
}

/// <summary>One explanation by the generated code, by the run-time engine on the same graph, and by the double-precision reference.</summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class GeneratedAgainstReferenceBenchmarks
{
    private GeneratedCase _case = null!;
    private EngineNetwork _engine = null!;
    private Workspace _workspace = null!;
    private float[] _input = [], _heatmap = [];
    private Tensor _tensor = null!;

    /// <summary>The sample network.</summary>
    [Params("OneLayer", "TwoLayer", "LeNet-5", "ResidualCnn")]
    public string Network { get; set; } = "OneLayer";

    [GlobalSetup]
    public void Setup()
    {
        _case = GeneratedCase.Of(Network);
        _input = _case.Inputs(1);
        _heatmap = new float[_input.Length];
        _tensor = Tensor.From(_case.Reference.InputShape, [.. _input.Select(v => (double)v)]);
        _engine = EngineNetwork.Compile(_case.Reference, _case.Composite, _case.Options);
        _workspace = _engine.CreateWorkspace();
    }

    [Benchmark(Baseline = true)]
    public float Generated() => _case.Explain(_input, _heatmap);

    [Benchmark]
    public double Engine() => _engine.Explain(_input, _workspace).Output;

    [Benchmark]
    public double Reference() => Relevance.Reference.Propagation.Explain(_case.Reference, _tensor, _case.Composite, _case.Options).Output;
}
