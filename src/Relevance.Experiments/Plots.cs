using Relevance.IO;

namespace Relevance.Experiments;

/// <summary>The paper's Figures 6 and 9 with ScottPlot: f(x) against Σ_p R_p, and log-count histograms of pixel relevance.</summary>
public static class Plots
{
    private static readonly ScottPlot.Color[] Palette = [ScottPlot.Colors.Black, ScottPlot.Colors.DarkOrange, ScottPlot.Colors.ForestGreen, ScottPlot.Colors.Purple];

    /// <summary>Scatter of f(x) (x-axis) against Σ_p R_p (y-axis), one series per method; conservative methods lie on the diagonal.</summary>
    public static void Conservation(string path, IReadOnlyList<ExplainedExample> examples, IReadOnlyList<string> methods)
    {
        var plot = new ScottPlot.Plot();
        var max = examples.Select(e => e.Output).DefaultIfEmpty(1).Max();
        var diagonal = plot.Add.Line(0, 0, max, max);
        diagonal.LineColor = ScottPlot.Colors.Gray;
        diagonal.LinePattern = ScottPlot.LinePattern.Dashed;
        for (var m = 0; m < methods.Count; m++)
        {
            double[] xs = [.. examples.Select(e => e.Output)];
            double[] ys = [.. examples.Select(e => e.Heatmaps[methods[m]].Sum())];
            var series = plot.Add.ScatterPoints(xs, ys);
            series.LegendText = methods[m];
            series.Color = Palette[m % Palette.Length];
            series.MarkerSize = 5;
        }
        plot.XLabel("f(x)");
        plot.YLabel("Σ_p R_p");
        plot.Title("Conservation: f(x) against the heatmap's sum");
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(720, 480, ScottPlot.ImageFormat.Png));
    }

    /// <summary>One histogram per method of all pixel relevances, log10 of the counts; positive bins red, negative blue.</summary>
    public static void Histograms(string path, IReadOnlyList<ExplainedExample> examples, IReadOnlyList<string> methods, int bins = 41)
    {
        var panels = new List<byte[]>();
        for (var m = 0; m < methods.Count; m++)
        {
            var values = examples.SelectMany(e => e.Heatmaps[methods[m]].Data).ToArray();
            var limit = values.Select(Math.Abs).DefaultIfEmpty(1).Max();
            if (limit == 0) limit = 1;
            var width = 2 * limit / bins;
            var counts = new int[bins];
            foreach (var v in values) counts[Math.Clamp((int)((v + limit) / width), 0, bins - 1)]++;
            var plot = new ScottPlot.Plot();
            var bars = Enumerable.Range(0, bins).Where(b => counts[b] > 0).Select(b =>
            {
                var centre = -limit + (b + 0.5) * width;
                return new ScottPlot.Bar
                {
                    Position = centre,
                    Value = Math.Log10(counts[b] + 1),
                    Size = width * 0.9,
                    FillColor = centre >= 0 ? ScottPlot.Colors.Red : ScottPlot.Colors.Blue,
                };
            }).ToList();
            plot.Add.Bars(bars);
            plot.Title(methods[m]);
            plot.XLabel("pixel relevance R_p");
            plot.YLabel("log10 count");
            panels.Add(plot.GetImageBytes(360, 320, ScottPlot.ImageFormat.Png));
        }
        // The panels side by side in one picture.
        using var sheet = new SkiaSharp.SKBitmap(360 * panels.Count, 320);
        using (var canvas = new SkiaSharp.SKCanvas(sheet))
        {
            canvas.Clear(SkiaSharp.SKColors.White);
            for (var p = 0; p < panels.Count; p++)
            {
                using var panel = SkiaSharp.SKBitmap.Decode(panels[p]);
                canvas.DrawBitmap(panel, 360 * p, 0);
            }
        }
        HeatmapImage.WritePng(path, sheet);
    }
}
