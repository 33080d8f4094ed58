using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Relevance.Experiments;
using Relevance.IO;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>`relevance reproduce mnist`: the paper's section III-C experiment end to end, with our numbers beside the paper's.</summary>
internal static class ReproduceCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "An MNIST-format IDX folder (train10k or train, and t10k files; .gz or not).", DefaultValueFactory = _ => Path.Combine("..", "shared", "data", "mnist") };
        var output = new Option<string>("--out") { Description = "The folder for figures, tables and the trained network.", DefaultValueFactory = _ => "figures" };
        var iterations = new Option<int>("--iterations") { Description = "SGD steps of minibatch 20 (the paper: 300 000).", DefaultValueFactory = _ => 300_000 };
        var pairs = new Option<int>("--pairs") { Description = "Training pairs drawn (digits translated by up to 2 pixels).", DefaultValueFactory = _ => 60_000 };
        var explain = new Option<int>("--explain") { Description = "Test pairs explained by every method.", DefaultValueFactory = _ => 200 };
        var classes = new Option<string>("--classes") { Description = "The digit classes to detect, comma-separated (the paper: 0,1,2,3).", DefaultValueFactory = _ => "0,1,2,3" };
        var seed = new Option<int>("--seed") { Description = "The seed of data, initialisation and batches.", DefaultValueFactory = _ => 1 };
        var mnist = new Command("mnist", "Section III-C: train the one-layer detector on the two-digit task, explain test pairs with sensitivity, nearest-root Taylor and deep Taylor (w², z^B), and write Figures 5 and 6 and the table beside the paper's values.")
        {
            data, output, iterations, pairs, explain, classes, seed,
        };
        mnist.SetAction(parse => Mnist(parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(iterations), parse.GetValue(pairs),
            parse.GetValue(explain), parse.GetValue(classes)!, parse.GetValue(seed), string.Join(' ', Environment.GetCommandLineArgs().Skip(1))));
        return new Command("reproduce", "Reproduce the paper's experiments.") { mnist };
    }

    private static int Mnist(string data, string output, int iterations, int pairs, int explain, string classes, int seed, string command)
    {
        if (iterations < 0 || pairs <= 0 || explain <= 0) throw new UsageException("--iterations must be ≥ 0, --pairs and --explain positive.");
        var split = new ClassSplit([.. classes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c =>
            int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 255 ? v : throw new UsageException($"--classes: '{c}' is not a class."))]);
        var (train, test) = Digits.LoadFolder(data);
        var clock = Stopwatch.StartNew();
        SectionThreeResult result = null!;
        AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn()).Start(ctx =>
        {
            var task = ctx.AddTask("section III-C", maxValue: iterations + explain);
            var progress = new Progress<string>(s =>
            {
                task.Description = s;
                var parts = s.Split(' ')[^1].Split('/');
                if (parts.Length == 2 && int.TryParse(parts[0], out var done))
                    task.Value = s.StartsWith("training", StringComparison.Ordinal) ? done : iterations + done;
            });
            result = SectionThree.Run(train, test, split, new Training(iterations, Seed: seed), pairs, 2000, explain, progress);
        });
        Directory.CreateDirectory(output);
        var methods = SectionThree.Methods;
        Figures.HeatmapGrid(Path.Combine(output, "figure5-heatmaps.png"), result.Examples, methods);
        Plots.Conservation(Path.Combine(output, "figure6-conservation.png"), result.Examples, [.. methods.Skip(1)]);
        Plots.Histograms(Path.Combine(output, "figure6-histograms.png"), result.Examples, [.. methods.Skip(1)]);
        var markdown = Figures.Markdown("Section III-C: one-layer network", result.TestAccuracy, result.Scores, $"relevance {command}");
        AtomicFile.WriteAllText(Path.Combine(output, "section3-table.md"), markdown);
        AtomicFile.WriteAllText(Path.Combine(output, "section3.json"), Figures.Json(result.TestAccuracy, result.Scores, result.Losses));
        Figures.Save(output, "section3-detector", result.Detector);

        var table = new Table().AddColumn("method").AddColumn("⟨|R_f − Σ R_p|⟩").AddColumn("paper").AddColumn("⟨Σ min(0, R_p)⟩").AddColumn("paper");
        foreach (var s in result.Scores)
            table.AddRow(Markup.Escape(s.Method), F(s.ConservationError), F(s.PaperConservationError), F(s.NegativeMass), F(s.PaperNegativeMass));
        AnsiConsole.MarkupLine($"Section III-C: test accuracy [bold]{result.TestAccuracy:P1}[/] after {iterations} SGD steps; {result.Examples.Length} test pairs explained; mean f(x) = {result.Examples.Average(e => e.Output):F2}.");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Wrote figure5-heatmaps.png, figure6-conservation.png, figure6-histograms.png, section3-table.md, section3.json and the network to [bold]{Markup.Escape(Path.GetFullPath(output))}[/] in {clock.Elapsed.TotalSeconds:F0} s.");
        return ExitCodes.Success;
    }

    private static string F(double? v) => v is null ? "—" : v.Value.ToString("0.0##", CultureInfo.InvariantCulture);
}
