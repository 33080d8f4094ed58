using System.Collections.Immutable;

namespace Relevance;

/// <summary>The relevance at one node's output (what the layers above passed down to it).</summary>
public sealed record NodeRelevance(string Node, Tensor Relevance);

/// <summary>An explanation as data: the input heatmap, f(x), the explained output, all outputs and the consistency report.</summary>
/// <remarks>Every backend returns this type: the engine behind <c>Explainer</c>, the reference oracle and the generated explainers.</remarks>
public sealed record Explanation
{
    // The engine's float32 heatmap, widened to a tensor only when it is asked for (most callers render or save it as floats).
    private readonly float[]? _single;
    private Tensor? _heatmap;

    /// <summary>An explanation from its double-precision heatmap.</summary>
    /// <param name="heatmap">R(x): the relevance of each input element, with the input's shape.</param>
    /// <param name="output">f(x): the explained output (logit <paramref name="target"/>), where the relevance pass starts.</param>
    /// <param name="target">The index of the explained output.</param>
    /// <param name="outputs">All of the network's outputs for this input.</param>
    /// <param name="consistency">Conservation and positivity, layer by layer and for the heatmap.</param>
    public Explanation(Tensor heatmap, double output, int target, Tensor outputs, ConsistencyReport consistency)
        : this(heatmap.Shape, output, target, outputs, consistency) => _heatmap = heatmap;

    /// <summary>An explanation from a float32 heatmap of the given shape, which it takes ownership of.</summary>
    internal Explanation(Shape shape, float[] heatmap, double output, int target, Tensor outputs, ConsistencyReport consistency)
        : this(shape, output, target, outputs, consistency)
    {
        if (heatmap.Length != shape.Size) throw new ArgumentException($"A heatmap of shape {shape} needs {shape.Size} values, got {heatmap.Length}.", nameof(heatmap));
        _single = heatmap;
    }

    private Explanation(Shape shape, double output, int target, Tensor outputs, ConsistencyReport consistency)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(consistency);
        Shape = shape;
        Output = output;
        Target = target;
        Outputs = outputs;
        Consistency = consistency;
    }

    /// <summary>R(x): the relevance of each input element, with the input's shape.</summary>
    public Tensor Heatmap => _heatmap ??= Tensor.FromSingles(Shape, _single);

    /// <summary>The input's shape, which the heatmap has.</summary>
    public Shape Shape { get; }

    /// <summary>f(x): the explained output (logit <see cref="Target"/>), where the relevance pass starts.</summary>
    public double Output { get; }

    /// <summary>The index of the explained output.</summary>
    public int Target { get; }

    /// <summary>All of the network's outputs for this input.</summary>
    public Tensor Outputs { get; }

    /// <summary>Conservation and positivity, layer by layer and for the heatmap.</summary>
    public ConsistencyReport Consistency { get; }

    /// <summary>The heatmap in single precision (the engine's own values; the reference's rounded to float).</summary>
    public float[] HeatmapSingles() => _single is not null ? [.. _single] : Heatmap.ToSingles();

    /// <summary>The relevance at every node's output, in the network's node order; only the reference oracle keeps them (empty otherwise).</summary>
    public ImmutableArray<NodeRelevance> Nodes { get; init; } = [];

    /// <summary>Relevance taken by positive biases treated as neurons, over all layers.</summary>
    public double BiasRelevance => Consistency.BiasRelevance;

    /// <summary>The relevance at a node's output (reference explanations only).</summary>
    /// <exception cref="KeyNotFoundException">The explanation holds no relevance for that node.</exception>
    public Tensor RelevanceOf(string node) =>
        Nodes.FirstOrDefault(n => n.Node == node)?.Relevance ?? throw new KeyNotFoundException($"No node '{node}' in this explanation{(Nodes.IsEmpty ? " (only the reference oracle keeps each node's relevance)" : "")}.");
}
