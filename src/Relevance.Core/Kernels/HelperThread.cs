using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Relevance.Kernels;

/// <summary>Work over independent rows that <see cref="HelperThread"/> may split between two cores.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
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
/// the caller runs every row itself; and when the caller finishes its half before the helper has started the other — the
/// helper asleep, or waiting for a core another process holds —, the caller claims that half and runs it too, rather than
/// wait a scheduler's time slice for the helper. When the helper started its half and then lost its core — the caller
/// waited for it longer than its own half took, and more than <see cref="LateWait"/>, so the split was slower than no
/// split —, the machine is busy: jobs run on the caller alone for <see cref="Backoff"/>, then splitting is tried again. Rows are independent, so the result does not depend on the split.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class HelperThread
{
    private const int SpinsBeforeSleep = 2000;
    private static readonly ManualResetEventSlim Wake = new(false);
    private static readonly Lock StartLock = new();
    private static Thread? _thread;
    private static RowJob? _job;
    private static int _from, _to, _busy, _posted, _claimed, _finished;
    private static ExceptionDispatchInfo? _error;
    // Until this timestamp (Stopwatch ticks) every job runs on the caller alone.
    private static long _aloneUntil;

    /// <summary>A wait for the helper longer than this means it lost its core mid-job.</summary>
    private static readonly long LateWait = Stopwatch.Frequency / 1000;

    /// <summary>How long jobs run on the caller alone after the helper was late.</summary>
    private static readonly long Backoff = Stopwatch.Frequency / 20;

    /// <summary>Runs the job's rows, split in two when it has at least <paramref name="minimumRowsToSplit"/> rows.</summary>
    public static void Run(RowJob job, int minimumRowsToSplit = 64)
    {
        ArgumentNullException.ThrowIfNull(job);
        var rows = job.Rows;
        if (Parallelism.Cores < 2 || rows < minimumRowsToSplit || Stopwatch.GetTimestamp() < Volatile.Read(ref _aloneUntil)
            || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
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
            var (second, started) = (false, Stopwatch.GetTimestamp());
            try
            {
                job.Run(0, half);
            }
            finally
            {
                // Each post's second half is claimed once, by the helper or here; even when the caller's half throws, the
                // helper's half finishes (or is never started) before the job is released.
                if (Interlocked.CompareExchange(ref _claimed, generation, generation - 1) == generation - 1) second = true;
                else
                {
                    var (wait, since) = (new SpinWait(), Stopwatch.GetTimestamp());
                    while (Volatile.Read(ref _finished) != generation) wait.SpinOnce(sleep1Threshold: -1);
                    var now = Stopwatch.GetTimestamp();
                    if (now - since > LateWait && now - since > since - started) Volatile.Write(ref _aloneUntil, now + Backoff);
                }
            }
            if (second) job.Run(half, rows);
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
            // The caller may have claimed this half already (it finished its own first); then there is nothing to do.
            if (Interlocked.CompareExchange(ref _claimed, seen, seen - 1) != seen - 1) continue;
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
