using Relevance.Engine;
using Relevance.Onnx;

namespace Relevance.IntegrationTests;

/// <summary>Every shipped model explains consistently with the paper's training-free DTD: conservative (with the bias share) at every layer,
/// and every relevance has the sign of the explained logit — positive when f(x) ≥ 0, as the paper's networks guarantee; a
/// classifier's best logit can be negative, and then z^B and z⁺ pass that negative relevance down without changing its sign.</summary>
public class ModelConsistencyTests
{
    // The input box of each model, from its documented preprocessing (data/README.md).
    public static TheoryData<string, float, float> Models => new()
    {
        { "mnist-8/mnist-8.onnx", 0, 255 },
        { "webmnist_lenet5/lenet5.onnx", 0, 1 },
        { "cifar10_winml_tutorial/ImageClassifier_cifar10.onnx", -1, 1 },
        { "squeezenet1.1_fp16_winml/SqueezeNet_fp16.onnx", 0, 255 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Training_free_DTD_is_consistent_at_every_layer(string file, float low, float high)
    {
        var model = OnnxImporter.Load(RepositoryData.Path("onnx", file));
        var engine = EngineNetwork.Compile(model.Network, Composite.TrainingFreeDtd(Rules.ZBox(low, high)));
        var rng = new Random(11);
        for (var sample = 0; sample < 3; sample++)
        {
            var input = Enumerable.Range(0, model.Network.InputShape.Size).Select(_ => low + (float)rng.NextDouble() * (high - low)).ToArray();
            var e = engine.Explain(input);
            var c = e.Consistency;
            // float32 through the whole network: each layer's sums agree to ~1e-6 of f; 1e-4 is stated (EngineConsistencyTests).
            Assert.True(c.RelativeError <= 1e-4, $"{file}: Σ R {c.HeatmapSum} + bias {c.BiasRelevance} vs f {e.Output}");
            Assert.All(c.Layers, l => Assert.True(l.RelativeError <= 1e-4, $"{file}: {l}"));
            if (e.Output >= 0)
            {
                Assert.True(c.Minimum >= 0);
                Assert.All(c.Layers, l => Assert.True(l.Minimum >= 0, $"{file}: {l}"));
            }
            else
            {
                // No positive relevance anywhere: the negative mass is all of it.
                Assert.Equal(c.HeatmapSum, c.NegativeMass);
                Assert.All(c.Layers, l => Assert.Equal(l.RelevanceOut, l.NegativeMass));
            }
        }
    }
}
