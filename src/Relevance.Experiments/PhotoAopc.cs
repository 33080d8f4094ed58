using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Relevance.IO;
using Relevance.Onnx;
using SkiaSharp;

namespace Relevance.Experiments;

/// <summary>One photo under one method: the class explained, f(x), Σ R and the bias share (0 and NaN for the gradient
/// baselines, which redistribute nothing), the heatmap summed over channels, and the method's AOPC on this photo.</summary>
public sealed record PhotoHeatmap(string Photo, string Method, int Target, string Label, double Output, double RelevanceSum, double BiasRelevance,
    Tensor Heatmap, double Aopc);

/// <summary>What <see cref="PhotoAopc.Run"/> found: one curve per method over the photos, and each photo's heatmaps.</summary>
public sealed record PhotoEvaluation(ImmutableArray<AopcCurve> Curves, ImmutableArray<PhotoHeatmap> Heatmaps, int Region, int Steps, int Photos);

/// <summary>Region perturbation (AOPC) of an ONNX image classifier on photos, for every composite and the baselines: the
/// photo's top class is explained, its regions are replaced by uniform noise over the input box most relevant first, and
/// the logit's fall is averaged over the photos (docs/rules.md §8).</summary>
public static class PhotoAopc
{
    /// <summary>The composites compared: deep Taylor by input domain (the default of <c>relevance explain</c>), Zennit's presets and the transformer ones.</summary>
    public static ImmutableArray<string> Composites { get; } = ["dtd", .. Composite.PresetNames];

    /// <summary>The baselines: gradient × input and sensitivity (Σ over channels of x ∂f/∂x and of (∂f/∂x)²), and a random order.</summary>
    public static ImmutableArray<string> Baselines { get; } = ["gradient × input", "sensitivity", "random"];

    /// <summary>Explains and perturbs each photo under every method of <paramref name="methods"/> (default: all composites and
    /// baselines); the same noise and the same random order serve every method of a photo.</summary>
    /// <param name="model">An imported image classifier (its outputs are logits; a final Softmax is stripped on import).</param>
    /// <param name="image">How photos become its input; its pixel range is the box of z^B and of the noise.</param>
    /// <param name="photos">The photos.</param>
    /// <param name="region">The side of the square regions, in input pixels.</param>
    /// <param name="steps">L, the regions replaced.</param>
    /// <param name="seed">The seed of the noise and of the random order.</param>
    /// <param name="methods">The methods, from <see cref="Composites"/> and <see cref="Baselines"/>; by default every composite
    /// whose rules hold on the network's values (<see cref="Composite.HoldsOnEveryInput"/>) and every baseline.</param>
    /// <param name="labels">Class names of the outputs, or empty.</param>
    /// <param name="progress">Receives the number of photos done after each one.</param>
    /// <param name="maxPixels">The most pixels a photo may have, read from its header before it is decoded.</param>
    /// <param name="transformerGamma">γ &gt; 0: attnlrp and cp-lrp put the γ-rule on every linear layer instead of ε, and are
    /// reported as "attnlrp γ=…" and "cp-lrp γ=…".</param>
    /// <exception cref="ArgumentException">A method is unknown, no photo is given, or the region does not fit the input.</exception>
    /// <exception cref="InvalidInputException">The model does not take images.</exception>
    public static PhotoEvaluation Run(ImportedModel model, ImageInput image, IReadOnlyList<string> photos, int region, int steps, int seed,
        IReadOnlyList<string>? methods = null, ImmutableArray<string> labels = default, IProgress<int>? progress = null, long maxPixels = Images.DefaultMaxPixels,
        double transformerGamma = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        if (methods?.FirstOrDefault(m => !Composites.Contains(m) && !Baselines.Contains(m)) is { } unknown)
            throw new ArgumentException($"'{unknown}' is not a method; the methods are {string.Join(", ", Composites.Concat(Baselines))}.", nameof(methods));
        if (photos.Count == 0) throw new ArgumentException("No photo to evaluate on.", nameof(photos));
        if (steps <= 0) throw new ArgumentException($"The steps must be positive, got {steps}.", nameof(steps));
        var shape = model.Network.InputShape;
        var preprocessing = image.For(shape);
        var (channels, height, width) = (shape[0], shape[1], shape[2]);
        if (region <= 0 || region > Math.Min(height, width))
            throw new ArgumentException($"The region side must be between 1 and {Math.Min(height, width)} for a {height}×{width} input, got {region}.", nameof(region));
        var perturbation = new RegionPerturbation(channels, height, width, region);
        var box = Explainer.InputBox(model.Network, preprocessing);
        var (low, high) = preprocessing.Bounds();
        // By default, the presets whose z⁺ layers could meet negative values on this network (a transformer's) are left out.
        methods ??= [.. Composites.Where(m => m == "dtd" || Composite.Preset(m, box).HoldsOnEveryInput(model.Network)), .. Baselines];

        // One explainer per composite, compiled once; deep Taylor's forward pass and gradient also serve the baselines.
        using var dtd = Explainer.Create(model, new ExplainerSettings { Image = image, Composite = Composite.DeepTaylor(box) }, labels);
        var presets = methods.Where(Composite.PresetNames.Contains).ToDictionary(m => m, m => Explainer.Create(model, new ExplainerSettings
        {
            Image = image, Composite = Composite.Preset(m, box, m is "attnlrp" or "cp-lrp" ? transformerGamma : 0), Options = Composite.PresetOptions(m, ExplainOptions.Default),
        }, labels));
        try
        {
            var drops = methods.ToDictionary(m => m, _ => new List<double[]>());
            var heatmaps = ImmutableArray.CreateBuilder<PhotoHeatmap>();
            var rng = new Random(seed);
            for (var p = 0; p < photos.Count; p++)
            {
                var x = Images.ToTensor(photos[p], preprocessing, maxPixels).ToSingles();
                var outputs = dtd.Forward(x);
                var target = Array.IndexOf(outputs, outputs.Max());
                var label = dtd.Label(target) ?? $"class {target}";
                var noise = Enumerable.Range(0, x.Length).Select(i => (float)(low[i] + rng.NextDouble() * (high[i] - low[i]))).ToArray();
                var randomOrder = Enumerable.Range(0, perturbation.Count).OrderBy(_ => rng.Next()).ToArray();
                double Logit(float[] input) => dtd.Forward(input)[target];
                var gradient = methods.Any(m => m is "gradient × input" or "sensitivity") ? dtd.Gradient(x, target) : [];
                foreach (var method in methods)
                {
                    (Tensor? Map, double Sum, double Bias, double Output) result = method switch
                    {
                        "gradient × input" => (PixelMap(i => x[i] * (double)gradient[i]), double.NaN, double.NaN, outputs[target]),
                        "sensitivity" => (PixelMap(i => (double)gradient[i] * gradient[i]), double.NaN, double.NaN, outputs[target]),
                        "random" => (null, double.NaN, double.NaN, outputs[target]),
                        "dtd" => Explained(dtd.Explain(x, target)),
                        _ => Explained(presets[method].Explain(x, target)),
                    };
                    var (map, sum, bias, output) = result;
                    var order = map is null ? randomOrder : perturbation.MostRelevantFirst(map.Data.AsSpan());
                    var drop = perturbation.Drops(Logit, x, noise, order, steps);
                    drops[method].Add(drop);
                    if (map is not null) heatmaps.Add(new PhotoHeatmap(photos[p], Name(method), target, label, output, sum, bias, map, drop.Average()));
                }
                progress?.Report(p + 1);
            }
            return new PhotoEvaluation([.. methods.Select(m => RegionPerturbation.Summarise(Name(m), drops[m]))], heatmaps.ToImmutable(),
                region, Math.Min(steps, perturbation.Count), photos.Count);

            string Name(string method) => transformerGamma > 0 && method is "attnlrp" or "cp-lrp"
                ? string.Create(CultureInfo.InvariantCulture, $"{method} γ={transformerGamma}") : method;

            // A baseline's relevance per input element, summed over channels as every heatmap is.
            Tensor PixelMap(Func<int, double> value) =>
                Heatmap.SumOverChannels(Tensor.Own(shape, [.. Enumerable.Range(0, shape.Size).Select(value)]));

            (Tensor?, double, double, double) Explained(Explanation e) =>
                (Heatmap.SumOverChannels(e.Heatmap), e.Consistency.HeatmapSum, e.Consistency.BiasRelevance, e.Output);
        }
        finally
        {
            foreach (var e in presets.Values) e.Dispose();
        }
    }

    /// <summary>The AOPC table as markdown, best first, with each method's standard error over the inputs (of the given
    /// <paramref name="kind"/>: photo, digit).</summary>
    public static string Markdown(PhotoEvaluation evaluation, string model, string command, string kind = "photo")
    {
        var md = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"# Region perturbation (AOPC) on {kind}s\n\n`{model}`, {evaluation.Photos} {kind}{(evaluation.Photos == 1 ? "" : "s")}, {evaluation.Region}×{evaluation.Region} regions replaced by uniform noise over the input box, most relevant first, L = {evaluation.Steps} steps; the top class's logit. Standard errors are over the {kind}s; a lead over a baseline is the mean of each {kind}'s AOPC minus the baseline's on the same {kind}, with its paired standard error.\n\n"));
        md.Append(AopcTable.Markdown(evaluation.Curves));
        md.AppendLine().AppendLine($"Per {kind} and composite: f(x), Σ R, bias share and the {kind}'s own AOPC.").AppendLine()
            .AppendLine($"| {kind} | class | method | f(x) | Σ R | bias share | AOPC |").AppendLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var h in evaluation.Heatmaps)
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Path.GetFileName(h.Photo)} | {h.Target} {h.Label} | {h.Method} | {h.Output:F3} | {Number(h.RelevanceSum)} | {Number(h.BiasRelevance)} | {h.Aopc:F3} |"));
        return md.AppendLine().AppendLine($"Made by `{command}`.").ToString();

        static string Number(double v) => double.IsNaN(v) ? "—" : v.ToString("F3", CultureInfo.InvariantCulture);
    }

    /// <summary>The figure: one row per photo — the photo, then its heatmap under each method in <see cref="PhotoEvaluation.Heatmaps"/>' order.</summary>
    public static void Figure(string path, PhotoEvaluation evaluation, int size)
    {
        const int gap = 6;
        var rows = evaluation.Heatmaps.GroupBy(h => h.Photo).ToList();
        var columns = rows.Max(r => r.Count()) + 1;
        using var sheet = new SKBitmap(columns * (size + gap) + gap, rows.Count * (size + gap) + gap);
        using (var canvas = new SKCanvas(sheet))
        {
            canvas.Clear(SKColors.White);
            for (var r = 0; r < rows.Count; r++)
            {
                var y = gap + r * (size + gap);
                using (var photo = Images.Load(rows[r].Key, size, size)) canvas.DrawBitmap(photo, gap, y);
                var c = 1;
                foreach (var h in rows[r])
                {
                    using var map = HeatmapImage.Render(h.Heatmap, size);
                    canvas.DrawBitmap(map, gap + c++ * (size + gap), y);
                }
            }
        }
        HeatmapImage.WritePng(path, sheet);
    }
}
