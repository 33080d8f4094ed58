using Relevance;
using Relevance.IO;

// SqueezeNet 1.1 (ImageNet) takes BGR pixels 0..255; the first layer's z^B box comes from that pixel range.
using var explainer = Explainer.Load("data/onnx/squeezenet1.1_fp16_winml/SqueezeNet_fp16.onnx",
    new ExplainerSettings { Image = ImageInput.Raw(ChannelOrder.Bgr) });
var explanation = explainer.ExplainImage("data/images/chelsea.png");

Console.WriteLine($"{explanation.Target} {explainer.Label(explanation.Target)}: f(x) = {explanation.Output:F3}");
Console.WriteLine($"Σ R = {explanation.Consistency.HeatmapSum:F3}, bias share = {explanation.BiasRelevance:F3}, negative mass = {explanation.Consistency.NegativeMass}");
explanation.WriteOverlayPng("chelsea-overlay.png", "data/images/chelsea.png");
