using System.Collections.Immutable;

namespace Relevance;

/// <summary>The relevance at one node's output (what the layers above passed down to it).</summary>
public sealed record NodeRelevance(string Node, Tensor Relevance);

/// <summary>An explanation as data: the input heatmap, f(x), the explained output, all outputs and the consistency report.</summary>
/// <remarks>Every backend returns this type: the engine behind <c>Explainer</c>, the reference oracle and the generated explainers.</remarks>
/// <param name="Heatmap">R(x): the relevance of each input element, with the input's shape.</param>
/// <param name="Output">f(x): the explained output (logit <paramref name="Target"/>), where the relevance pass starts.</param>
/// <param name="Target">The index of the explained output.</param>
/// <param name="Outputs">All of the network's outputs for this input.</param>
/// <param name="Consistency">Conservation and positivity, layer by layer and for the heatmap.</param>
public sealed record Explanation(Tensor Heatmap, double Output, int Target, Tensor Outputs, ConsistencyReport Consistency)
{
    /// <summary>The relevance at every node's output, in the network's node order; only the reference oracle keeps them (empty otherwise).</summary>
    public ImmutableArray<NodeRelevance> Nodes { get; init; } = [];

    /// <summary>Relevance taken by positive biases treated as neurons, over all layers.</summary>
    public double BiasRelevance => Consistency.BiasRelevance;

    /// <summary>The relevance at a node's output (reference explanations only).</summary>
    /// <exception cref="KeyNotFoundException">The explanation holds no relevance for that node.</exception>
    public Tensor RelevanceOf(string node) =>
        Nodes.FirstOrDefault(n => n.Node == node)?.Relevance ?? throw new KeyNotFoundException($"No node '{node}' in this explanation{(Nodes.IsEmpty ? " (only the reference oracle keeps each node's relevance)" : "")}.");
}
