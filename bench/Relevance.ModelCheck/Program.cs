// Checks ONNX image classifiers the way a user brings them: each model's logits on a photo against ONNX Runtime's, and an
// explanation with the paper's training-free composite, deep Taylor by input domain, ε and α2β1, reporting conservation, negative mass and time, or
// the reason a composite is refused. Usage: dotnet run -c Release --project bench/Relevance.ModelCheck -- PHOTO MODEL.onnx…
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Relevance;
using Relevance.Onnx;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Relevance.ModelCheck PHOTO MODEL.onnx [MODEL.onnx …]");
    return 2;
}
var photo = args[0];
(string Name, Func<Network, ExplainerSettings> Settings)[] composites =
[
    ("DTD (z^B, z⁺)", _ => new ExplainerSettings { Image = ImageInput.ImageNet }),
    ("DTD by domain (z^B, z⁺ or w²)", n => new ExplainerSettings
    {
        Image = ImageInput.ImageNet, Composite = Composite.DeepTaylor(Explainer.InputBox(n, ImageInput.ImageNet.For(n.InputShape))),
    }),
    ("ε 1e-6", _ => new ExplainerSettings { Image = ImageInput.ImageNet, Rule = Rules.Epsilon(1e-6) }),
    ("α2β1", _ => new ExplainerSettings { Image = ImageInput.ImageNet, Rule = Rules.AlphaBeta(2, 1) }),
];
Console.WriteLine("| model | nodes | max |Δ logit| / max(1, max |logit|) vs ONNX Runtime | composite | f | (Σ R + bias) / f | negative mass / f | explain s |");
Console.WriteLine("|---|---:|---:|---|---:|---:|---:|---:|");
var failed = false;
foreach (var path in args.Skip(1))
{
    var name = Path.GetFileNameWithoutExtension(path);
    ImportedModel model;
    try
    {
        model = OnnxImporter.Load(path);
    }
    catch (Exception e) when (e is UnsupportedModelException or ModelFormatException)
    {
        Console.WriteLine($"| {name} | — | refused: {e.Message} | | | | | |");
        failed = true;
        continue;
    }
    string parity;
    try
    {
        using var first = Explainer.Create(model, composites[0].Settings(model.Network));
        var input = first.ReadImage(photo).ToSingles();
        var ours = first.Forward(input);
        using var session = new InferenceSession(path);
        var dims = model.InputDims.Select(d => (int)d).ToArray();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(model.InputName, new DenseTensor<float>(input, dims))]);
        var theirs = results.First().AsEnumerable<float>().ToArray();
        var worst = ours.Zip(theirs).Max(p => Math.Abs(p.First - p.Second)) / Math.Max(1, theirs.Max(Math.Abs));
        parity = $"{worst:E1}";
        failed |= worst > 1e-4;
    }
    catch (UncoveredLayerException e)
    {
        Console.WriteLine($"| {name} | {model.Network.Nodes.Length} | refused: {e.Message} | | | | | |");
        failed = true;
        continue;
    }
    foreach (var (composite, settings) in composites)
    {
        try
        {
            using var explainer = Explainer.Create(model, settings(model.Network));
            var input = explainer.ReadImage(photo);
            var clock = Stopwatch.StartNew();
            var e = explainer.Explain(input);
            var seconds = clock.Elapsed.TotalSeconds;
            var c = e.Consistency;
            Console.WriteLine($"| {name} | {model.Network.Nodes.Length} | {parity} | {composite} | {e.Output:G4} | {(c.HeatmapSum + c.BiasRelevance) / e.Output:F4} | {c.NegativeMass / e.Output:G3} | {seconds:F2} |");
        }
        catch (Exception ex) when (ex is RuleDomainException or UncoveredLayerException or NumericFaultException)
        {
            Console.WriteLine($"| {name} | {model.Network.Nodes.Length} | {parity} | {composite} | refused: {ex.Message} | | | |");
        }
    }
}
return failed ? 1 : 0;
