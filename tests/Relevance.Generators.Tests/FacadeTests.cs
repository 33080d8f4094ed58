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
            Assert.Equal(TwoLayerDetector.LayerNames, explanation.Layers.Select(l => l.Layer));
            Assert.True(Math.Abs(explanation.ConservationError) <= 1e-4 * Math.Max(1, f));
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
}
