using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Relevance.IO;
using SkiaSharp;

namespace Relevance.Experiments;

/// <summary>One photo explained by an ImageNet network: its predicted class and both heatmaps.</summary>
public sealed record ImageNetRow(string Photo, int Class, string Label, double Output, double RelevanceSum, double BiasRelevance, Tensor DeepTaylor, Tensor Sensitivity);

/// <summary>Section IV-D, Figure-10 style: training-free deep Taylor (z^B on the first convolution with the box of the preprocessing, z⁺ above,
/// positive biases as neurons) and sensitivity heatmaps of an ImageNet network on photos.</summary>
public static class ImageNetFigure
{
    /// <summary>The PNG and JPEG photos in a folder, in ordinal name order; none if the folder does not exist.</summary>
    public static ImmutableArray<string> Photos(string folder) =>
        Directory.Exists(folder)
            ? [.. Directory.EnumerateFiles(folder).Where(f => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg").Order(StringComparer.Ordinal)]
            : [];

    /// <summary>Explains each photo's top class; <paramref name="image"/> maps pixels to the model's input (SqueezeNet 1.1: BGR, 0..255).</summary>
    public static ImmutableArray<ImageNetRow> Run(string model, IEnumerable<string> photos, ImageInput image, IProgress<string>? progress = null)
    {
        using var explainer = Explainer.Load(model, new ExplainerSettings { Image = image });
        var rows = ImmutableArray.CreateBuilder<ImageNetRow>();
        foreach (var photo in photos)
        {
            progress?.Report($"explaining {Path.GetFileName(photo)}");
            var x = explainer.ReadImage(photo).ToSingles();
            var e = explainer.Explain(x);
            var g = explainer.Gradient(x, e.Target);
            var sensitivity = Tensor.Own(explainer.Network.InputShape, [.. g.Select(v => (double)v * v)]);
            var label = explainer.Label(e.Target) ?? $"class {e.Target}";
            rows.Add(new ImageNetRow(photo, e.Target, label, e.Output, e.Consistency.HeatmapSum, e.Consistency.BiasRelevance, e.Heatmap, sensitivity));
        }
        return rows.ToImmutable();
    }

    /// <summary>The grid: one row per photo — the photo, deep Taylor, sensitivity — and a markdown list of the classes.</summary>
    public static void Write(string folder, IReadOnlyList<ImageNetRow> rows, int size)
    {
        var gap = 6;
        using var sheet = new SKBitmap(3 * (size + gap) + gap, rows.Count * (size + gap) + gap);
        using (var canvas = new SKCanvas(sheet))
        {
            canvas.Clear(SKColors.White);
            for (var r = 0; r < rows.Count; r++)
            {
                var y = gap + r * (size + gap);
                using var photo = Images.Load(rows[r].Photo, size, size);
                using var deep = HeatmapImage.Render(rows[r].DeepTaylor, size);
                using var sens = HeatmapImage.Render(rows[r].Sensitivity, size);
                canvas.DrawBitmap(photo, gap, y);
                canvas.DrawBitmap(deep, 2 * gap + size, y);
                canvas.DrawBitmap(sens, 3 * gap + 2 * size, y);
            }
        }
        HeatmapImage.WritePng(Path.Combine(folder, "figure10-imagenet.png"), sheet);
        var md = new StringBuilder("# Section IV-D: ImageNet heatmaps\n\nColumns: photo, deep Taylor (training-free), sensitivity.\n\n| photo | class | f(x) | Σ R | bias share |\n|---|---|---:|---:|---:|\n");
        foreach (var r in rows)
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {Path.GetFileName(r.Photo)} | {r.Class} {r.Label} | {r.Output:F2} | {r.RelevanceSum:F2} | {r.BiasRelevance:F2} |"));
        AtomicFile.WriteAllText(Path.Combine(folder, "imagenet.md"), md.ToString());
    }
}
