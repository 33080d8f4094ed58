using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Relevance.IO;
using Relevance.Onnx;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>`relevance demo`: explains a real pretrained ImageNet network (ResNet-18 from NuGet) on an embedded photo, and writes what it sees.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Another ONNX model to explain (default: the ResNet-18 ImageNet featurizer restored by NuGet)." };
        var input = new Option<string?>("--input") { Description = "Another photo (default: chelsea.png, CC0, shipped in data/images)." };
        var output = new Option<string>("--out") { Description = "The folder to write heatmaps and the report to.", DefaultValueFactory = _ => "relevance-demo" };
        var top = new Option<int>("--top") { Description = "How many of the most active outputs to explain.", DefaultValueFactory = _ => 3 };
        var pre = PreprocessingOptions.Create();
        var command = new Command("demo", "Explain a real pretrained ImageNet network on a photo: training-free deep Taylor decomposition of its most active outputs, as heatmaps.")
        {
            model, input, output, top,
        };
        pre.AddTo(command);
        command.SetAction(parse => Run(parse.GetValue(model), parse.GetValue(input), parse.GetValue(output)!, parse.GetValue(top), pre.Read(parse)));
        return command;
    }

    private static int Run(string? modelPath, string? inputPath, string outDir, int top, ImageInput custom)
    {
        if (top <= 0) throw new UsageException($"--top must be positive, got {top}.");
        OutputPaths.CheckFolder("--out", outDir);
        // By default the ResNet-18 featurizer, with its own preprocessing (BGR 0..255 minus its mean image: a z^B box per pixel).
        var (file, image) = modelPath is null ? Shipped.Model("resnet18")!.Value : (modelPath, custom);
        inputPath ??= Shipped.Path("data", "images", "chelsea.png");
        var clock = Stopwatch.StartNew();
        var model = OnnxImporter.Load(file);
        PreprocessingOptions.For(image, model.Network.InputShape);
        using var explainer = Explainer.Create(model, new ExplainerSettings { Image = image }, ClassLabels.Near(file));
        var x = explainer.ReadImage(inputPath);
        var outputs = explainer.Forward(x.ToSingles());
        var targets = outputs.Select((v, i) => (v, i)).OrderByDescending(t => t.v).Take(top).Select(t => t.i).ToList();

        Directory.CreateDirectory(outDir);
        var sample = explainer.Network.InputShape;
        using (var photo = Images.Load(inputPath, sample[2], sample[1])) HeatmapImage.WritePng(Path.Combine(outDir, "input.png"), photo);
        var table = new Table().AddColumn("output").AddColumn("f(x)").AddColumn("Σ R").AddColumn("bias share").AddColumn("negative mass").AddColumn("heatmap");
        var results = new List<Explanation>();
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"explaining {targets.Count} outputs of {Path.GetFileName(file)}", maxValue: targets.Count);
            foreach (var k in targets)
            {
                var e = explainer.Explain(x, k);
                results.Add(e);
                var label = explainer.Label(k);
                var name = label is not null ? $"{k}-{Sanitize(label)}" : $"{k}";
                e.WriteHeatmapPng(Path.Combine(outDir, $"output-{name}-heatmap.png"));
                e.WriteOverlayPng(Path.Combine(outDir, $"output-{name}-overlay.png"), inputPath);
                var c = e.Consistency;
                table.AddRow(Markup.Escape(label is not null ? $"{k} ({label})" : $"feature {k}"), F(e.Output), F(c.HeatmapSum), F(c.BiasRelevance),
                    F(c.NegativeMass), Markup.Escape($"output-{name}-overlay.png"));
                task.Increment(1);
            }
        });
        var first = Explainer.InputBox(explainer.Network, explainer.Image!.For(sample));
        var report = Report.Json(file, inputPath, first, Rules.ZPlus.Name, [.. results], clock.Elapsed.TotalSeconds, explainer.Labels);
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.json"), report);

        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(Path.GetFileName(file))}[/] on [bold]{Markup.Escape(Path.GetFileName(inputPath))}[/]: training-free deep Taylor decomposition (z^B on the pixels, z⁺ above, positive biases as neurons).");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Σ R + bias share = f(x) for each output: relevance is conserved. Wrote heatmaps, overlays and report.json to [bold]{Markup.Escape(Path.GetFullPath(outDir))}[/] in {clock.Elapsed.TotalSeconds:F1} s.");
        return ExitCodes.Success;
    }

    // The featurizer's own preprocessing: BGR, 0..255, minus the ImageNet mean image (an initializer of ResNetPreprocess.onnx).
    private static string F(double v) => v.ToString("G5", CultureInfo.InvariantCulture);

    private static string Sanitize(string label) => new([.. label.Take(24).Select(c => char.IsLetterOrDigit(c) ? c : '_')]);
}
