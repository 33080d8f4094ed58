using System.Diagnostics;
using System.Globalization;
using Relevance.Engine;

namespace Relevance.Benchmarks;

/// <summary>`-- paired [PAIRS] [--batch B] [NETWORK…]`: explanation / forward of <see cref="ExplainBenchmarks"/>' networks,
/// timed in pairs in one run (<see cref="PairedTiming"/>), as the median of the pairs' ratios.</summary>
/// <remarks>BenchmarkDotNet times the two benchmarks one after the other, so a slow spell of a shared machine that
/// covers one and not the other moves their ratio; within a pair it slows both alike.</remarks>
internal static class PairedRatios
{
    public static void Run(string[] args)
    {
        var batchAt = Array.IndexOf(args, "--batch");
        var batch = 1;
        if (batchAt >= 0 && (batchAt + 1 >= args.Length || !int.TryParse(args[batchAt + 1], CultureInfo.InvariantCulture, out batch) || batch < 1))
        {
            Console.Error.WriteLine("paired: --batch takes a number of inputs ≥ 1.");
            Environment.ExitCode = 2;
            return;
        }
        var rest = batchAt < 0 ? args : [.. args[..batchAt], .. args[(batchAt + 2)..]];
        var pairs = rest.Length > 0 && int.TryParse(rest[0], CultureInfo.InvariantCulture, out var n) ? n : 21;
        var names = rest.SkipWhile(a => int.TryParse(a, CultureInfo.InvariantCulture, out _)).ToArray();
        var unknown = names.Except(ExplainBenchmarks.Networks).ToList();
        if (pairs < 1 || unknown.Count > 0)
        {
            Console.Error.WriteLine($"paired [PAIRS ≥ 1] [--batch B] [NETWORK…]: networks are {string.Join(", ", ExplainBenchmarks.Networks)}; got {pairs} pairs{(unknown.Count > 0 ? $" and {string.Join(", ", unknown)}" : "")}.");
            Environment.ExitCode = 2;
            return;
        }
        Console.WriteLine($"explanation (training-free DTD, forward included) / forward, batch {batch}, {pairs} pairs after 1.5 s of untimed ones, medians per call (ms):");
        Console.WriteLine($"{"network",-16} {"forward",9} {"explain",9} {"ratio",7}   quartiles");
        foreach (var name in names.Length > 0 ? names : ExplainBenchmarks.Networks)
        {
            ExplainBenchmarks.Case? c = ExplainBenchmarks.Case.Of(name, batch);
            var t = PairedTiming.Measure(c.Forward, c.Explain, pairs);
            var (low, high) = t.RatioQuartiles;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-16} {t.FirstMedian,9:F1} {t.SecondMedian,9:F1} {t.RatioMedian,7:F2}   {low:F2}–{high:F2}"));
            // The next network is built on a collected heap: its timings do not pay for this one's collection, and the peak
            // below is the largest network's, not the sum of those still uncollected.
            c = null;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        Console.WriteLine($"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB");
    }
}
