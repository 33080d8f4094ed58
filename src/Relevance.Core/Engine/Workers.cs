using Relevance.Kernels;

namespace Relevance.Engine;

/// <summary>Splits a kernel's work between cores: two parts on the calling thread and the spinning helper thread, more on
/// the thread pool.</summary>
/// <remarks>An explanation runs a few hundred such splits, most well under a millisecond. A thread-pool worker that has
/// gone back to sleep between two of them takes a wake-up to start again, which on this project's 2-core machine cost
/// SqueezeNet's forward pass 14–17 ms against 11 with the pool's threads kept spinning; <see cref="HelperThread"/> spins
/// about a millisecond between jobs and allocates nothing per call. When the helper is busy (another thread explaining),
/// the caller runs both parts itself.</remarks>
internal static class Workers
{
    /// <summary>Runs body(w) for every part w in [0, parts), in parallel.</summary>
    public static void For(int parts, Action<int> body)
    {
        if (parts <= 1 || Parallelism.Cores < 2)
        {
            for (var w = 0; w < parts; w++) body(w);
            return;
        }
        if (parts == 2)
        {
            HelperThread.Run(new Job(body), minimumRowsToSplit: 2);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = Parallelism.Cores }, body);
    }

    private sealed class Job(Action<int> body) : RowJob
    {
        public override int Rows => 2;

        public override void Run(int from, int to)
        {
            for (var w = from; w < to; w++) body(w);
        }
    }
}
