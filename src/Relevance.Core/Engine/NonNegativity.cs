using System.Collections.Immutable;

namespace Relevance.Engine;

/// <summary>Which values of a network are ≥ 0 whatever its input: a ReLU's output, and what pooling, normalisation,
/// reshaping, concatenation and sums make of such values alone.</summary>
/// <remarks>Every one of these holds in floating point too: max(0, x) is never below 0, and sums, maxima, means, powers
/// and products of non-negative numbers by positive ones are not either (a NaN, which no layer makes from finite inputs
/// but an overflow might, is not below 0 and passes the domain checks as well). z⁺ layers fed such a value need not scan
/// their input for negative entries on every explanation.</remarks>
internal static class NonNegativity
{
    /// <summary>For each node, whether every value it reads is ≥ 0.</summary>
    public static ImmutableArray<bool> OfInputs(Network network)
    {
        var known = new Dictionary<string, bool> { [Network.InputName] = false };
        var result = ImmutableArray.CreateBuilder<bool>(network.Nodes.Length);
        foreach (var node in network.Nodes)
        {
            var inputs = node.Inputs.All(i => known[i]);
            result.Add(inputs);
            known[node.Name] = node.Layer.OutputNonNegative(inputs);
        }
        return result.MoveToImmutable();
    }
}
