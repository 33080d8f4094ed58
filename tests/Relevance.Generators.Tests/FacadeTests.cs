using Relevance.Samples;

namespace Relevance.Generators.Tests;

/// <summary>The facade over generated explainers: binding weights from an ONNX file and explaining through GeneratedExplainer.</summary>
public class FacadeTests
{
    [Fact]
    public void Weights_bound_from_an_onnx_file_explain_exactly_as_the_network_they_were_exported_from()
    {
        var net = RandomNetworks.Bind<TwoLayerDetector>(new Random(5), nonPositiveBias: true);
        var path = Path.Combine(Path.GetTempPath(), $"two-layer-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, Onnx.OnnxExporter.Export(net.ToNetwork()));
            var loaded = GeneratedExplainer.Load<TwoLayerDetector>(path);
            var input = RandomNetworks.Input(new Random(6), TwoLayerDetector.InputSize, -0.5f, 1.5f);
            var expected = new float[input.Length];
            var f = net.Explain(input, expected);
            var explanation = loaded.Explain(input);
            Assert.Equal(f, explanation.Output);
            Assert.Equal(expected.Select(r => (double)r), explanation.Heatmap.Data);
            Assert.Equal(TwoLayerDetector.LayerNames, explanation.Consistency.Layers.Select(l => l.Node));
            Assert.Equal(loaded.Forward(input), explanation.Outputs.Data.Select(v => (float)v));
            Assert.True(Math.Abs(explanation.Consistency.ConservationError) <= 1e-4 * Math.Max(1, f));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_model_whose_layers_differ_from_the_declaration_is_refused_with_the_layer_named()
    {
        var path = Path.Combine(Path.GetTempPath(), $"one-layer-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, Onnx.OnnxExporter.Export(RandomNetworks.Bind<TwoLayerDetector>(new Random(5), true).ToNetwork()));
            var e = Assert.Throws<NetworkException>(() => GeneratedExplainer.Load<OneLayerDetector>(path));
            Assert.Contains("declares 1 Dense/Conv2d layers; the network has 2 (besides 0/1 sum matrices)", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_model_with_the_declared_weights_but_another_architecture_is_refused_with_both_listed()
    {
        // The same two Dense layers, but without the ReLU between the first and the sum-pooling: sizes alone cannot tell.
        var declared = RandomNetworks.Bind<TwoLayerDetector>(new Random(7), nonPositiveBias: true).ToNetwork();
        var relu = declared.Nodes.First(n => n.Layer is ReLU);
        var rewired = declared.Nodes.Where(n => n != relu)
            .Select(n => n with { Inputs = [.. n.Inputs.Select(i => i == relu.Name ? relu.Inputs[0] : i)] });
        var other = new Network(declared.InputShape, [.. rewired], declared.Output);
        var path = Path.Combine(Path.GetTempPath(), $"two-layer-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, Onnx.OnnxExporter.Export(other));
            var e = Assert.Throws<NetworkException>(() => GeneratedExplainer.Load<TwoLayerDetector>(path));
            Assert.Contains("TwoLayerDetector does not compute what", e.Message);
            Assert.Contains("declared (TwoLayerDetector):", e.Message);
            Assert.Contains("model (", e.Message);
            // The declaration's listing has the ReLU the model lacks.
            var (mine, theirs) = (e.Message.Split("model (")[0], e.Message.Split("model (")[1]);
            Assert.Equal(mine.Split('\n').Count(l => l.Contains("ReLU")), theirs.Split('\n').Count(l => l.Contains("ReLU")) + 1);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
