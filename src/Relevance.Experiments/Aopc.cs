using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Relevance.IO;

namespace Relevance.Experiments;

/// <summary>One ordering's perturbation curve: ⟨f(x⁰) − f(xᵏ)⟩ after k regions are replaced, and its AOPC.</summary>
public sealed record AopcCurve(string Method, ImmutableArray<double> Drop, double Aopc);

/// <summary>Region perturbation (Samek et al., docs/rules.md §8): regions are replaced by uniform random values of the input domain,
/// most relevant first; AOPC = 1/(L+1) ⟨Σ_{k=0..L} f(x⁰) − f(xᵏ)⟩. A better explanation makes f fall faster (larger AOPC).</summary>
public static class Aopc
{
    /// <summary>The curves of each method and of a random ordering, over examples explained by <see cref="SectionThree"/>.</summary>
    /// <param name="detector">The network whose output is perturbed.</param>
    /// <param name="examples">The explained examples (those with f(x) &gt; 0 are used).</param>
    /// <param name="methods">The heatmaps to order regions by.</param>
    /// <param name="steps">L, the number of regions replaced.</param>
    /// <param name="region">The side of the square regions (the 28×56 image is cut into whole regions).</param>
    /// <param name="seed">The seed of the random replacements and of the random ordering.</param>
    public static ImmutableArray<AopcCurve> Run(OneLayerDetector detector, IReadOnlyList<ExplainedExample> examples, IReadOnlyList<string> methods, int steps, int region, int seed)
    {
        if (TwoDigitData.Height % region != 0 || TwoDigitData.Width % region != 0)
            throw new ArgumentException($"The region side {region} must divide 28 and 56.");
        var (rows, cols) = (TwoDigitData.Height / region, TwoDigitData.Width / region);
        steps = Math.Min(steps, rows * cols);
        var used = examples.Where(e => e.Output > 0).ToList();
        if (used.Count == 0) throw new ArgumentException("No example has f(x) > 0 to perturb.");
        var orderings = methods.Append("random").ToList();
        var drops = orderings.ToDictionary(m => m, _ => new double[steps + 1]);
        var rng = new Random(seed);
        foreach (var e in used)
        {
            // The same replacement values and random order for every method, so the curves differ only by the ordering.
            var noise = Enumerable.Range(0, TwoDigitData.Size).Select(_ => (float)(TwoDigitData.Low + rng.NextDouble() * (TwoDigitData.High - TwoDigitData.Low))).ToArray();
            var randomOrder = Enumerable.Range(0, rows * cols).OrderBy(_ => rng.Next()).ToArray();
            var f0 = detector.Output(e.Example.Pixels);
            foreach (var method in orderings)
            {
                var order = method == "random" ? randomOrder : Order(e.Heatmaps[method], region, rows, cols);
                var x = (float[])e.Example.Pixels.Clone();
                for (var k = 0; k <= steps; k++)
                {
                    if (k > 0) Replace(x, noise, order[k - 1], region, cols);
                    drops[method][k] += f0 - detector.Output(x);
                }
            }
        }
        return [.. orderings.Select(m =>
        {
            var drop = drops[m].Select(d => d / used.Count).ToImmutableArray();
            return new AopcCurve(m, drop, drop.Average());
        })];
    }

    // Regions by summed relevance, most relevant first.
    private static int[] Order(Tensor heatmap, int region, int rows, int cols) =>
        [.. Enumerable.Range(0, rows * cols).OrderByDescending(r =>
        {
            var (ry, rx) = (r / cols, r % cols);
            var s = 0.0;
            for (var y = 0; y < region; y++)
                for (var x = 0; x < region; x++) s += heatmap[(ry * region + y) * TwoDigitData.Width + rx * region + x];
            return s;
        })];

    private static void Replace(float[] x, float[] noise, int r, int region, int cols)
    {
        var (ry, rx) = (r / cols, r % cols);
        for (var y = 0; y < region; y++)
            for (var c = 0; c < region; c++)
            {
                var i = (ry * region + y) * TwoDigitData.Width + rx * region + c;
                x[i] = noise[i];
            }
    }

    /// <summary>The AOPC table as markdown, best first.</summary>
    public static string Markdown(IEnumerable<AopcCurve> curves, int steps, int region, int examples, string command)
    {
        var md = new StringBuilder($"# Region perturbation (AOPC)\n\n{examples} test pairs, {region}×{region} regions replaced by uniform noise in [−0.5, 1.5], L = {steps} steps.\n\n| method | AOPC |\n|---|---:|\n");
        foreach (var c in curves.OrderByDescending(c => c.Aopc)) md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {c.Method} | {c.Aopc:F2} |"));
        return md.AppendLine().AppendLine($"Made by `{command}`.").ToString();
    }

    /// <summary>The curves ⟨f(x⁰) − f(xᵏ)⟩ against k.</summary>
    public static void Plot(string path, IEnumerable<AopcCurve> curves)
    {
        var plot = new ScottPlot.Plot();
        foreach (var c in curves)
        {
            double[] xs = [.. Enumerable.Range(0, c.Drop.Length).Select(k => (double)k)];
            double[] ys = [.. c.Drop];
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = $"{c.Method} (AOPC {c.Aopc.ToString("F1", CultureInfo.InvariantCulture)})";
        }
        plot.XLabel("regions perturbed k");
        plot.YLabel("⟨f(x⁰) − f(xᵏ)⟩");
        plot.Title("Region perturbation: most relevant first");
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(720, 480, ScottPlot.ImageFormat.Png));
    }
}
