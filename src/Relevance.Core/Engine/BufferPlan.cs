using System.Collections.Immutable;

namespace Relevance.Engine;

/// <summary>Where each node's value and relevance live in a workspace: in a buffer of its own, or in place, as the slice of a
/// Concat's buffer that the Concat would otherwise copy it to or from.</summary>
/// <remarks>A value is computed straight into its slice of the first Concat (from the output back) that reads it, so that
/// Concat's forward pass copies only the inputs it does not hold in place (the network's input, or a value another Concat
/// holds). A Concat input read by that Concat alone has its relevance written where the Concat's relevance already is:
/// the buffer its relevance goes to (see <c>EngineNetwork</c>'s sinks) is that slice, and the Concat measures it instead of
/// copying it. Gradients keep buffers of their own (see <see cref="Workspace.Gradients"/>): backpropagation adds into
/// buffers, which a slice shared with the Concat's would not allow.</remarks>
/// <param name="Values">Per node, the Concat whose value buffer holds its value and the offset there, or (−1, 0).</param>
/// <param name="Relevances">Per node, the Concat whose relevance buffer holds its relevance and the offset there, or (−1, 0).</param>
internal sealed record BufferPlan(ImmutableArray<(int Owner, int Offset)> Values, ImmutableArray<(int Owner, int Offset)> Relevances)
{
    /// <summary>The owner of a buffer of its own.</summary>
    public const int Own = -1;

    /// <summary>Plans the buffers of a network in topological order; <paramref name="direct"/> says whether a value is read by
    /// one edge only, <paramref name="sink"/> where its relevance is written.</summary>
    public static BufferPlan Of(Network network, int[][] inputs, Func<int, bool> direct, Func<int, int> sink)
    {
        var count = network.Nodes.Length;
        var values = Enumerable.Repeat((Own, 0), count).ToArray();
        var relevances = Enumerable.Repeat((Own, 0), count).ToArray();
        // From the output back, so that a Concat read by another Concat has its own place before its inputs are placed in it.
        for (var n = count - 1; n >= 0; n--)
        {
            if (network.Nodes[n].Layer is not Concat) continue;
            var offset = 0;
            for (var m = 0; m < inputs[n].Length; m++)
            {
                var v = inputs[n][m];
                if (v >= 0 && values[v].Item1 == Own) values[v] = (n, offset);
                if (v >= 0 && direct(v) && sink(v) is var s and >= 0 && relevances[s].Item1 == Own) relevances[s] = (n, offset);
                offset += network.ShapeOf(network.Nodes[n].Inputs[m]).Size;
            }
        }
        return new([.. values], [.. relevances]);
    }

    /// <summary>Whether value <paramref name="v"/>, read by Concat <paramref name="concat"/> at <paramref name="offset"/>, is
    /// computed in place there.</summary>
    public bool ValueInPlace(int concat, int v, int offset) => v >= 0 && Values[v] == (concat, offset);

    /// <summary>Whether the relevance of the Concat input whose relevance goes to <paramref name="sink"/> is already in place
    /// at <paramref name="offset"/> of Concat <paramref name="concat"/>'s relevance.</summary>
    public bool RelevanceInPlace(int concat, int sink, int offset) => sink >= 0 && Relevances[sink] == (concat, offset);

    /// <summary>Buffers for sizes <paramref name="sizes"/> laid out by <paramref name="homes"/>: one array per node that
    /// owns its buffer, slices of them for the others.</summary>
    public static Memory<float>[] Allocate(int[] sizes, ImmutableArray<(int Owner, int Offset)> homes)
    {
        var buffers = new Memory<float>[sizes.Length];
        Memory<float> Resolve(int i) => !buffers[i].IsEmpty || sizes[i] == 0 ? buffers[i]
            : buffers[i] = homes[i].Owner == Own ? new float[sizes[i]] : Resolve(homes[i].Owner).Slice(homes[i].Offset, sizes[i]);
        for (var i = 0; i < sizes.Length; i++) Resolve(i);
        return buffers;
    }
}
