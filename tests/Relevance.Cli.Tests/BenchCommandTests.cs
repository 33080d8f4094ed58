using System.Globalization;
using System.Text.RegularExpressions;

namespace Relevance.Cli.Tests;

public partial class BenchCommandTests
{
    private static readonly string Mnist = Cli.Data("onnx", "mnist-8", "mnist-8.onnx");

    [Fact]
    public void Prints_both_medians_and_the_median_of_the_pairs_ratios()
    {
        var r = Cli.Run("bench", Mnist, "--repeats", "3");
        Assert.True(r.ExitCode == 0, r.Error);
        var m = Line().Match(r.Out);
        Assert.True(m.Success, r.Out);
        double At(string group) => double.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
        Assert.True(At("forward") > 0 && At("explain") > 0, r.Out);
        // The ratio's size is the benchmark's business (a shared machine can stall any one call): here only its quartiles'
        // order is held.
        Assert.True(At("ratio") > 0 && At("low") <= At("ratio") && At("ratio") <= At("high"), r.Out);
        Assert.Matches(@"mnist-8\.onnx: load [\d.]+ s, compile [\d.]+ s; peak memory after loading \d+ MiB", r.Out);
    }

    [Fact]
    public void Latency_under_a_busy_core_prints_percentiles_and_stops_the_busy_process()
    {
        var r = Cli.Run("bench", Mnist, "--latency", "50", "--busy-core");
        Assert.True(r.ExitCode == 0, r.Error);
        var m = Latency().Match(r.Out);
        Assert.True(m.Success, r.Out);
        double At(string group) => double.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
        Assert.True(0 < At("median") && At("median") <= At("p99") && At("p99") <= At("max"), r.Out);
        // The spinning process was killed with the command: none is left running.
        Assert.DoesNotContain(System.Diagnostics.Process.GetProcessesByName("dotnet"), p => SafeCommandLine(p).Contains("relevance.dll spin", StringComparison.Ordinal));
        Assert.Equal(2, Cli.Run("bench", Mnist, "--busy-core").ExitCode);
    }

    // The command line of a process, where the system shows it (Linux); empty elsewhere.
    private static string SafeCommandLine(System.Diagnostics.Process p)
    {
        try
        {
            return File.ReadAllText($"/proc/{p.Id}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    // The slowest layers by explanation time, in order, each no faster than its relevance pass, and a last row summing all
    // of them; --layers times the paired calls, so it does not go with --latency.
    [Fact]
    public void Layers_lists_the_slowest_layers_and_a_sum_over_all_of_them()
    {
        var r = Cli.Run("bench", Mnist, "--repeats", "3", "--batch", "2", "--layers", "3");
        Assert.True(r.ExitCode == 0, r.Error);
        var rows = LayerRow().Matches(r.Out).Select(m => (Explanation: Ms(m, "explanation"), Relevance: Ms(m, "relevance"), Name: m.Groups["name"].Value.Trim())).ToList();
        Assert.True(rows.Count == 4, r.Out);
        Assert.Matches(@"^all \d+ layers$", rows[^1].Name);
        Assert.True(rows[0].Explanation > 0, r.Out);
        Assert.All(rows, row => Assert.True(row.Relevance <= row.Explanation, r.Out));
        Assert.True(rows[0].Explanation >= rows[1].Explanation && rows[1].Explanation >= rows[2].Explanation, r.Out);
        // Each value is rounded to 0.001 ms on its own: three rows can exceed the rounded sum by 0.0015 ms.
        Assert.True(rows[..3].Sum(row => row.Explanation) <= rows[^1].Explanation + 0.0015, r.Out);
        Assert.Equal(2, Cli.Run("bench", Mnist, "--latency", "5", "--layers", "3").ExitCode);
    }

    // A batch timed against its inputs one at a time: per-input times from the same pairs, and their ratio within its
    // quartiles; without a batch there is nothing to compare, a usage error.
    [Fact]
    public void Against_single_times_a_batch_against_its_inputs_one_at_a_time()
    {
        var r = Cli.Run("bench", Mnist, "--repeats", "3", "--batch", "3", "--against-single");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Matches(Line(), r.Out);
        var m = PerInput().Match(r.Out);
        Assert.True(m.Success, r.Out);
        Assert.True(Ms(m, "single") > 0 && Ms(m, "batched") > 0, r.Out);
        Assert.True(Ms(m, "low") <= Ms(m, "ratio") && Ms(m, "ratio") <= Ms(m, "high"), r.Out);
        var alone = Cli.Run("bench", Mnist, "--repeats", "1", "--against-single");
        Assert.Equal(2, alone.ExitCode);
        Assert.Contains("--against-single goes with --batch", alone.Error);
    }

    private static double Ms(Match m, string group) => double.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("--repeats", "0")]
    [InlineData("--batch", "-1")]
    public void Non_positive_counts_are_usage_errors(string option, string value)
    {
        var r = Cli.Run("bench", Mnist, option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("must be positive", r.Error);
    }

    // mnist-8's 784 inputs × 3·10⁶ = 2.4·10⁹ values: more than one array holds, refused before anything is allocated.
    [Fact]
    public void A_batch_too_large_to_hold_is_a_usage_error()
    {
        var r = Cli.Run("bench", Mnist, "--batch", "3000000", "--repeats", "1");
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Error}");
        Assert.Contains("--batch 3000000", r.Error);
        Assert.Contains("use a smaller batch", r.Error);
    }

    [GeneratedRegex(@"forward (?<forward>[\d.]+) ms, explain (?<explain>[\d.]+) ms .*explain/forward (?<ratio>[\d.]+) \(median of the pairs' ratios; quartiles (?<low>[\d.]+)–(?<high>[\d.]+)\)")]
    private static partial Regex Line();

    [GeneratedRegex(@"^ *(?<explanation>[\d.]+) +(?<relevance>[\d.]+) +[\d.]+ +(?:[\d.]+|–)  (?<name>.+)$", RegexOptions.Multiline)]
    private static partial Regex LayerRow();

    [GeneratedRegex(@"explanation per input: (?<single>[\d.]+) ms one at a time, (?<batched>[\d.]+) ms in a batch of 3 \(medians of 3\); batch / one at a time (?<ratio>[\d.]+) \(median of the pairs' ratios; quartiles (?<low>[\d.]+)–(?<high>[\d.]+)\)")]
    private static partial Regex PerInput();

    [GeneratedRegex(@"median (?<median>[\d.]+) ms, p99 (?<p99>[\d.]+) ms, max (?<max>[\d.]+) ms, p99/median [\d.]+")]
    private static partial Regex Latency();
}
