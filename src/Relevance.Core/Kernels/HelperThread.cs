using System.Runtime.ExceptionServices;

namespace Relevance.Kernels;

/// <summary>Work over independent rows that <see cref="HelperThread"/> may split between two cores.</summary>
public abstract class RowJob
{
    /// <summary>The number of rows.</summary>
    public abstract int Rows { get; }

    /// <summary>Processes rows [from, to).</summary>
    public abstract void Run(int from, int to);
}

/// <summary>Runs a <see cref="RowJob"/> on the calling thread and one long-lived helper thread, allocating nothing per call.</summary>
/// <remarks>The caller always takes the first half and the helper the second, so on a two-core machine each core keeps
/// reading the same half of a layer's weights: a 1568×400 layer (2.5 MB) does not fit one core's L2, but its halves fit
/// two (measured: 111 µs for the whole backward product on one core, 33 µs for a half, 65 µs split). The helper spins
/// about a millisecond for the next job, then sleeps. When it is busy (another thread is explaining) or there is one core,
/// the caller runs every row itself. Rows are independent, so the result does not depend on the split.</remarks>
public static class HelperThread
{
    private const int SpinsBeforeSleep = 2000;
    private static readonly ManualResetEventSlim Wake = new(false);
    private static readonly Lock StartLock = new();
    private static Thread? _thread;
    private static RowJob? _job;
    private static int _from, _to, _busy, _posted, _finished;
    private static ExceptionDispatchInfo? _error;

    /// <summary>Runs the job's rows, split in two when it has at least <paramref name="minimumRowsToSplit"/> rows.</summary>
    public static void Run(RowJob job, int minimumRowsToSplit = 64)
    {
        ArgumentNullException.ThrowIfNull(job);
        var rows = job.Rows;
        if (Engine.Workers.Count < 2 || rows < minimumRowsToSplit || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            job.Run(0, rows);
            return;
        }
        try
        {
            EnsureStarted();
            var half = rows / 2;
            (_job, _from, _to, _error) = (job, half, rows, null);
            // A full fence between posting and waking, and between the helper's reset and its check: no post is missed.
            var generation = Interlocked.Increment(ref _posted);
            Wake.Set();
            try
            {
                job.Run(0, half);
            }
            finally
            {
                // Even when the caller's half throws, the helper's half finishes before the job is released.
                while (Volatile.Read(ref _finished) != generation) Thread.SpinWait(10);
            }
            _error?.Throw();
        }
        finally
        {
            _job = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void EnsureStarted()
    {
        if (_thread is not null) return;
        lock (StartLock)
        {
            if (_thread is not null) return;
            _thread = new Thread(Loop) { IsBackground = true, Name = "Relevance helper" };
            _thread.Start();
        }
    }

    private static void Loop()
    {
        var seen = 0;
        while (true)
        {
            for (var spins = 0; Volatile.Read(ref _posted) == seen; spins++)
            {
                if (spins < SpinsBeforeSleep)
                {
                    Thread.SpinWait(10);
                    continue;
                }
                // Sleep until the next post; the condition is checked again after the reset, so no post is missed.
                Wake.Reset();
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _posted) == seen) Wake.Wait();
                spins = 0;
            }
            seen = Volatile.Read(ref _posted);
            try
            {
                _job!.Run(_from, _to);
            }
            catch (Exception e)
            {
                _error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                Volatile.Write(ref _finished, seen);
            }
        }
    }
}
