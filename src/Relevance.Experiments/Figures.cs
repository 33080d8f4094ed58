using System.Globalization;
using System.Text;
using System.Text.Json;
using Relevance.IO;
using SkiaSharp;

namespace Relevance.Experiments;

/// <summary>The outputs of the MNIST experiments: the heatmap grid of Figure 5, the table (markdown and JSON), the saved network.</summary>
public static class Figures
{
    /// <summary>Figure 5: one row per explained test pair, the input then each method's heatmap (red positive, blue negative), each scaled to its own maximum; columns titled.</summary>
    public static void HeatmapGrid(string path, IReadOnlyList<ExplainedExample> examples, IReadOnlyList<string> methods, int rows = 8, int zoom = 3)
    {
        var shown = examples.Take(rows).ToList();
        var (cw, ch, gap, header) = (TwoDigitData.Width * zoom, TwoDigitData.Height * zoom, 6, 24);
        using var bitmap = new SKBitmap((methods.Count + 1) * (cw + gap) + gap, header + shown.Count * (ch + gap) + gap);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var font = new SKFont(SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default, 14);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            string[] titles = ["input", .. methods];
            for (var m = 0; m < titles.Length; m++)
            {
                // A long method name is set smaller until it fits its column.
                font.Size = 14;
                while (font.MeasureText(titles[m]) > cw - 4 && font.Size > 8) font.Size -= 0.5f;
                canvas.DrawText(titles[m], gap + m * (cw + gap) + cw / 2f, header - 7, SKTextAlign.Center, font, ink);
            }
        }
        for (var r = 0; r < shown.Count; r++)
        {
            var y0 = header + gap + r * (ch + gap);
            Paint(bitmap, gap, y0, zoom, p =>
            {
                var g = (byte)Math.Clamp((shown[r].Example.Pixels[p] - TwoDigitData.Low) / (TwoDigitData.High - TwoDigitData.Low) * 255, 0, 255);
                return new SKColor(g, g, g);
            });
            for (var m = 0; m < methods.Count; m++)
            {
                var map = shown[r].Heatmaps[methods[m]];
                var scale = map.Data.Select(Math.Abs).DefaultIfEmpty(0).Max();
                Paint(bitmap, gap + (m + 1) * (cw + gap), y0, zoom, p => HeatmapImage.Color(map[p], scale));
            }
        }
        HeatmapImage.WritePng(path, bitmap);
    }

    private static void Paint(SKBitmap bitmap, int x0, int y0, int zoom, Func<int, SKColor> colour)
    {
        for (var y = 0; y < TwoDigitData.Height * zoom; y++)
            for (var x = 0; x < TwoDigitData.Width * zoom; x++)
                bitmap.SetPixel(x0 + x, y0 + y, colour(y / zoom * TwoDigitData.Width + x / zoom));
    }

    /// <summary>The table as markdown: our ⟨|R_f − Σ_p R_p|⟩ and ⟨Σ_p min(0, R_p)⟩ beside the paper's, with the accuracy.</summary>
    public static string Markdown(string title, double accuracy, IEnumerable<MethodScore> scores, string command)
    {
        static string N(double? v) => v is null ? "—" : v.Value.ToString("0.0##", CultureInfo.InvariantCulture);
        var md = new StringBuilder();
        md.AppendLine($"# {title}").AppendLine();
        md.AppendLine($"Test accuracy (f > 50 ⇔ a digit to detect is present): {accuracy.ToString("P1", CultureInfo.InvariantCulture)}").AppendLine();
        md.AppendLine("| method | ⟨\\|R_f − Σ_p R_p\\|⟩ ours | paper | ⟨Σ_p min(0, R_p)⟩ ours | paper |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var s in scores)
            md.AppendLine($"| {s.Method} | {N(s.ConservationError)} | {N(s.PaperConservationError)} | {N(s.NegativeMass)} | {N(s.PaperNegativeMass)} |");
        md.AppendLine().AppendLine($"Made by `{command}`.");
        return md.ToString();
    }

    /// <summary>The same table as JSON.</summary>
    public static string Json(double accuracy, IEnumerable<MethodScore> scores, IEnumerable<double> losses) =>
        JsonSerializer.Serialize(new
        {
            test_accuracy = accuracy,
            training_loss = losses,
            methods = scores.Select(s => new
            {
                method = s.Method,
                conservation_error = s.ConservationError,
                negative_mass = s.NegativeMass,
                paper_conservation_error = s.PaperConservationError,
                paper_negative_mass = s.PaperNegativeMass,
            }),
        }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Saves the two-layer detector as .npy files (W1, b1, W2, b2) and as ONNX.</summary>
    public static void Save(string folder, string name, TwoLayerDetector detector)
    {
        AtomicFile.WriteAllBytes(Path.Combine(folder, $"{name}.onnx"), Onnx.OnnxExporter.Export(detector.ToNetwork()));
        Npy.Write(Path.Combine(folder, $"{name}-w1.npy"), [detector.Hidden1, detector.Inputs], detector.W1.AsSpan());
        Npy.Write(Path.Combine(folder, $"{name}-b1.npy"), [detector.Hidden1], detector.B1.AsSpan());
        Npy.Write(Path.Combine(folder, $"{name}-w2.npy"), [detector.Hidden2, detector.Pooled], detector.W2.AsSpan());
        Npy.Write(Path.Combine(folder, $"{name}-b2.npy"), [detector.Hidden2], detector.B2.AsSpan());
    }

    /// <summary>Saves the detector as two .npy files (W, hidden × inputs, and b) and as ONNX.</summary>
    public static void Save(string folder, string name, OneLayerDetector detector)
    {
        AtomicFile.WriteAllBytes(Path.Combine(folder, $"{name}.onnx"), Onnx.OnnxExporter.Export(detector.ToNetwork()));
        Npy.Write(Path.Combine(folder, $"{name}-weights.npy"), [detector.Hidden, detector.Inputs], detector.Weights.AsSpan());
        Npy.Write(Path.Combine(folder, $"{name}-bias.npy"), [detector.Hidden], detector.Bias.AsSpan());
    }
}
