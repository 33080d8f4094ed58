using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Relevance.IO;

namespace Relevance.Experiments;

/// <summary>Region perturbation (Samek et al., docs/rules.md §8) on the paper's two-digit images: regions are replaced by
/// uniform random values of the input domain, most relevant first; AOPC = 1/(L+1) ⟨Σ_{k=0..L} f(x⁰) − f(xᵏ)⟩. A better
/// explanation makes f fall faster (larger AOPC).</summary>
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
        var perturbation = new RegionPerturbation(1, TwoDigitData.Height, TwoDigitData.Width, region);
        var used = examples.Where(e => e.Output > 0).ToList();
        if (used.Count == 0) throw new ArgumentException("No example has f(x) > 0 to perturb.");
        var orderings = methods.Append("random").ToList();
        var drops = orderings.ToDictionary(m => m, _ => new List<double[]>());
        var rng = new Random(seed);
        foreach (var e in used)
        {
            // The same replacement values and random order for every method, so the curves differ only by the ordering.
            var noise = Enumerable.Range(0, TwoDigitData.Size).Select(_ => (float)(TwoDigitData.Low + rng.NextDouble() * (TwoDigitData.High - TwoDigitData.Low))).ToArray();
            var randomOrder = Enumerable.Range(0, perturbation.Count).OrderBy(_ => rng.Next()).ToArray();
            foreach (var method in orderings)
            {
                var order = method == "random" ? randomOrder : perturbation.MostRelevantFirst(e.Heatmaps[method].Data.AsSpan());
                drops[method].Add(perturbation.Drops(x => detector.Output(x), e.Example.Pixels, noise, order, steps));
            }
        }
        return [.. orderings.Select(m => RegionPerturbation.Summarise(m, drops[m]))];
    }

    /// <summary>The AOPC table as markdown, best first.</summary>
    public static string Markdown(IReadOnlyList<AopcCurve> curves, int steps, int region, int examples, string command) =>
        new StringBuilder($"# Region perturbation (AOPC)\n\n{examples} test pairs, {region}×{region} regions replaced by uniform noise in [−0.5, 1.5], L = {steps} steps; standard errors over the pairs, leads over a baseline paired on the same pairs.\n\n")
            .Append(AopcTable.Markdown(curves, "F2")).AppendLine().AppendLine($"Made by `{command}`.").ToString();

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
