using System.Collections.Immutable;
using Relevance.IO;
using Relevance.Kernels;

namespace Relevance;

/// <summary>One explanation by a generated explainer, as data: the heatmap, f(x) and Σ R layer by layer.</summary>
/// <param name="Heatmap">R(x) with the network's input shape, in double precision for rendering and reports.</param>
/// <param name="Output">f_target(x), where the relevance pass starts.</param>
/// <param name="Target">The explained output.</param>
/// <param name="Layers">Σ R at each layer's output, by layer name, in order.</param>
/// <param name="BiasRelevance">Relevance taken by positive biases treated as neurons.</param>
public sealed record GeneratedExplanation(Tensor Heatmap, double Output, int Target, ImmutableArray<(string Layer, double Relevance)> Layers, double BiasRelevance)
{
    /// <summary>f(x) − Σ_p R_p − bias relevance: what the pass created or lost (float32 rounding for conservative rules).</summary>
    public double ConservationError => Output - Heatmap.Data.Sum() - BiasRelevance;
}

/// <summary>Explains inputs with the code generated for a declared network <typeparamref name="TNet"/>.</summary>
/// <remarks>A convenience over <see cref="Kernel"/>: it allocates a result per call. For zero allocation, call
/// <c>Kernel.Explain(input, heatmap)</c> with your own buffers. Not thread-safe: use one explainer per thread.</remarks>
public sealed class GeneratedExplainer<TNet> where TNet : class, INetworkKernel<TNet>
{
    internal GeneratedExplainer(TNet kernel) => Kernel = kernel;

    /// <summary>The generated network with its bound weights and workspace.</summary>
    public TNet Kernel { get; }

    /// <summary>f(x) for one input.</summary>
    public float[] Forward(ReadOnlySpan<float> input)
    {
        var output = new float[TNet.OutputLength];
        Kernel.Forward(input, output);
        return output;
    }

    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) for one input.</summary>
    /// <exception cref="InvalidInputException">The input has the wrong length or non-finite values.</exception>
    /// <exception cref="RuleDomainException">The input is outside the declared box.</exception>
    public GeneratedExplanation Explain(ReadOnlySpan<float> input, int? target = null)
    {
        var heatmap = new float[TNet.InputShape.Size];
        var f = Kernel.Explain(input, heatmap, target ?? -1);
        var sums = Kernel.LayerRelevance.ToArray();
        var layers = TNet.LayerNames.Select((name, n) => (name, (double)sums[n])).ToImmutableArray();
        return new GeneratedExplanation(Tensor.From(TNet.InputShape, [.. heatmap.Select(r => (double)r)]), f, Kernel.Target, layers, Kernel.BiasRelevance);
    }
}

/// <summary>Entry points for explainers generated from <c>[Network]</c> declarations.</summary>
public static class GeneratedExplainer
{
    /// <summary>An explainer over a bound generated network (see <c>TNet.Bind</c> and <c>TNet.FromNetwork</c>).</summary>
    public static GeneratedExplainer<TNet> For<TNet>(TNet network) where TNet : class, INetworkKernel<TNet>
    {
        ArgumentNullException.ThrowIfNull(network);
        return new GeneratedExplainer<TNet>(network);
    }

    /// <summary>Writes an explanation's heatmap as the paper's red-positive, blue-negative PNG (channels summed), atomically.</summary>
    public static void WriteHeatmapPng(string path, GeneratedExplanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        using var bitmap = HeatmapImage.Render(explanation.Heatmap);
        HeatmapImage.WritePng(path, bitmap);
    }

    /// <summary>Binds the weights of an ONNX model (e.g. one trained in PyTorch, or saved by <c>relevance reproduce</c>) to the declared network.</summary>
    /// <remarks>The whole architecture is checked, not only the weights' sizes: the declared network with the bound weights
    /// must compute what the model computes, or the model is refused with both architectures listed.</remarks>
    /// <exception cref="NetworkException">The model's layers do not match the declaration; the message lists both.</exception>
    public static GeneratedExplainer<TNet> Load<TNet>(string onnxPath) where TNet : class, INetworkKernel<TNet>
    {
        var model = Canonizers.Canonize(Onnx.OnnxImporter.Load(onnxPath).Network);
        var bound = TNet.FromNetwork(model);
        Architecture.RequireSameFunction(bound.ToNetwork(), model, typeof(TNet).Name, Path.GetFileName(onnxPath));
        return For(bound);
    }
}
