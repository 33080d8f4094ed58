using Relevance.Engine;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Relevance.IO;
using Relevance.Onnx;

namespace Relevance.Cli.Commands;

/// <summary>`relevance explain MODEL.onnx INPUT`: explains one decision of an ONNX model and writes the relevance, a heatmap and a report.</summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model (.onnx)." };
        var input = new Argument<string>("INPUT") { Description = "A .npy tensor (used as the model input exactly as stored, batch axis included), an image (PNG, JPEG; preprocessed), or for a text model an int64 .npy of token ids or a .txt of text (tokenized with the vocabulary)." };
        var target = new Option<int?>("--target") { Description = "The output (logit) to explain; default: the arg-max." };
        var rules = RuleOptions.Create();
        var output = new Option<string?>("--out") { Description = "Write the relevance as float32 .npy with exactly the input's shape." };
        var heatmap = new Option<string?>("--heatmap") { Description = "Write the heatmap as PNG (red positive, blue negative, channels summed)." };
        var overlay = new Option<string?>("--overlay") { Description = "For an image input, write the heatmap over the photo as PNG." };
        var memory = new Option<int>("--max-memory") { Description = "The most memory, in MiB, one explanation's buffers may take; a model that needs more is refused before anything is allocated.", DefaultValueFactory = _ => (int)(EngineNetwork.DefaultMaxWorkspaceBytes >> 20) };
        var pixels = new Option<long>("--max-pixels") { Description = "The most pixels a photo may have, read from its header before it is decoded.", DefaultValueFactory = _ => Images.DefaultMaxPixels };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (target, f, relevance_sum, negative_mass, seconds, layers, …) instead of text." };
        var pre = PreprocessingOptions.Create();
        var text = TextOptions.Create();
        var command = new Command("explain", "Explain a decision of an ONNX model with deep Taylor decomposition (default: z^B on the first layer and, above, z⁺ where a layer's input is ≥ 0 and w² where it can be negative; on ReLU networks the paper's training-free model).")
        {
            model, input, target, output, heatmap, overlay, json, memory, pixels,
        };
        rules.AddTo(command);
        pre.AddTo(command);
        text.AddTo(command);
        command.SetAction(parse => Run(new Request(parse.GetValue(model)!, parse.GetValue(input)!, parse.GetValue(target), rules.Read(parse),
            parse.GetValue(output), parse.GetValue(heatmap), parse.GetValue(overlay), parse.GetValue(json), pre.Read(parse), parse.GetValue(memory),
            pre.Given(parse), parse.GetValue(pixels)) { Text = text.Read(parse) }));
        return command;
    }

    internal sealed record Request(string Model, string Input, int? Target, RuleChoice Rules, string? Out, string? Heatmap, string? Overlay, bool Json,
        ImageInput Image, int MaxMemory, string[] PreprocessingGiven, long MaxPixels)
    {
        /// <summary>The options of a text model's input.</summary>
        public TextChoice Text { get; init; } = new(null, false, null, null, null);
    }

    internal static int Run(Request r)
    {
        if (r.MaxMemory <= 0) throw new UsageException($"--max-memory must be a positive number of MiB, got {r.MaxMemory}.");
        if (r.MaxPixels <= 0) throw new UsageException($"--max-pixels must be a positive number of pixels, got {r.MaxPixels}.");
        if (ExplainText.IsText(r.Input)) return ExplainText.Run(r);
        if (r.Text.Given is { } textOption) throw new UsageException($"{textOption} applies to a text model's token input (an int64 .npy of ids or a .txt); the input '{r.Input}' is not one.");
        OutputPaths.Check([("--out", r.Out), ("--heatmap", r.Heatmap), ("--overlay", r.Overlay)], [r.Model, r.Input]);
        var isArray = r.Input.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);
        if (r.Overlay is not null && isArray) throw new UsageException("--overlay needs an image input; the input is a .npy array.");
        r.Rules.Check();
        if (isArray && r.PreprocessingGiven.Length > 0)
            throw new UsageException($"{string.Join(", ", r.PreprocessingGiven)}: preprocessing applies to images; a .npy input is used exactly as stored.");
        var model = OnnxImporter.Load(r.Model);
        var outputs = model.Network.OutputShape.Size;
        if (r.Target is { } t && (t < 0 || t >= outputs))
            throw new UsageException($"--target {t}: the model has {outputs} outputs, numbered 0 to {outputs - 1}.");
        // A channels-last image model (a Keras export) is explained over the photo channels first, as every other model.
        if (!isArray && model.Network.TakesChannelsLastImage) model = model with { Network = model.Network.WithChannelsFirstInput() };
        var input = InputFile.Load(r.Input, model, r.Image, r.MaxPixels);
        var rules = r.Rules.Resolve(() => Box(r.Rules.Bounds, input, model.Network));
        using var explainer = Explainer.Create(model, rules.Settings(r.Image, r.Rules.Options, r.MaxMemory), ClassLabels.Near(r.Model));
        var clock = Stopwatch.StartNew();
        var results = input.Batch == 1 ? [explainer.Explain(input.Data, r.Target)] : explainer.ExplainBatch(input.Data, r.Target);
        var seconds = clock.Elapsed.TotalSeconds;

        // Every output is written beside its target first and published only when all of them were written.
        var staged = new List<StagedFile>();
        try
        {
            if (r.Out is not null) staged.Add(AtomicFile.Stage(r.Out, s => Npy.Write(s, [.. input.StoredShape], [.. results.SelectMany(e => e.HeatmapSingles())])));
            if (r.Heatmap is not null) staged.Add(AtomicFile.Stage(r.Heatmap, s => results[0].WriteHeatmapPng(s)));
            if (r.Overlay is not null) staged.Add(AtomicFile.Stage(r.Overlay, s => results[0].WriteOverlayPng(s, input.ImagePath!, r.MaxPixels)));
            var report = r.Json ? Report.Json(r.Model, r.Input, rules.First, rules.Name, results, seconds, explainer.Labels) : null;
            foreach (var file in staged) file.Publish();
            if (report is not null)
            {
                Console.WriteLine(report);
                return ExitCodes.Success;
            }
        }
        finally
        {
            foreach (var file in staged) file.Dispose();
        }

        foreach (var (e, b) in results.Select((e, b) => (e, b)))
        {
            var label = explainer.Label(e.Target) is { } name ? $" ({name})" : "";
            var c = e.Consistency;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(results.Length > 1 ? $"[{b}] " : "")}target {e.Target}{label}: f = {e.Output:G6}, Σ R = {c.HeatmapSum:G6}, bias share = {c.BiasRelevance:G6}, negative mass = {c.NegativeMass:G4}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rules: {rules.First.Name} on the first layer, {rules.RestName} above; {r.Rules.Options.Pooling} pooling; biases {r.Rules.Options.Bias}{(r.Rules.Options.Attention == AttentionRedistribution.ValuesOnly ? "; attention weights held constant" : "")}{(rules.First is ZBoxRule ? $"; z^B box from {input.BoundsSource}" : "")}; {seconds:F3} s"));
        foreach (var (path, what) in new[] { (r.Out, "relevance"), (r.Heatmap, "heatmap"), (r.Overlay, "overlay") })
            if (path is not null) Console.WriteLine($"{what}: {Path.GetFullPath(path)}");
        return ExitCodes.Success;
    }

    // A bare zbox: the bounds given on the command line, or those the input implies.
    internal static ZBoxRule Box(string? bounds, InputFile input, Network network)
    {
        if (bounds is null)
            try
            {
                return input.Box(network);
            }
            catch (ShapeMismatchException e)
            {
                throw new UsageException($"{e.Message} Give --bounds LOW:HIGH or --first-rule w2.");
            }
            catch (ArgumentException e)
            {
                // The box is the pixel range [0, 255] through --scale, --mean and --std: only they can make it unusable.
                throw new UsageException($"The z^B box that --scale, --mean and --std give the input is unusable: {e.Message.Split(" (Parameter")[0]}");
            }
        var (l, h) = RuleSpec.Bounds(bounds);
        return Rules.ZBox(l, h);
    }
}
