using Relevance.Engine;

namespace Relevance.Tests.Engine;

/// <summary>Relevance buffers shared over the backward pass (BufferPlan.ShareRelevances): replayed on random graphs, no node
/// ever reads a buffer another node has written over since its own relevance was put there, nor writes where it reads.</summary>
public class BufferPlanTests
{
    [Fact]
    public void Shared_relevance_buffers_are_never_overwritten_while_needed()
    {
        var rng = new Random(7);
        var (shared, total) = (0L, 0L);
        for (var trial = 0; trial < 400; trial++)
        {
            var count = rng.Next(1, 40);
            var sizes = Enumerable.Range(0, count).Select(_ => rng.Next(1, 100)).ToArray();
            // Each node reads one to three earlier values (−1: the network's input); some are pass-through nodes of one input.
            var inputs = Enumerable.Range(0, count).Select(n => Enumerable.Range(0, rng.Next(1, 4)).Select(_ => rng.Next(-1, n)).ToArray()).ToArray();
            var passes = Enumerable.Range(0, count).Select(n => inputs[n].Length == 1 && rng.Next(2) == 0).ToArray();
            var output = count - 1 - rng.Next(Math.Min(3, count));
            var readers = new int[count];
            foreach (var v in inputs.SelectMany(i => i).Where(v => v >= 0)) readers[v]++;
            bool Direct(int v) => v >= 0 && v != output && readers[v] == 1;
            // As the engine makes them: a pass-through node read once, whose input is read once, sends its relevance to its input's sink.
            var sinks = new int[count];
            for (var n = 0; n < count; n++)
                sinks[n] = passes[n] && Direct(n) && Direct(inputs[n][0]) ? sinks[inputs[n][0]] : n;
            var homes = Enumerable.Repeat((BufferPlan.Own, 0), count).ToArray();
            var (slots, slotSizes) = BufferPlan.ShareRelevances(sizes, inputs, n => sinks[n], output, homes);

            // Replays the backward pass: each slot holds the relevance of one node at a time; writing a node's relevance puts it
            // in its sink's slot, and visiting a node reads it from there.
            var holds = Enumerable.Repeat(-1, slotSizes.Length).ToArray();
            for (var n = 0; n < count; n++)
            {
                Assert.InRange(slots[n], 0, slotSizes.Length - 1);
                Assert.True(slotSizes[slots[n]] >= sizes[n], $"trial {trial}: node {n} needs {sizes[n]} values, its slot has {slotSizes[slots[n]]}");
                if (n == output || readers[n] == 0) holds[slots[sinks[n]]] = sinks[n];
            }
            for (var n = count - 1; n >= 0; n--)
            {
                Assert.True(holds[slots[sinks[n]]] == sinks[n], $"trial {trial}: node {n}'s relevance was overwritten by node {holds[slots[sinks[n]]]}'s");
                foreach (var v in inputs[n].Where(v => v >= 0))
                {
                    // A node that redistributes reads its relevance while it writes its inputs': never the same buffer.
                    Assert.True(sinks[n] != n || slots[sinks[v]] != slots[n], $"trial {trial}: node {n} writes node {v}'s relevance where its own is");
                    holds[slots[sinks[v]]] = sinks[v];
                }
            }
            shared += slotSizes.Sum();
            total += sizes.Sum();
        }
        // The point of sharing: far less than a buffer per node.
        Assert.True(shared < total * 3 / 4, $"shared slots hold {shared} values for {total}");
    }
}
