using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Relevance.Experiments;
using Relevance.IO;
using Relevance.Onnx;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>`relevance evaluate`: ranks explanation methods by region perturbation (AOPC): on the paper's one-layer MNIST
/// network, or, with --model, on an ONNX image classifier and photos for every composite and baseline.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "An MNIST-format IDX folder (the MNIST experiment).", DefaultValueFactory = _ => Shipped.Path("data", "mnist") };
        var output = new Option<string>("--out") { Description = "The folder for the table and the curves.", DefaultValueFactory = _ => "figures" };
        var iterations = new Option<int>("--iterations") { Description = "SGD steps to train the one-layer detector (the MNIST experiment).", DefaultValueFactory = _ => 30_000 };
        var explain = new Option<int>("--explain") { Description = "Test pairs explained and perturbed (the MNIST experiment).", DefaultValueFactory = _ => 100 };
        var steps = new Option<int?>("--steps") { Description = "L, regions replaced (default 40 on MNIST, 50 on photos)." };
        var region = new Option<int?>("--region") { Description = "Region side in pixels (default 4, dividing 28, on MNIST; 16 on photos)." };
        var seed = new Option<int>("--seed") { Description = "The seed of data, training and perturbation.", DefaultValueFactory = _ => 1 };
        var model = new Option<string?>("--model") { Description = "An ONNX image classifier, or a shipped network by name (squeezenet, resnet18: with their own preprocessing): evaluate every composite and baseline on photos instead of the MNIST experiment." };
        var images = new Option<string[]>("--images")
        {
            Description = "Photos (PNG, JPEG) or folders of them, with --model (default: the photos shipped in data/images).",
            AllowMultipleArgumentsPerToken = true,
        };
        var methods = new Option<string[]>("--methods")
        {
            Description = $"The methods to compare, with --model (default: all): {string.Join(", ", PhotoAopc.Composites.Concat(PhotoAopc.Baselines).Select(m => m.Replace(" × ", "-x-")))}.",
            AllowMultipleArgumentsPerToken = true,
        };
        var digits = new Option<int?>("--digits") { Description = "With --model: the first N test digits of --data (MNIST format) as the inputs, instead of photos; they are written as PNGs into the output folder's digits/ (a model of 28×28 one-channel input, such as data/onnx/mnist_vit)." };
        var gamma = new Option<double?>("--gamma") { Description = "With --model: attnlrp and cp-lrp put the γ-rule with this γ (> 0) on every linear layer instead of ε, reported as \"attnlrp γ=…\"." };
        var pixels = new Option<long>("--max-pixels") { Description = "The most pixels a photo may have, read from its header before it is decoded.", DefaultValueFactory = _ => Images.DefaultMaxPixels };
        var pre = PreprocessingOptions.Create();
        var command = new Command("evaluate", "Region perturbation with AOPC (Samek et al.): on the paper's one-layer MNIST network (deep Taylor, sensitivity, nearest-root Taylor, random), or with --model on an ONNX image classifier and photos (deep Taylor, Zennit's presets, gradient × input, sensitivity, random); a table, the curves and, on photos, the heatmaps.")
        {
            data, output, iterations, explain, steps, region, seed, model, images, methods, pixels, digits, gamma,
        };
        pre.AddTo(command);
        command.SetAction(parse =>
        {
            OutputPaths.CheckFolder("--out", parse.GetValue(output)!);
            if (parse.GetValue(model) is { } onnx)
            {
                var mnistOnly = new Option[] { iterations, explain }.Append(parse.GetValue(digits) is null ? data : null).OfType<Option>()
                    .Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();
                if (mnistOnly.Length > 0) throw new UsageException($"{string.Join(", ", mnistOnly)}: options of the MNIST experiment, not of --model.");
                var inputs = parse.GetValue(images) ?? [];
                var count = parse.GetValue(digits);
                if (count is not null && inputs.Length > 0) throw new UsageException("--digits and --images: give the inputs one way.");
                // A shipped network by name comes with its preprocessing; a file of that name wins.
                var image = pre.Read(parse);
                if (!File.Exists(onnx) && Shipped.Model(onnx) is { } shipped)
                {
                    if (pre.Given(parse) is { Length: > 0 } given)
                        throw new UsageException($"{string.Join(", ", given)}: the shipped {onnx} comes with its own preprocessing.");
                    (onnx, image) = shipped;
                }
                if (parse.GetValue(gamma) is { } g && !(g > 0 && double.IsFinite(g))) throw new UsageException($"--gamma {g}: γ must be positive.");
                int Evaluate(string[] photos) => Photos(onnx, photos, parse.GetValue(methods) ?? [], image, parse.GetValue(region) ?? 16,
                    parse.GetValue(steps) ?? 50, parse.GetValue(seed), parse.GetValue(output)!, parse.GetValue(pixels), parse.GetValue(gamma) ?? 0, count is null ? "photo" : "digit");
                if (count is null) return Evaluate(inputs);
                // The digits are written apart and join the output folder only once the evaluation has succeeded.
                var written = Directory.CreateTempSubdirectory("relevance-digits-");
                try
                {
                    DigitImages(parse.GetValue(data)!, count.Value, written.FullName);
                    var code = Evaluate([written.FullName]);
                    PublishDigits(written.FullName, Path.Combine(parse.GetValue(output)!, "digits"));
                    return code;
                }
                finally
                {
                    written.Delete(recursive: true);
                }
            }
            var photoOnly = new Option[] { images, methods, digits, gamma }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name)
                .Concat(pre.Given(parse)).ToArray();
            if (photoOnly.Length > 0) throw new UsageException($"{string.Join(", ", photoOnly)}: options of the evaluation on photos, which needs --model.");
            var (it, n, l, r, s) = (parse.GetValue(iterations), parse.GetValue(explain), parse.GetValue(steps) ?? 40, parse.GetValue(region) ?? 4, parse.GetValue(seed));
            if (it < 0 || n <= 0 || l <= 0 || r <= 0 || 28 % r != 0) throw new UsageException("--iterations ≥ 0, --explain and --steps positive, and --region dividing 28.");
            var (train, test) = Digits.LoadFolder(parse.GetValue(data)!);
            var outDir = parse.GetValue(output)!;
            var clock = Stopwatch.StartNew();
            var result = AnsiConsole.Status().Start("training and explaining", _ =>
                SectionThree.Run(train, test, ClassSplit.Paper, new Training(it, Seed: s), 20_000, 2000, n));
            var curves = Aopc.Run(result.Detector, result.Examples, SectionThree.Methods, l, r, s);
            Directory.CreateDirectory(outDir);
            var used = result.Examples.Count(e => e.Output > 0);
            AtomicFile.WriteAllText(Path.Combine(outDir, "aopc.md"), Aopc.Markdown(curves, l, r, used, CommandLine()));
            AtomicFile.WriteAllText(Path.Combine(outDir, "aopc.json"), JsonSerializer.Serialize(curves.Select(c => new { method = c.Method, aopc = c.Aopc, standard_error = Finite(c.StandardError), drop = c.Drop }), Indented));
            Aopc.Plot(Path.Combine(outDir, "aopc-curves.png"), curves);
            AnsiConsole.MarkupLine($"Region perturbation on {used} test pairs ({r}×{r} regions, L = {l}); detector accuracy {result.TestAccuracy:P1}.");
            AnsiConsole.Write(Table(curves));
            AnsiConsole.MarkupLine($"Wrote aopc.md, aopc.json and aopc-curves.png to [bold]{Markup.Escape(Path.GetFullPath(outDir))}[/] in {clock.Elapsed.TotalSeconds:F0} s.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // JSON has no NaN: a value that is not defined (a standard error of one example, a baseline's Σ R) is null.
    private static double? Finite(double v) => double.IsNaN(v) ? null : v;

    private static string CommandLine() => $"relevance {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}";

    // Best first, with each AOPC's standard error and its leads over random and sensitivity, paired on the same examples.
    private static Table Table(IReadOnlyList<AopcCurve> curves)
    {
        var table = new Table();
        foreach (var (name, i) in AopcTable.Header.Select((n, i) => (n, i))) table.AddColumn(i == 0 ? new TableColumn(name).NoWrap() : new TableColumn(name).RightAligned());
        foreach (var row in AopcTable.Rows(curves)) table.AddRow([.. row.Select(Markup.Escape)]);
        return table;
    }

    // Every composite and baseline (or those named) on an ONNX classifier and photos.
    private static int Photos(string modelPath, string[] given, string[] methodNames, ImageInput image, int region, int steps, int seed, string outDir, long maxPixels, double gamma, string kind)
    {
        if (steps <= 0 || region <= 0) throw new UsageException($"--steps and --region must be positive, got {steps} and {region}.");
        var known = PhotoAopc.Composites.Concat(PhotoAopc.Baselines).ToList();
        string[]? methods = methodNames.Length == 0 ? null : [.. methodNames.Select(m => known.FirstOrDefault(k => k.Replace(" × ", "-x-") == m)
            ?? throw new UsageException($"--methods {m}: not a method; the methods are {string.Join(", ", known.Select(k => k.Replace(" × ", "-x-")))}."))];
        var photos = PhotoList(given.Length == 0 ? [Shipped.Path("data", "images")] : given);
        var model = OnnxImporter.Load(modelPath);
        var shape = model.Network.InputShape;
        if (shape.Rank != 3 || shape[0] is not (1 or 3))
            throw new InvalidInputException($"The model takes inputs of shape {shape}, not a one- or three-channel image; evaluate needs an image classifier.");
        if (region > Math.Min(shape[1], shape[2]))
            throw new UsageException($"--region {region}: the model's input is {shape[1]}×{shape[2]}.");
        var clock = Stopwatch.StartNew();
        PhotoEvaluation result = null!;
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"explaining and perturbing {photos.Count} {kind}s", maxValue: photos.Count);
            result = PhotoAopc.Run(model, image, photos, region, steps, seed, methods, ClassLabels.Near(modelPath), new SyncProgress<int>(done => task.Value = done), maxPixels, gamma);
        });
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, "aopc.md"), PhotoAopc.Markdown(result, Path.GetFileName(modelPath), CommandLine(), kind));
        AtomicFile.WriteAllText(Path.Combine(outDir, "aopc.json"), JsonSerializer.Serialize(new
        {
            model = Path.GetFileName(modelPath), photos = result.Photos, region = result.Region, steps = result.Steps, seed,
            methods = result.Curves.Select(c => new { method = c.Method, aopc = c.Aopc, standard_error = Finite(c.StandardError), drop = c.Drop, per_photo = c.PerExample }),
            heatmaps = result.Heatmaps.Select(h => new
            {
                photo = Path.GetFileName(h.Photo), method = h.Method, target = h.Target, label = h.Label, f = h.Output,
                relevance_sum = Finite(h.RelevanceSum), bias_relevance = Finite(h.BiasRelevance), aopc = h.Aopc,
            }),
        }, Indented));
        Aopc.Plot(Path.Combine(outDir, "aopc-curves.png"), result.Curves);
        PhotoAopc.Figure(Path.Combine(outDir, "aopc-heatmaps.png"), result, 160);
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Region perturbation of {Path.GetFileName(modelPath)} on {result.Photos} {kind}s ({result.Region}×{result.Region} regions, L = {result.Steps}), the top class's logit:")));
        AnsiConsole.Write(Table(result.Curves));
        AnsiConsole.MarkupLine($"Wrote aopc.md, aopc.json, aopc-curves.png and aopc-heatmaps.png (rows: {kind}s; columns: the {kind}, then {Markup.Escape(string.Join(", ", result.Curves.Select(c => c.Method).Where(m => m != "random")))}) to [bold]{Markup.Escape(Path.GetFullPath(outDir))}[/] in {clock.Elapsed.TotalSeconds:F0} s.");
        return ExitCodes.Success;
    }

    // The first `count` test digits of an MNIST folder as 28×28 grey PNGs (white ink on black, as stored) in `folder`,
    // named by position and label so that the heatmap figure says which digit each row is.
    private static void DigitImages(string data, int count, string folder)
    {
        var test = Digits.LoadFolder(data).Test;
        if (count <= 0 || count > test.Count) throw new UsageException($"--digits {count}: between 1 and the {test.Count} test digits of {data}.");
        const int side = Digits.Side;
        for (var i = 0; i < count; i++)
        {
            using var bitmap = new SkiaSharp.SKBitmap(side, side);
            for (var p = 0; p < side * side; p++)
            {
                var v = test.Pixels[i * side * side + p];
                bitmap.SetPixel(p % side, p / side, new SkiaSharp.SKColor(v, v, v));
            }
            HeatmapImage.WritePng(Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"digit-{i:D4}-label-{test.Labels[i]}.png")), bitmap);
        }
    }

    // The digits of this run replace those an earlier run wrote there (its digit-*.png files, nothing else).
    private static void PublishDigits(string written, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var stale in Directory.EnumerateFiles(folder, "digit-*.png")) File.Delete(stale);
        foreach (var digit in Directory.EnumerateFiles(written, "digit-*.png")) File.Move(digit, Path.Combine(folder, Path.GetFileName(digit)));
    }

    // The photos given, folders expanded to their PNG and JPEG files in name order; a missing path is an input error.
    private static List<string> PhotoList(IEnumerable<string> given)
    {
        var photos = new List<string>();
        foreach (var path in given)
            if (Directory.Exists(path)) photos.AddRange(ImageNetFigure.Photos(path));
            else if (File.Exists(path)) photos.Add(path);
            else throw new InvalidInputException($"--images {path}: no such file or folder.");
        if (photos.Count == 0) throw new InvalidInputException($"--images {string.Join(' ', given)}: no PNG or JPEG photo there.");
        return photos;
    }
}
