using System.Collections.Immutable;

namespace Relevance.Experiments;

/// <summary>One ordering's perturbation curve: ⟨f(x⁰) − f(xᵏ)⟩ after k regions are replaced, its AOPC, the AOPC's
/// standard error over the examples, and each example's own AOPC (in the examples' order).</summary>
public sealed record AopcCurve(string Method, ImmutableArray<double> Drop, double Aopc, double StandardError, ImmutableArray<double> PerExample)
{
    /// <summary>The mean over examples of this AOPC minus <paramref name="other"/>'s on the same example, and its standard
    /// error: paired, so the spread of f between examples, which both share, cancels.</summary>
    public (double Difference, double StandardError) Versus(AopcCurve other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.PerExample.Length != PerExample.Length) throw new ArgumentException("Both curves must be over the same examples.", nameof(other));
        return RegionPerturbation.MeanAndError([.. PerExample.Zip(other.PerExample, (a, b) => a - b)]);
    }
}

/// <summary>Region perturbation (Samek et al., docs/rules.md §8) of an input laid out [C, H, W]: square regions, each across
/// every channel, are replaced most relevant first by values drawn for the example, and f is measured after each.</summary>
/// <param name="Channels">C.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
/// <param name="Region">The side of the square regions; the H × W plane is cut into whole regions from its top-left corner.</param>
public sealed record RegionPerturbation(int Channels, int Height, int Width, int Region)
{
    /// <summary>Regions down the plane.</summary>
    public int Rows => Height / Region;

    /// <summary>Regions across the plane.</summary>
    public int Columns => Width / Region;

    /// <summary>The number of whole regions.</summary>
    public int Count => Rows * Columns;

    /// <summary>The regions by summed relevance of a [H × W] map, most relevant first (ties in region order).</summary>
    public int[] MostRelevantFirst(ReadOnlySpan<double> map)
    {
        if (map.Length != Height * Width) throw new ArgumentException($"A {Height}×{Width} map has {Height * Width} values, got {map.Length}.", nameof(map));
        var sums = new double[Count];
        for (var r = 0; r < sums.Length; r++)
        {
            var (top, left) = (r / Columns * Region, r % Columns * Region);
            for (var y = top; y < top + Region; y++)
                for (var x = left; x < left + Region; x++) sums[r] += map[y * Width + x];
        }
        return [.. Enumerable.Range(0, Count).OrderByDescending(r => sums[r])];
    }

    /// <summary>f(x⁰) − f(xᵏ) for k = 0..steps, where xᵏ has the first k regions of <paramref name="order"/> replaced by
    /// <paramref name="replacement"/>'s values (an input of the same layout).</summary>
    public double[] Drops(Func<float[], double> f, ReadOnlySpan<float> x, ReadOnlySpan<float> replacement, IReadOnlyList<int> order, int steps)
    {
        if (x.Length != Channels * Height * Width || replacement.Length != x.Length)
            throw new ArgumentException($"The input and its replacement must both have {Channels}×{Height}×{Width} values.", nameof(x));
        steps = Math.Min(steps, Math.Min(Count, order.Count));
        var current = x.ToArray();
        var f0 = f(current);
        var drops = new double[steps + 1];
        for (var k = 1; k <= steps; k++)
        {
            var (top, left) = (order[k - 1] / Columns * Region, order[k - 1] % Columns * Region);
            for (var c = 0; c < Channels; c++)
                for (var y = top; y < top + Region; y++)
                {
                    var at = (c * Height + y) * Width + left;
                    replacement.Slice(at, Region).CopyTo(current.AsSpan(at, Region));
                }
            drops[k] = f0 - f(current);
        }
        return drops;
    }

    /// <summary>A method's curve over examples: the mean drop after each step, AOPC = 1/(L+1) ⟨Σ_{k=0..L} f(x⁰) − f(xᵏ)⟩, and the
    /// standard error of the examples' own AOPCs (their standard deviation over √n; NaN for one example).</summary>
    public static AopcCurve Summarise(string method, IReadOnlyList<double[]> perExample)
    {
        if (perExample.Count == 0) throw new ArgumentException("No example to summarise.", nameof(perExample));
        var length = perExample[0].Length;
        var drop = Enumerable.Range(0, length).Select(k => perExample.Average(d => d[k])).ToImmutableArray();
        var aopcs = perExample.Select(d => d.Average()).ToImmutableArray();
        var (mean, error) = MeanAndError(aopcs);
        return new AopcCurve(method, drop, mean, error, aopcs);
    }

    /// <summary>The mean of values and its standard error (their sample standard deviation over √n; NaN for one value).</summary>
    public static (double Mean, double StandardError) MeanAndError(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        var n = values.Count;
        return (mean, n > 1 ? Math.Sqrt(values.Sum(a => (a - mean) * (a - mean)) / (n - 1) / n) : double.NaN);
    }
}

/// <summary>The AOPC table both experiments print: best first, each AOPC with its standard error, and its lead over the
/// random order and over sensitivity (the baselines Samek et al. compare against), paired on the same examples.</summary>
public static class AopcTable
{
    /// <summary>The column names.</summary>
    public static ImmutableArray<string> Header { get; } = ["method", "AOPC", "s.e.", "vs random", "s.e.", "vs sensitivity", "s.e."];

    /// <summary>One row of cells per curve, best first; a comparison with itself or with a baseline not run is left empty.</summary>
    public static IEnumerable<string[]> Rows(IReadOnlyList<AopcCurve> curves, string format = "F3")
    {
        string F(double v) => double.IsNaN(v) ? "—" : v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        var baselines = new[] { "random", "sensitivity" }.Select(b => curves.FirstOrDefault(c => c.Method == b)).ToArray();
        foreach (var c in curves.OrderByDescending(c => c.Aopc))
        {
            var cells = new List<string> { c.Method, F(c.Aopc), F(c.StandardError) };
            foreach (var b in baselines)
            {
                if (b is null || b == c) cells.AddRange(["", ""]);
                else
                {
                    var (lead, error) = c.Versus(b);
                    cells.AddRange([F(lead), F(error)]);
                }
            }
            yield return [.. cells];
        }
    }

    /// <summary>The table as markdown.</summary>
    public static string Markdown(IReadOnlyList<AopcCurve> curves, string format = "F3") =>
        string.Join("\n", new[] { Header.ToArray(), [.. Header.Select((_, i) => i == 0 ? "---" : "---:")] }.Concat(Rows(curves, format))
            .Select(cells => $"| {string.Join(" | ", cells)} |")) + "\n";
}
