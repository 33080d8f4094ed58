using PackageConsumer;
using Relevance;
using Relevance.Kernels;

// Usage: PackageConsumer [MODEL.onnx] [--heatmap OUT.png]
// With a model (e.g. the one-layer detector `relevance reproduce mnist` saves), its weights are bound to the declaration;
// without one, random weights with b ≤ 0 stand in.
var model = args.FirstOrDefault(a => a.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase));
var heatmapAt = Array.IndexOf(args, "--heatmap") is var h and >= 0 && h + 1 < args.Length ? args[h + 1] : null;

var explainer = model is null
    ? GeneratedExplainer.For(PaperDetector.Bind(RandomWeights(new Random(1))))
    : GeneratedExplainer.Load<PaperDetector>(model);

// A digit-like input: background at −0.5, a bright stroke in each half.
var input = new float[PaperDetector.InputSize];
Array.Fill(input, -0.5f);
for (var row = 6; row < 22; row++)
{
    input[row * 56 + 14] = 1.5f;
    input[row * 56 + 42] = 1.5f;
}

var explanation = explainer.Explain(input);
Console.WriteLine($"PaperDetector ({(model is null ? "random weights" : model)})");
Console.WriteLine($"  f(x) = {explanation.Output:G6}   Σ R = {explanation.Heatmap.Data.Sum():G6}   conservation error = {explanation.Consistency.ConservationError:E1}");
foreach (var layer in explanation.Consistency.Layers) Console.WriteLine($"  {layer.Node,-8} {layer.Redistribution,-12} Σ R in {layer.RelevanceIn,10:G6}   out {layer.RelevanceOut,10:G6}");

// The zero-allocation path: your buffers, the generated code, nothing allocated once warm.
var heatmap = new float[PaperDetector.InputSize];
var f = explainer.Kernel.Explain(input, heatmap);
Console.WriteLine($"  kernel: f(x) = {f:G6}, min R = {heatmap.Min():G3}");

if (heatmapAt is not null)
{
    // The detector reads a flat vector; the picture is its 28 × 56 image.
    new Explanation(Tensor.From(Shape.Of(1, 28, 56), [.. explanation.Heatmap.Data]), explanation.Output, explanation.Target, explanation.Outputs, explanation.Consistency)
        .WriteHeatmapPng(heatmapAt);
    Console.WriteLine($"  heatmap written to {heatmapAt}");
}
return 0;

static LayerParameters[] RandomWeights(Random random) =>
    [.. PaperDetector.ParameterSizes.Select(s => new LayerParameters(
        [.. Enumerable.Range(0, s.Weights).Select(_ => (float)((random.NextDouble() * 2 - 1) / Math.Sqrt(s.FanIn)))],
        [.. Enumerable.Range(0, s.Bias).Select(_ => (float)(-0.1 * random.NextDouble()))]))];
