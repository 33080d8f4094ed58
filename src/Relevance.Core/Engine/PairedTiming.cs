using System.Collections.Immutable;
using System.Diagnostics;

namespace Relevance.Engine;

/// <summary>Two operations timed alternately, one call of each per pair, and the ratio of their times taken pair by pair.</summary>
/// <remarks>On a shared machine a slow spell of a few seconds slows every call in it. Timed in two separate runs (as
/// BenchmarkDotNet times two benchmarks), a spell that covers one run and not the other moves their ratio by as much as
/// it moves either time; inside one pair it slows both calls alike, so the median of the per-pair ratios stays put. Each
/// timed call follows a call of its own kind, as in a run of its own: a forward pass timed right after an explanation
/// finds caches the explanation filled, and the ratio would come out lower than each operation's own steady state gives.</remarks>
public static class PairedTiming
{
    /// <summary>Times <paramref name="first"/> and <paramref name="second"/> in <paramref name="pairs"/> pairs, each timed call
    /// right after an untimed one of the same operation, after untimed pairs — at least <paramref name="warmup"/>, for at
    /// least <paramref name="warmupTime"/> (default 1.5 s) — so that what is timed is the JIT's optimised code; reports
    /// each timed pair done.</summary>
    /// <remarks>The JIT first compiles a method quickly and recompiles it optimised only after some thirty calls and a quiet
    /// spell; three untimed pairs left SqueezeNet's forward pass at 15–22 ms by the median against 12–14 ms after thirty.</remarks>
    public static PairedTimes Measure(Action first, Action second, int pairs, int warmup = 3, TimeSpan? warmupTime = null, IProgress<int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        var warming = Stopwatch.StartNew();
        for (var i = 0; i < warmup || warming.Elapsed < (warmupTime ?? TimeSpan.FromSeconds(1.5)); i++)
        {
            first();
            second();
        }
        var (a, b) = (new double[pairs], new double[pairs]);
        // Each timed call follows an untimed call of the same operation, so that it finds the caches as a run of its own
        // calls leaves them (a forward pass right after an explanation measured 5–10 % slower than after a forward pass).
        for (var i = 0; i < pairs; i++)
        {
            first();
            a[i] = Time(first);
            second();
            b[i] = Time(second);
            progress?.Report(i + 1);
        }
        return PairedTimes.Of(a, b);
    }

    private static double Time(Action work)
    {
        var clock = Stopwatch.StartNew();
        work();
        return clock.Elapsed.TotalMilliseconds;
    }
}

/// <summary>The times of paired calls (milliseconds, in call order) and their statistics.</summary>
/// <param name="First">The first operation's time in each pair.</param>
/// <param name="Second">The second operation's time in each pair.</param>
public sealed record PairedTimes(ImmutableArray<double> First, ImmutableArray<double> Second)
{
    /// <summary>Checks that both lists are as long, non-empty, and hold positive finite times.</summary>
    public static PairedTimes Of(IReadOnlyList<double> first, IReadOnlyList<double> second)
    {
        if (first.Count == 0 || first.Count != second.Count)
            throw new ArgumentException($"Paired times need as many first as second times, at least one: got {first.Count} and {second.Count}.");
        foreach (var t in first.Concat(second))
            if (!double.IsFinite(t) || t <= 0) throw new ArgumentException($"A time must be positive and finite, got {t}.");
        return new([.. first], [.. second]);
    }

    /// <summary>The median time of the first operation.</summary>
    public double FirstMedian => Quantile(First, 0.5);

    /// <summary>The median time of the second operation.</summary>
    public double SecondMedian => Quantile(Second, 0.5);

    /// <summary>Second / first, pair by pair.</summary>
    public ImmutableArray<double> Ratios => [.. Second.Zip(First, (s, f) => s / f)];

    /// <summary>The median of the per-pair ratios second / first: the statistic a ratio target is held to.</summary>
    public double RatioMedian => Quantile(Ratios, 0.5);

    /// <summary>The lower and upper quartiles of the per-pair ratios.</summary>
    public (double Low, double High) RatioQuartiles => (Quantile(Ratios, 0.25), Quantile(Ratios, 0.75));

    // Linear interpolation between order statistics (the R-7 / NumPy default definition).
    internal static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        var at = q * (sorted.Length - 1);
        var below = (int)Math.Floor(at);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (at - below) * (sorted[above] - sorted[below]);
    }
}
