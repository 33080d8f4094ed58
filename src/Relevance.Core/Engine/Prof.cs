#pragma warning disable CS1591
namespace Relevance.Engine;
public static class Prof
{
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, double> T = new();
    public static long Start() => System.Diagnostics.Stopwatch.GetTimestamp();
    public static void Add(string k, long t0) => T.AddOrUpdate(k, System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds, (_, v) => v + System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    public static string Dump(int n) => string.Join("\n", T.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key,-30} {kv.Value / n,8:F2} ms"));
}
