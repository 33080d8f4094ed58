using Relevance.Kernels;

namespace Relevance.Tests.Kernels;

/// <summary>The helper thread that splits a job's rows across two cores: every row exactly once, from any number of callers.</summary>
public class HelperThreadTests
{
    private sealed class CountingJob(int rows) : RowJob
    {
        public readonly int[] Visits = new int[rows];
        public override int Rows => rows;
        public override void Run(int from, int to)
        {
            for (var i = from; i < to; i++) Interlocked.Increment(ref Visits[i]);
        }
    }

    [Fact]
    public void Every_row_is_run_exactly_once_whether_split_or_not()
    {
        foreach (var rows in new[] { 0, 1, 63, 64, 65, 1568, 4097 })
        {
            var job = new CountingJob(rows);
            HelperThread.Run(job);
            Assert.All(job.Visits, v => Assert.Equal(1, v));
        }
    }

    [Fact]
    public void Concurrent_callers_each_get_all_their_rows_while_one_of_them_holds_the_helper()
    {
        var jobs = Enumerable.Range(0, 8).Select(_ => new CountingJob(2000)).ToArray();
        Parallel.For(0, jobs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, j =>
        {
            for (var round = 0; round < 200; round++) HelperThread.Run(jobs[j]);
        });
        Assert.All(jobs, job => Assert.All(job.Visits, v => Assert.Equal(200, v)));
    }

    [Fact]
    public void An_exception_in_the_helpers_half_reaches_the_caller()
    {
        var job = new ThrowingJob();
        Assert.Throws<InvalidOperationException>(() => HelperThread.Run(job));
        var after = new CountingJob(500);
        HelperThread.Run(after);
        Assert.All(after.Visits, v => Assert.Equal(1, v));
    }

    private sealed class ThrowingJob : RowJob
    {
        public override int Rows => 1000;
        public override void Run(int from, int to)
        {
            if (to == Rows) throw new InvalidOperationException("the second half fails");
        }
    }

    private sealed class ThreadJob(int rows) : RowJob
    {
        public readonly int[] Threads = new int[rows];
        public override int Rows => rows;
        public override void Run(int from, int to)
        {
            for (var i = from; i < to; i++) Threads[i] = Environment.CurrentManagedThreadId;
        }
    }

    [Fact]
    public void With_one_core_every_row_runs_on_the_caller_and_the_limit_is_restored()
    {
        var job = new ThreadJob(4000);
        using (Parallelism.Limit(1))
        {
            Assert.Equal(1, Parallelism.Cores);
            HelperThread.Run(job);
        }
        Assert.All(job.Threads, t => Assert.Equal(Environment.CurrentManagedThreadId, t));
        Assert.Equal(Environment.ProcessorCount, Parallelism.Cores);
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.Limit(-1));
    }

    [Fact]
    public void Rows_run_once_whoever_takes_the_second_half_and_when_the_helper_sleeps_between_jobs()
    {
        // The caller's half is empty work, so it finishes first and takes the second half whenever the helper has not started
        // it yet — always after a pause long enough for the helper to have gone to sleep.
        for (var round = 0; round < 30; round++)
        {
            var job = new CountingJob(130);
            HelperThread.Run(job);
            Assert.All(job.Visits, v => Assert.Equal(1, v));
            if (round % 3 == 0) Thread.Sleep(5);
        }
    }
}
