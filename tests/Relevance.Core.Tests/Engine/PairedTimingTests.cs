using Relevance.Engine;

namespace Relevance.Tests.Engine;

public class PairedTimingTests
{
    [Fact]
    public void Medians_and_quartiles_are_those_of_the_pairs()
    {
        // Ratios 3, 2.5, 10/3, 2.5, 2: sorted 2, 2.5, 2.5, 3, 10/3.
        var t = PairedTimes.Of([10, 20, 30, 40, 50], [30, 50, 100, 100, 100]);
        Assert.Equal(30, t.FirstMedian);
        Assert.Equal(100, t.SecondMedian);
        Assert.Equal(2.5, t.RatioMedian, 12);
        Assert.Equal((2.5, 3.0), t.RatioQuartiles);
        // An even count interpolates between the middle two.
        Assert.Equal(2.75, PairedTimes.Of([1, 1, 1, 1], [2.5, 3, 2, 4]).RatioMedian, 12);
    }

    // A slow spell multiplies both times of the pairs it covers: the per-pair ratios, and so their median, do not move,
    // while the ratio of the two medians does.
    [Fact]
    public void A_slow_spell_over_whole_pairs_leaves_the_ratio_alone()
    {
        var rng = new Random(5);
        var first = Enumerable.Range(0, 21).Select(_ => 10 + rng.NextDouble()).ToArray();
        var second = first.Select(f => 2.8 * f).ToArray();
        var slow = Enumerable.Range(0, 21).Select(i => i < 12 ? 1.3 : 1.0).ToArray();
        var spelled = PairedTimes.Of([.. first.Select((f, i) => f * slow[i])], [.. second.Select((s, i) => s * (i < 9 ? slow[i] : 1.0))]);
        var even = PairedTimes.Of([.. first.Select((f, i) => f * slow[i])], [.. second.Select((s, i) => s * slow[i])]);
        Assert.Equal(2.8, even.RatioMedian, 12);
        Assert.Equal(2.8, PairedTimes.Of(first, second).RatioMedian, 12);
        // Pairs 9–11 had only their first call slowed (the spell ended between the calls): they are 3 of 21.
        Assert.Equal(2.8, spelled.RatioMedian, 12);
        Assert.True(spelled.SecondMedian / spelled.FirstMedian < 2.5, $"ratio of medians {spelled.SecondMedian / spelled.FirstMedian}");
    }

    [Fact]
    public void Each_timed_call_follows_one_of_its_own_kind_and_each_pair_is_reported()
    {
        var calls = new List<char>();
        var reported = new List<int>();
        var t = PairedTiming.Measure(() => { calls.Add('f'); Thread.SpinWait(100); }, () => { calls.Add('e'); Thread.SpinWait(100); }, 4, warmup: 2,
            warmupTime: TimeSpan.Zero, progress: new Reporter(reported.Add));
        // Two warm-up pairs, then each timed call right after an untimed one of its own kind.
        Assert.Equal("fefe" + "ffee" + "ffee" + "ffee" + "ffee", new string([.. calls]));
        Assert.Equal([1, 2, 3, 4], reported);
        Assert.Equal(4, t.First.Length);
        Assert.All(t.Ratios, r => Assert.True(r > 0 && double.IsFinite(r)));
    }

    // The JIT recompiles hot code some time after its first calls: warming up goes on for the time asked, whatever the
    // count of pairs.
    [Fact]
    public void Warming_up_lasts_at_least_the_time_asked()
    {
        var calls = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        PairedTiming.Measure(() => { calls++; Thread.Sleep(2); }, () => Thread.Sleep(2), 2, warmup: 0, warmupTime: TimeSpan.FromMilliseconds(60));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(60), $"{clock.Elapsed}");
        Assert.True(calls > 2, $"{calls} calls: no untimed pair");
    }

    [Fact]
    public void Bad_times_and_counts_are_refused()
    {
        Assert.Throws<ArgumentException>(() => PairedTimes.Of([1, 2], [1]));
        Assert.Throws<ArgumentException>(() => PairedTimes.Of([], []));
        Assert.Throws<ArgumentException>(() => PairedTimes.Of([1, 0], [1, 1]));
        Assert.Throws<ArgumentException>(() => PairedTimes.Of([1, double.NaN], [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairedTiming.Measure(() => { }, () => { }, 0));
    }

    private sealed class Reporter(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
