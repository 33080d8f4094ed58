using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Relevance.Engine;
using Relevance.IO;
using Relevance.Onnx;

namespace Relevance.Cli.Commands;

/// <summary>`relevance explain MODEL.onnx INPUT`: explains one decision of an ONNX model and writes the relevance, a heatmap and a report.</summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model (.onnx)." };
        var input = new Argument<string>("INPUT") { Description = "A .npy tensor (used as the model input exactly as stored, batch axis included) or an image (PNG, JPEG; preprocessed)." };
        var target = new Option<int?>("--target") { Description = "The output (logit) to explain; default: the arg-max." };
        var rule = new Option<string>("--rule") { Description = $"The rule of every Dense/Conv layer: {RuleSpec.Help}.", DefaultValueFactory = _ => "zplus" };
        var firstRule = new Option<string>("--first-rule") { Description = "The rule of the first Dense/Conv layer; a bare 'zbox' takes its bounds from the preprocessing or --bounds.", DefaultValueFactory = _ => "zbox" };
        var bounds = new Option<string?>("--bounds") { Description = "LOW:HIGH, the input box of a bare zbox (overrides the bounds derived from preprocessing)." };
        var maxpool = new Option<string>("--maxpool") { Description = "proportional (the paper's) or wta (winner-take-all).", DefaultValueFactory = _ => "proportional" };
        maxpool.AcceptOnlyFromAmong("proportional", "wta");
        var bias = new Option<string>("--bias") { Description = "neuron (positive biases take relevance, the paper's) or ignore.", DefaultValueFactory = _ => "neuron" };
        bias.AcceptOnlyFromAmong("neuron", "ignore");
        var output = new Option<string?>("--out") { Description = "Write the relevance as float32 .npy with exactly the input's shape." };
        var heatmap = new Option<string?>("--heatmap") { Description = "Write the heatmap as PNG (red positive, blue negative, channels summed)." };
        var overlay = new Option<string?>("--overlay") { Description = "For an image input, write the heatmap over the photo as PNG." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (target, f, relevance_sum, negative_mass, seconds, layers, …) instead of text." };
        var pre = PreprocessingOptions.Create();
        var command = new Command("explain", "Explain a decision of an ONNX model with deep Taylor decomposition (default: the paper's training-free model, z^B on the first layer and z⁺ above).")
        {
            model, input, target, rule, firstRule, bounds, maxpool, bias, output, heatmap, overlay, json,
        };
        pre.AddTo(command);
        command.SetAction(parse =>
        {
            var options = new ExplainOptions(parse.GetValue(maxpool) == "wta" ? PoolingRedistribution.WinnerTakeAll : PoolingRedistribution.Proportional,
                parse.GetValue(bias) == "ignore" ? BiasTreatment.Ignore : BiasTreatment.Neuron);
            return Run(new Request(parse.GetValue(model)!, parse.GetValue(input)!, parse.GetValue(target), parse.GetValue(rule)!, parse.GetValue(firstRule)!,
                parse.GetValue(bounds), options, parse.GetValue(output), parse.GetValue(heatmap), parse.GetValue(overlay), parse.GetValue(json),
                (w, h) => pre.Read(parse, w, h)));
        });
        return command;
    }

    internal sealed record Request(string Model, string Input, int? Target, string Rule, string FirstRule, string? Bounds, ExplainOptions Options,
        string? Out, string? Heatmap, string? Overlay, bool Json, Func<int, int, Preprocessing> Preprocessing);

    internal static int Run(Request r)
    {
        var model = OnnxImporter.Load(r.Model);
        var input = InputFile.Load(r.Input, model, r.Preprocessing);
        var rest = RuleSpec.Parse(r.Rule) ?? throw new UsageException("--rule zbox needs explicit bounds: zbox:LOW:HIGH.");
        var first = RuleSpec.Parse(r.FirstRule) ?? Box(r.Bounds, input, model.Network);
        var engine = EngineNetwork.Compile(model.Network, Composite.FirstLayer(first, rest), r.Options);
        var clock = Stopwatch.StartNew();
        var results = engine.ExplainBatch(input.Data, input.Batch, r.Target);
        var seconds = clock.Elapsed.TotalSeconds;
        var labels = Labels.Near(r.Model);

        var relevance = results.SelectMany(e => e.Heatmap).ToArray();
        if (r.Out is not null) Npy.Write(r.Out, [.. input.StoredShape], relevance);
        if (r.Heatmap is not null)
            using (var bitmap = HeatmapImage.Render(results[0].HeatmapTensor)) HeatmapImage.WritePng(r.Heatmap, bitmap);
        if (r.Overlay is not null)
        {
            if (input.ImagePath is null) throw new UsageException("--overlay needs an image input.");
            var sample = model.Network.InputShape;
            using var photo = Images.Load(input.ImagePath, sample[2], sample[1]);
            using var over = HeatmapImage.Overlay(photo, results[0].HeatmapTensor);
            HeatmapImage.WritePng(r.Overlay, over);
        }

        if (r.Json) Console.WriteLine(Report.Json(r.Model, r.Input, first, rest, results, seconds, labels));
        else
        {
            foreach (var (e, b) in results.Select((e, b) => (e, b)))
            {
                var label = labels is not null && e.Target < labels.Length ? $" ({labels[e.Target]})" : "";
                var c = e.Consistency;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(results.Length > 1 ? $"[{b}] " : "")}target {e.Target}{label}: f = {e.Output:G6}, Σ R = {c.HeatmapSum:G6}, bias share = {c.BiasRelevance:G6}, negative mass = {c.NegativeMass:G4}"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rules: {first.Name} on the first layer, {rest.Name} above; {r.Options.Pooling} pooling; biases {r.Options.Bias}; z^B box from {input.BoundsSource}; {seconds:F3} s"));
            foreach (var (path, what) in new[] { (r.Out, "relevance"), (r.Heatmap, "heatmap"), (r.Overlay, "overlay") })
                if (path is not null) Console.WriteLine($"{what}: {Path.GetFullPath(path)}");
        }
        return ExitCodes.Success;
    }

    // A bare zbox: the bounds given on the command line, or those of the input, shaped as the first linear layer's input.
    internal static ZBoxRule Box(string? bounds, InputFile input, Network network)
    {
        var first = network.Nodes.FirstOrDefault(n => n.Layer is Dense or Conv2d) ?? throw new UncoveredLayerException("model", "the model has no Dense or Conv layer to explain.");
        var shape = network.ShapeOf(first.Inputs[0]);
        if (bounds is not null)
        {
            var (l, h) = RuleSpec.Bounds(bounds);
            return Rules.ZBox(l, h);
        }
        if (input.Low is null || input.High is null || input.Low.Size != shape.Size)
            throw new UsageException($"The first layer '{first.Name}' does not read the input directly; give --bounds LOW:HIGH or --first-rule w2.");
        return new ZBoxRule(Bounds.PerElement(input.Low.Reshape(shape)), Bounds.PerElement(input.High.Reshape(shape)));
    }
}
