using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Relevance.Experiments;
using Relevance.IO;
using Relevance.RelevanceModels;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>`relevance reproduce mnist`: the paper's section III-C experiment end to end, with our numbers beside the paper's.</summary>
internal static class ReproduceCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "An MNIST-format IDX folder (train10k or train, and t10k files; .gz or not).", DefaultValueFactory = _ => Shipped.Path("data", "mnist") };
        var output = new Option<string>("--out") { Description = "The folder for figures, tables and the trained network.", DefaultValueFactory = _ => "figures" };
        var iterations = new Option<int>("--iterations") { Description = "SGD steps of minibatch 20 (the paper: 300 000).", DefaultValueFactory = _ => 300_000 };
        var pairs = new Option<int>("--pairs") { Description = "Training pairs drawn (digits translated by up to 2 pixels).", DefaultValueFactory = _ => 60_000 };
        var explain = new Option<int>("--explain") { Description = "Test pairs explained by every method.", DefaultValueFactory = _ => 200 };
        var classes = new Option<string>("--classes") { Description = "The digit classes to detect, comma-separated (the paper: 0,1,2,3).", DefaultValueFactory = _ => "0,1,2,3" };
        var seed = new Option<int>("--seed") { Description = "The seed of data, initialisation and batches.", DefaultValueFactory = _ => 1 };
        var sections = new Option<string>("--sections") { Description = "Which experiments: 3 (one-layer, III-C), 4 (two-layer with a min-max model, IV-C), or 3,4.", DefaultValueFactory = _ => "3,4" };
        var minMaxSamples = new Option<int>("--minmax-samples") { Description = "Training pairs the min-max relevance model is fitted on (section IV-C).", DefaultValueFactory = _ => 20_000 };
        var minMaxEpochs = new Option<int>("--minmax-epochs") { Description = "Epochs of the min-max model's SGD.", DefaultValueFactory = _ => 120 };
        var mnist = new Command("mnist", "Sections III-C and IV-C: train the paper's one- and two-layer detectors on the two-digit task, explain test pairs with sensitivity, nearest-root Taylor and deep Taylor (w², z^B; min-max and training-free), and write Figures 5, 6, 8 and 9 and the tables beside the paper's values.")
        {
            data, output, iterations, pairs, explain, classes, seed, sections, minMaxSamples, minMaxEpochs,
        };
        mnist.SetAction(parse =>
        {
            var chosen = parse.GetValue(sections)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            if (chosen.Count == 0 || chosen.Any(c => c is not ("3" or "4"))) throw new UsageException("--sections takes 3, 4 or 3,4.");
            OutputPaths.CheckFolder("--out", parse.GetValue(output)!);
            var settings = new Settings(parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(iterations), parse.GetValue(pairs), parse.GetValue(explain),
                parse.GetValue(classes)!, parse.GetValue(seed), parse.GetValue(minMaxSamples), parse.GetValue(minMaxEpochs),
                string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
            return Mnist(settings, chosen.Contains("3"), chosen.Contains("4"));
        });
        var imagenet = ImageNet();
        return new Command("reproduce", "Reproduce the paper's experiments.") { mnist, imagenet };
    }

    private static Command ImageNet()
    {
        var model = new Option<string>("--model") { Description = "The ImageNet ONNX model (BGR, 0..255 input).", DefaultValueFactory = _ => Shipped.Model("squeezenet")!.Value.Path };
        var images = new Option<string>("--images") { Description = "The folder of photos: every PNG and JPEG in it, in name order (default: the shipped photos).", DefaultValueFactory = _ => Shipped.Path("data", "images") };
        var output = new Option<string>("--out") { Description = "The folder for the figure and the class list.", DefaultValueFactory = _ => "figures" };
        var command = new Command("imagenet", "Section IV-D: training-free deep Taylor (z^B on the first convolution with the preprocessing's box, z⁺ above, positive biases as neurons) and sensitivity heatmaps of SqueezeNet 1.1 on photos, as a Figure-10-style grid.")
        {
            model, images, output,
        };
        command.SetAction(parse =>
        {
            var (path, folder, outDir) = (parse.GetValue(model)!, parse.GetValue(images)!, parse.GetValue(output)!);
            OutputPaths.CheckFolder("--out", outDir);
            var photos = ImageNetFigure.Photos(folder);
            if (photos.Length == 0) throw new ImageFormatException($"'{folder}' holds no PNG or JPEG photo.");
            var clock = Stopwatch.StartNew();
            var rows = WithProgress("section IV-D", photos.Length, 0, p => ImageNetFigure.Run(path, photos, ImageInput.Raw(ChannelOrder.Bgr), p));
            Directory.CreateDirectory(outDir);
            ImageNetFigure.Write(outDir, rows, 224);
            var table = new Table().AddColumn("photo").AddColumn("class").AddColumn("f(x)").AddColumn("Σ R").AddColumn("bias share");
            foreach (var r in rows) table.AddRow(Markup.Escape(Path.GetFileName(r.Photo)), Markup.Escape($"{r.Class} {r.Label}"), F(r.Output), F(r.RelevanceSum), F(r.BiasRelevance));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Wrote figure10-imagenet.png and imagenet.md to [bold]{Markup.Escape(Path.GetFullPath(outDir))}[/] in {clock.Elapsed.TotalSeconds:F0} s.");
            return ExitCodes.Success;
        });
        return command;
    }

    private sealed record Settings(string Data, string Output, int Iterations, int Pairs, int Explain, string Classes, int Seed, int MinMaxSamples, int MinMaxEpochs, string Command);

    private static int Mnist(Settings o, bool three, bool four)
    {
        if (o.Iterations < 0 || o.Pairs <= 0 || o.Explain <= 0 || o.MinMaxSamples <= 0 || o.MinMaxEpochs < 0)
            throw new UsageException("--iterations and --minmax-epochs must be ≥ 0; --pairs, --explain and --minmax-samples positive.");
        var digits = o.Classes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c =>
            int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 9 ? v : throw new UsageException($"--classes: '{c}' is not a digit class (0–9).")).ToArray();
        if (digits.Length == 0 || digits.Distinct().Count() == 10)
            throw new UsageException($"--classes: give the digits to detect, between one and nine of 0–9 (the others are the distractors); got '{o.Classes}'.");
        var split = new ClassSplit([.. digits]);
        var (train, test) = Digits.LoadFolder(o.Data);
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(o.Output);
        var training = new Training(o.Iterations, Seed: o.Seed);
        if (three)
        {
            var r = WithProgress("section III-C", o.Iterations + o.Explain, o.Iterations, p => SectionThree.Run(train, test, split, training, o.Pairs, 2000, o.Explain, p));
            Write(o, "section3", "figure5", "figure6", "Section III-C: one-layer network", SectionThree.Methods, r.TestAccuracy, r.Scores, r.Losses, r.Examples, null);
            Figures.Save(o.Output, "section3-detector", r.Detector);
        }
        if (four)
        {
            var minMax = new MinMaxTraining(LearningRate: 1e-3, Epochs: o.MinMaxEpochs, BatchSize: 20, Seed: o.Seed);
            var r = WithProgress("section IV-C", o.Iterations + o.Explain, o.Iterations, p => SectionFour.Run(train, test, split, training, o.Pairs, 2000, o.Explain, o.MinMaxSamples, minMax, p));
            Write(o, "section4", "figure8", "figure9", "Section IV-C: two-layer network", SectionFour.Methods, r.TestAccuracy, r.Scores, r.Losses, r.Examples,
                $"Min-max relevance model: ⟨Σ_k (R̂_k − R_k)²⟩ {r.MinMaxLosses[0]:G4} before training, {r.MinMaxLosses[^1]:G4} after {o.MinMaxEpochs} epochs on {o.MinMaxSamples} pairs; fitting error ⟨|Σ R̂_k − Σ R_k|⟩ on the explained test pairs {r.MinMaxTestError:G4}.");
            Figures.Save(o.Output, "section4-detector", r.Detector);
        }
        AnsiConsole.MarkupLine($"Wrote the figures, tables and networks to [bold]{Markup.Escape(Path.GetFullPath(o.Output))}[/] in {clock.Elapsed.TotalSeconds:F0} s.");
        return ExitCodes.Success;
    }

    private static T WithProgress<T>(string title, int total, int iterations, Func<IProgress<string>, T> run)
    {
        T result = default!;
        AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn()).Start(ctx =>
        {
            var task = ctx.AddTask(title, maxValue: total);
            result = run(new Progress<string>(s =>
            {
                task.Description = $"{title}: {s}";
                var parts = s.Split(' ')[^1].Split('/');
                if (parts.Length == 2 && int.TryParse(parts[0], out var done))
                    task.Value = s.StartsWith("training", StringComparison.Ordinal) ? done : s.StartsWith("explaining", StringComparison.Ordinal) ? iterations + done : task.Value;
            }));
        });
        return result;
    }

    private static void Write(Settings o, string name, string heatmaps, string plots, string title, IReadOnlyList<string> methods, double accuracy,
        ImmutableArray<MethodScore> scores, ImmutableArray<double> losses, ImmutableArray<ExplainedExample> examples, string? extra)
    {
        Figures.HeatmapGrid(Path.Combine(o.Output, $"{heatmaps}-heatmaps.png"), examples, methods);
        Plots.Conservation(Path.Combine(o.Output, $"{plots}-conservation.png"), examples, [.. methods.Skip(1)]);
        Plots.Histograms(Path.Combine(o.Output, $"{plots}-histograms.png"), examples, [.. methods.Skip(1)]);
        var markdown = Figures.Markdown(title, accuracy, scores, $"relevance {o.Command}") + (extra is null ? "" : Environment.NewLine + extra + Environment.NewLine);
        AtomicFile.WriteAllText(Path.Combine(o.Output, $"{name}-table.md"), markdown);
        AtomicFile.WriteAllText(Path.Combine(o.Output, $"{name}.json"), Figures.Json(accuracy, scores, losses));
        var table = new Table().AddColumn("method").AddColumn("⟨|R_f − Σ R_p|⟩").AddColumn("paper").AddColumn("⟨Σ min(0, R_p)⟩").AddColumn("paper");
        foreach (var s in scores)
            table.AddRow(Markup.Escape(s.Method), F(s.ConservationError), F(s.PaperConservationError), F(s.NegativeMass), F(s.PaperNegativeMass));
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(title)}[/]: test accuracy {accuracy:P1} after {o.Iterations} SGD steps; {examples.Length} test pairs explained; mean f(x) = {examples.Average(e => e.Output):F2}.");
        AnsiConsole.Write(table);
        if (extra is not null) AnsiConsole.WriteLine(extra);
    }

    private static string F(double? v) => v is null ? "—" : v.Value.ToString("0.0##", CultureInfo.InvariantCulture);
}
