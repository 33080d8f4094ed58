using Relevance.Engine;
using Relevance.Experiments;
using Relevance.Onnx;

namespace Relevance.IntegrationTests;

/// <summary>The paper's trained networks export to ONNX: ONNX Runtime computes the same output, and the re-imported model explains the same way.</summary>
public class OnnxExportTests
{
    [Fact]
    public void Both_detectors_round_trip_through_onnx_runtime_and_back()
    {
        var (train, test) = Digits.LoadFolder(RepositoryData.Path("mnist"));
        var data = TwoDigitData.Draw(train, ClassSplit.Paper, 500, 5, shift: 2);
        var networks = new[]
        {
            OneLayerTrainer.Train(data, new Training(50, Hidden: 40)).Detector.ToNetwork(),
            TwoLayerTrainer.Train(data, new Training(50, Hidden: 40)).Detector.ToNetwork(),
        };
        var inputs = TwoDigitData.Draw(test, ClassSplit.Paper, 4, 6);
        foreach (var network in networks)
        {
            var path = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.onnx");
            File.WriteAllBytes(path, OnnxExporter.Export(network));
            var imported = OnnxImporter.Load(path);
            foreach (var e in inputs)
            {
                var x = Tensor.From(network.InputShape, [.. e.Pixels.Select(v => (double)v)]);
                var f = Reference.Forward.Output(network, x)[0];
                var runtime = OnnxParityTests.RuntimeOutput(path, imported, e.Pixels)[0];
                var back = Reference.Forward.Output(imported.Network, x)[0];
                // float32 in ONNX Runtime against double here, over ~1.6·10³ terms per unit: 1e-4 relative is ample.
                Assert.True(Math.Abs(runtime - f) <= 1e-4 * Math.Max(1, Math.Abs(f)), $"ONNX Runtime {runtime} vs {f}");
                Assert.True(Math.Abs(back - f) <= 1e-4 * Math.Max(1, Math.Abs(f)), $"re-imported {back} vs {f}");
                // Sum and sum-pooling come back as MatMul with a 0/1 matrix; z⁺ there redistributes exactly as proportional pooling.
                var original = Reference.Propagation.Explain(network, x, Composite.TrainingFreeDtd(Rules.ZBox(-0.5, 1.5))).Heatmap;
                var again = Reference.Propagation.Explain(imported.Network, x, Composite.TrainingFreeDtd(Rules.ZBox(-0.5, 1.5))).Heatmap;
                for (var i = 0; i < original.Size; i++)
                    Assert.True(Math.Abs(original[i] - again[i]) <= 1e-4 * Math.Max(1, Math.Abs(f)), $"pixel {i}: {original[i]} vs {again[i]}");
            }
            File.Delete(path);
        }
    }
}
