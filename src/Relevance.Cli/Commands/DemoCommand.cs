using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Relevance.Engine;
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
        command.SetAction(parse => Run(parse.GetValue(model), parse.GetValue(input), parse.GetValue(output)!, parse.GetValue(top), (w, h) => pre.Read(parse, w, h)));
        return command;
    }

    private static int Run(string? modelPath, string? inputPath, string outDir, int top, Func<int, int, Preprocessing> custom)
    {
        if (top <= 0) throw new UsageException($"--top must be positive, got {top}.");
        var isDefault = modelPath is null;
        modelPath ??= Shipped.Path("models", "ResNet18.onnx");
        inputPath ??= Shipped.Path("data", "images", "chelsea.png");
        var clock = Stopwatch.StartNew();
        var model = OnnxImporter.Load(modelPath);
        // ResNet-18 featurizer: BGR pixels 0..255 minus the ImageNet mean image, so each pixel gets its own z^B box [−μ_p, 255 − μ_p].
        var input = InputFile.Load(inputPath, model, isDefault ? ResNetPreprocessing : custom);
        var first = ExplainCommand.Box(null, input, model.Network);
        var engine = EngineNetwork.Compile(model.Network, Composite.TrainingFreeDtd(first));
        var outputs = engine.Forward(input.Data);
        var targets = outputs.Select((v, i) => (v, i)).OrderByDescending(t => t.v).Take(top).Select(t => t.i).ToList();
        var labels = Labels.Near(modelPath);

        Directory.CreateDirectory(outDir);
        var sample = model.Network.InputShape;
        using var photo = Images.Load(inputPath, sample[2], sample[1]);
        HeatmapImage.WritePng(Path.Combine(outDir, "input.png"), photo);
        var table = new Table().AddColumn("output").AddColumn("f(x)").AddColumn("Σ R").AddColumn("bias share").AddColumn("negative mass").AddColumn("heatmap");
        var results = new List<EngineExplanation>();
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"explaining {targets.Count} outputs of {Path.GetFileName(modelPath)}", maxValue: targets.Count);
            foreach (var k in targets)
            {
                var e = engine.Explain(input.Data, k);
                results.Add(e);
                var name = labels is not null && k < labels.Length ? $"{k}-{Sanitize(labels[k])}" : $"{k}";
                using (var map = HeatmapImage.Render(e.HeatmapTensor)) HeatmapImage.WritePng(Path.Combine(outDir, $"output-{name}-heatmap.png"), map);
                using (var over = HeatmapImage.Overlay(photo, e.HeatmapTensor)) HeatmapImage.WritePng(Path.Combine(outDir, $"output-{name}-overlay.png"), over);
                var c = e.Consistency;
                table.AddRow(Markup.Escape(labels is not null && k < labels.Length ? $"{k} ({labels[k]})" : $"feature {k}"), F(e.Output), F(c.HeatmapSum), F(c.BiasRelevance),
                    F(c.NegativeMass), Markup.Escape($"output-{name}-overlay.png"));
                task.Increment(1);
            }
        });
        var report = Report.Json(modelPath, inputPath, first, Rules.ZPlus, [.. results], clock.Elapsed.TotalSeconds, labels);
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.json"), report);

        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(Path.GetFileName(modelPath))}[/] on [bold]{Markup.Escape(Path.GetFileName(inputPath))}[/]: training-free deep Taylor decomposition (z^B on the pixels, z⁺ above, positive biases as neurons).");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Σ R + bias share = f(x) for each output: relevance is conserved. Wrote heatmaps, overlays and report.json to [bold]{Markup.Escape(Path.GetFullPath(outDir))}[/] in {clock.Elapsed.TotalSeconds:F1} s.");
        return ExitCodes.Success;
    }

    private static Preprocessing ResNetPreprocessing(int width, int height)
    {
        var (dims, mean) = OnnxImporter.ReadInitializer(Shipped.Path("models", "ResNetPreprocess.onnx"), "MeanImage");
        if (mean.Length != 3 * width * height) throw new ModelFormatException($"The ResNet mean image has shape [{string.Join("×", dims)}], not 3×{height}×{width}.");
        return new Preprocessing(width, height, ChannelOrder.Bgr, 1, mean, [1]);
    }

    private static string F(double v) => v.ToString("G5", CultureInfo.InvariantCulture);

    private static string Sanitize(string label) => new([.. label.Take(24).Select(c => char.IsLetterOrDigit(c) ? c : '_')]);
}
