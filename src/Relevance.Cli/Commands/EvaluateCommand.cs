using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Relevance.Experiments;
using Relevance.IO;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>`relevance evaluate`: ranks the explanation methods by region perturbation (AOPC) on the paper's one-layer MNIST network.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "An MNIST-format IDX folder.", DefaultValueFactory = _ => Shipped.Path("data", "mnist") };
        var output = new Option<string>("--out") { Description = "The folder for the table and the curves.", DefaultValueFactory = _ => "figures" };
        var iterations = new Option<int>("--iterations") { Description = "SGD steps to train the one-layer detector.", DefaultValueFactory = _ => 30_000 };
        var explain = new Option<int>("--explain") { Description = "Test pairs explained and perturbed.", DefaultValueFactory = _ => 100 };
        var steps = new Option<int>("--steps") { Description = "L, regions replaced.", DefaultValueFactory = _ => 40 };
        var region = new Option<int>("--region") { Description = "Region side in pixels (divides 28).", DefaultValueFactory = _ => 4 };
        var seed = new Option<int>("--seed") { Description = "The seed of data, training and perturbation.", DefaultValueFactory = _ => 1 };
        var command = new Command("evaluate", "Region perturbation with AOPC (Samek et al.): deep Taylor, sensitivity, nearest-root Taylor and a random ordering on the paper's one-layer MNIST network; a table and the curves.")
        {
            data, output, iterations, explain, steps, region, seed,
        };
        command.SetAction(parse =>
        {
            var (it, n, l, r, s) = (parse.GetValue(iterations), parse.GetValue(explain), parse.GetValue(steps), parse.GetValue(region), parse.GetValue(seed));
            if (it < 0 || n <= 0 || l <= 0 || r <= 0 || 28 % r != 0) throw new UsageException("--iterations ≥ 0, --explain and --steps positive, and --region dividing 28.");
            var (train, test) = Digits.LoadFolder(parse.GetValue(data)!);
            var outDir = parse.GetValue(output)!;
            var clock = Stopwatch.StartNew();
            var result = AnsiConsole.Status().Start("training and explaining", _ =>
                SectionThree.Run(train, test, ClassSplit.Paper, new Training(it, Seed: s), 20_000, 2000, n));
            var curves = Aopc.Run(result.Detector, result.Examples, SectionThree.Methods, l, r, s);
            Directory.CreateDirectory(outDir);
            var used = result.Examples.Count(e => e.Output > 0);
            AtomicFile.WriteAllText(Path.Combine(outDir, "aopc.md"), Aopc.Markdown(curves, l, r, used, $"relevance {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}"));
            AtomicFile.WriteAllText(Path.Combine(outDir, "aopc.json"), JsonSerializer.Serialize(curves.Select(c => new { method = c.Method, aopc = c.Aopc, drop = c.Drop }), new JsonSerializerOptions { WriteIndented = true }));
            Aopc.Plot(Path.Combine(outDir, "aopc-curves.png"), curves);
            var table = new Table().AddColumn("method").AddColumn(new TableColumn("AOPC").RightAligned());
            foreach (var c in curves.OrderByDescending(c => c.Aopc)) table.AddRow(Markup.Escape(c.Method), c.Aopc.ToString("F2", CultureInfo.InvariantCulture));
            AnsiConsole.MarkupLine($"Region perturbation on {used} test pairs ({r}×{r} regions, L = {l}); detector accuracy {result.TestAccuracy:P1}.");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Wrote aopc.md, aopc.json and aopc-curves.png to [bold]{Markup.Escape(Path.GetFullPath(outDir))}[/] in {clock.Elapsed.TotalSeconds:F0} s.");
            return ExitCodes.Success;
        });
        return command;
    }
}
