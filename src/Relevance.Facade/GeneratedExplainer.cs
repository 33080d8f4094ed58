using System.Collections.Immutable;
using Relevance.IO;
using Relevance.Kernels;

namespace Relevance;

/// <summary>Explains inputs with the code generated for a declared network <typeparamref name="TNet"/>.</summary>
/// <remarks>A convenience over <see cref="Kernel"/>: it allocates a result per call. For zero allocation, call
/// <c>Kernel.Explain(input, heatmap)</c> with your own buffers. Not thread-safe: use one explainer per thread.</remarks>
public sealed class GeneratedExplainer<TNet> where TNet : class, INetworkKernel<TNet>
{
    internal GeneratedExplainer(TNet kernel)
    {
        Kernel = kernel;
        // What the consistency report names: each declared layer's kind and how its relevance is redistributed, from the node
        // that does its work (a pooling over a vector is a reshape, the pooling and a flatten, named "L/reshape", "L/pool", "L").
        var network = kernel.ToNetwork();
        var rules = TNet.Composite.Resolve(network);
        _layers = [.. TNet.LayerNames.Select(name =>
        {
            var nodes = network.Nodes.Where(n => n.Name == name || n.Name.StartsWith(name + "/", StringComparison.Ordinal)).ToList();
            var node = nodes.FirstOrDefault(n => n.Layer is not View) ?? nodes.Single(n => n.Name == name);
            return (node.Layer.Kind, node.Layer switch
            {
                Dense or Conv2d => rules[node.Name].Name,
                Pool2d { Pool: PoolKind.Max } when TNet.Options.Pooling == PoolingRedistribution.WinnerTakeAll => "winner-take-all",
                Activation or View => "pass-through",
                _ => "proportional",
            });
        })];
    }

    private readonly ImmutableArray<(string Kind, string Redistribution)> _layers;

    /// <summary>The generated network with its bound weights and workspace.</summary>
    public TNet Kernel { get; }

    /// <summary>f(x) for one input.</summary>
    public float[] Forward(ReadOnlySpan<float> input)
    {
        var output = new float[TNet.OutputLength];
        Kernel.Forward(input, output);
        return output;
    }

    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) for one input: the same result type as <c>Explainer</c>'s, with the per-layer consistency report.</summary>
    /// <exception cref="InvalidInputException">The input has the wrong length or non-finite values.</exception>
    /// <exception cref="RuleDomainException">The input is outside the declared box.</exception>
    public Explanation Explain(ReadOnlySpan<float> input, int? target = null)
    {
        var heatmap = new float[TNet.InputShape.Size];
        double f = Kernel.Explain(input, heatmap, target ?? -1);
        var measures = Kernel.LayerMeasures;
        var biases = Kernel.LayerBiasRelevance;
        var layers = ImmutableArray.CreateBuilder<LayerConsistency>(measures.Length);
        for (var n = 0; n < measures.Length; n++)
        {
            var m = measures[n];
            var error = m.RelevanceIn - m.RelevanceOut - biases[n];
            layers.Add(new LayerConsistency(TNet.LayerNames[n], _layers[n].Kind, _layers[n].Redistribution, m.RelevanceIn, m.RelevanceOut, biases[n], error,
                Math.Abs(error) / ConsistencyReport.Scale(f), m.NegativeMass, m.Minimum));
        }
        var map = Relevances.Measure(heatmap);
        var report = new ConsistencyReport(f, map.Sum, Kernel.BiasRelevance, map.NegativeMass, map.Minimum, layers.MoveToImmutable());
        return new Explanation(Tensor.FromSingles(TNet.InputShape, heatmap), f, Kernel.Target, Tensor.FromSingles(Shape.Of(TNet.OutputLength), Kernel.Outputs), report);
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
