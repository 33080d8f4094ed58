using System.Collections.Immutable;

namespace Relevance;

/// <summary>The relevance at one node's output (what the layers above passed down to it).</summary>
public sealed record NodeRelevance(string Node, Tensor Relevance);

/// <summary>An explanation as data: the input heatmap, f(x), every node's relevance and the consistency report.</summary>
/// <param name="Heatmap">R(x): the relevance of each input element, with the input's shape.</param>
/// <param name="Output">f(x): the explained output (logit <paramref name="Target"/>), where the relevance pass starts.</param>
/// <param name="Target">The index of the explained output.</param>
/// <param name="Outputs">All of the network's outputs for this input.</param>
/// <param name="Nodes">The relevance at every node's output, in the network's node order.</param>
/// <param name="Consistency">Conservation and positivity, layer by layer and for the heatmap.</param>
public sealed record Explanation(
    Tensor Heatmap,
    double Output,
    int Target,
    Tensor Outputs,
    ImmutableArray<NodeRelevance> Nodes,
    ConsistencyReport Consistency)
{
    /// <summary>The relevance at a node's output.</summary>
    public Tensor RelevanceOf(string node) =>
        Nodes.FirstOrDefault(n => n.Node == node)?.Relevance ?? throw new KeyNotFoundException($"No node '{node}' in this explanation.");
}
