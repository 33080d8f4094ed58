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
/// <param name="Values">Per node, the Concat whose value buffer holds its value and the offset there (or, for a ReLU that
/// rectifies its input in place, that input and 0), or (−1, 0).</param>
/// <param name="Relevances">Per node, the Concat whose relevance buffer holds its relevance and the offset there, or (−1, 0).</param>
/// <param name="RelevanceSlots">Per node, the shared buffer its relevance lives in over the backward pass (see
/// <see cref="ShareRelevances"/>), or −1 for a buffer placed by <paramref name="Relevances"/>.</param>
/// <param name="SlotSizes">Per shared buffer, its size: the largest relevance it holds.</param>
internal sealed record BufferPlan(ImmutableArray<(int Owner, int Offset)> Values, ImmutableArray<(int Owner, int Offset)> Relevances,
    ImmutableArray<int> RelevanceSlots, ImmutableArray<int> SlotSizes)
{
    /// <summary>The owner of a buffer of its own.</summary>
    public const int Own = -1;

    /// <summary>Plans the buffers of a network in topological order; <paramref name="direct"/> says whether a value is read by
    /// one edge only, <paramref name="sink"/> where its relevance is written.</summary>
    public static BufferPlan Of(Network network, int[][] inputs, Func<int, bool> direct, Func<int, int> sink, int output)
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
        var (slots, sizes) = ShareRelevances([.. network.Shapes.Select(s => s.Size)], inputs, sink, output, relevances);
        return new([.. values], [.. relevances], [.. slots], [.. sizes]);
    }

    /// <summary>Shares relevance buffers between nodes whose relevances are never needed at once.</summary>
    /// <remarks>The backward pass visits nodes from the last to the first. A node's relevance is written first by its
    /// last reader (or, in a pass-through chain, by the reader of the chain's top, into the chain's bottom buffer — its
    /// sink) and read for the last time when the node itself is visited; the output's (seeded) and those of values nothing
    /// reads (cleared) are live from the start. Buffers whose lives do not overlap share one array, as large as the largest
    /// of them; the first write into a buffer overwrites (see <c>EngineNetwork</c>'s Started), so what an earlier node
    /// left there is never read. A Concat's slices and the Concats holding them keep buffers of their own.</remarks>
    /// <returns>Per node its slot, or −1; and each slot's size.</returns>
    internal static (int[] Slots, int[] Sizes) ShareRelevances(int[] sizes, int[][] inputs, Func<int, int> sink, int output,
        IReadOnlyList<(int Owner, int Offset)> homes)
    {
        var count = sizes.Length;
        var slots = Enumerable.Repeat(-1, count).ToArray();
        var pinned = new bool[count];
        for (var n = 0; n < count; n++)
            if (homes[n].Owner != Own) pinned[n] = pinned[homes[n].Owner] = true;
        // Each node's relevance lives in its sink's buffer: a node's own, or the bottom of the pass-through chain it tops.
        int Root(int n) => sink(n) is var s and >= 0 && s != n ? s : n;
        var (low, high, need) = (new int[count], Enumerable.Repeat(-1, count).ToArray(), new int[count]);
        var readers = new int[count];
        var lastReader = Enumerable.Repeat(-1, count).ToArray();
        for (var n = 0; n < count; n++)
            foreach (var v in inputs[n])
                if (v >= 0)
                {
                    readers[v]++;
                    lastReader[v] = Math.Max(lastReader[v], n);
                }
        for (var n = 0; n < count; n++)
        {
            var r = Root(n);
            if (pinned[n] || pinned[r]) continue;
            low[r] = r;
            need[r] = Math.Max(need[r], sizes[n]);
            high[r] = Math.Max(high[r], readers[n] == 0 || n == output ? int.MaxValue : Math.Max(n, lastReader[n]));
        }
        // Interval allocation in the order lives begin (the highest last use first): a slot whose occupant's life ended
        // (its lowest node was visited before this life begins) is free; the smallest free slot large enough is taken,
        // else the largest free one is grown, else a new one is made.
        var (slotSizes, slotEnds) = (new List<int>(), new List<int>());
        foreach (var r in Enumerable.Range(0, count).Where(r => high[r] >= 0).OrderByDescending(r => high[r]).ThenByDescending(r => r))
        {
            var best = -1;
            for (var s = 0; s < slotSizes.Count; s++)
            {
                if (slotEnds[s] <= high[r]) continue;
                var fits = slotSizes[s] >= need[r];
                best = best < 0 ? s
                    : fits && (slotSizes[best] < need[r] || slotSizes[s] < slotSizes[best]) ? s
                    : !fits && slotSizes[best] < need[r] && slotSizes[s] > slotSizes[best] ? s : best;
            }
            if (best < 0)
            {
                best = slotSizes.Count;
                slotSizes.Add(0);
                slotEnds.Add(0);
            }
            (slotSizes[best], slotEnds[best]) = (Math.Max(slotSizes[best], need[r]), low[r]);
            slots[r] = best;
        }
        for (var n = 0; n < count; n++)
            if (slots[n] < 0 && !pinned[n] && !pinned[Root(n)]) slots[n] = slots[Root(n)];
        return (slots, [.. slotSizes]);
    }

    /// <summary>The relevance buffers: shared slots where <see cref="RelevanceSlots"/> gives one, else as <see cref="Relevances"/> places them.</summary>
    public Memory<float>[] AllocateRelevances(int[] sizes)
    {
        var shared = LargeArrays.Slices([.. SlotSizes.Select(size => Math.Max(1, size))]);
        var placed = Allocate([.. sizes.Select((size, n) => RelevanceSlots[n] < 0 ? size : 0)], Relevances);
        return [.. sizes.Select((size, n) => RelevanceSlots[n] < 0 ? placed[n] : shared[RelevanceSlots[n]][..size])];
    }

    /// <summary>Whether value <paramref name="v"/>, read by Concat <paramref name="concat"/> at <paramref name="offset"/>, is
    /// computed in place there.</summary>
    public bool ValueInPlace(int concat, int v, int offset) => v >= 0 && Values[v] == (concat, offset);

    /// <summary>Whether the relevance of the Concat input whose relevance goes to <paramref name="sink"/> is already in place
    /// at <paramref name="offset"/> of Concat <paramref name="concat"/>'s relevance.</summary>
    public bool RelevanceInPlace(int concat, int sink, int offset) => sink >= 0 && Relevances[sink] == (concat, offset);

    /// <summary>Buffers for sizes <paramref name="sizes"/> laid out by <paramref name="homes"/>: a buffer per node that owns
    /// one (all slices of one array, <see cref="LargeArrays.Slices"/>), slices of them for the others.</summary>
    public static Memory<float>[] Allocate(int[] sizes, ImmutableArray<(int Owner, int Offset)> homes)
    {
        var owners = Enumerable.Range(0, sizes.Length).Where(i => homes[i].Owner == Own && sizes[i] > 0).ToArray();
        var owned = LargeArrays.Slices([.. owners.Select(i => sizes[i])]);
        var buffers = new Memory<float>[sizes.Length];
        for (var k = 0; k < owners.Length; k++) buffers[owners[k]] = owned[k];
        Memory<float> Resolve(int i) => !buffers[i].IsEmpty || sizes[i] == 0 ? buffers[i]
            : buffers[i] = Resolve(homes[i].Owner).Slice(homes[i].Offset, sizes[i]);
        for (var i = 0; i < sizes.Length; i++) Resolve(i);
        return buffers;
    }
}
