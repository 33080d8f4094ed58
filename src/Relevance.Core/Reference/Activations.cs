using System.Collections.Immutable;

namespace Relevance.Reference;

/// <summary>The value of every node of a network for one input, from a forward pass.</summary>
public sealed record Activations(Network Network, Tensor Input, ImmutableArray<Tensor> Values)
{
    /// <summary>The value of a node, or the input for <see cref="Network.InputName"/>.</summary>
    public Tensor Of(string name) => name == Network.InputName ? Input : Values[Network.IndexOf(name)];

    /// <summary>The network's output.</summary>
    public Tensor Output => Of(Network.Output);

    /// <summary>The values a node reads, in order.</summary>
    public ImmutableArray<Tensor> InputsOf(Node node) => [.. node.Inputs.Select(Of)];
}
