using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests.Engine;

/// <summary>A batch norm after no linear layer (DenseNet's BN → ReLU → Conv) becomes a channel-wise affine layer whose
/// relevance follows the z-rule of a one-input neuron: the engine matches the reference, and input plus bias share is what came in.</summary>
public class EngineAffineTests
{
    // conv → ReLU → BN (scales of both signs, shifts of both signs) → ReLU → conv → ReLU → Flatten → Dense(3).
    private static DeepCase Case(int seed)
    {
        var rng = new Random(seed);
        var conv1 = new Conv2d(3, 4, 3, 3, TwoConvolutions.Random(rng, 4 * 3 * 9, 0.4), TwoConvolutions.Random(rng, 4, 0.1), 1, 1);
        var bn = new BatchNorm([1.2, -0.7, 0.4, 2.0], [0.3, -0.2, 0.1, -0.4], [0.2, 0.1, -0.1, 0.3], [0.5, 1.5, 0.8, 1.1]);
        var conv2 = new Conv2d(4, 5, 3, 3, TwoConvolutions.Random(rng, 5 * 4 * 9, 0.3), TwoConvolutions.Random(rng, 5, 0.1), 1, 1);
        var dense = new Dense(5 * 25, 3, TwoConvolutions.Random(rng, 125 * 3, 0.2), TwoConvolutions.Random(rng, 3, 0.1));
        var network = new Network(Shape.Of(3, 5, 5), [
            new Node("conv1", conv1, [Network.InputName]), new Node("relu1", new ReLU(), ["conv1"]),
            new Node("bn", bn, ["relu1"]), new Node("relu2", new ReLU(), ["bn"]),
            new Node("conv2", conv2, ["relu2"]), new Node("relu3", new ReLU(), ["conv2"]),
            new Node("flat", new Flatten(), ["relu3"]), new Node("dense", dense, ["flat"])]);
        return TwoConvolutions.Uniform(network, rng);
    }

    [Theory]
    [InlineData("z^B first", BiasTreatment.Neuron)]
    [InlineData("z^B first", BiasTreatment.Ignore)]
    [InlineData("z everywhere", BiasTreatment.Neuron)]
    [InlineData("α2β1 everywhere", BiasTreatment.Neuron)]
    public void An_unfoldable_batch_norm_matches_the_reference_and_conserves_with_its_bias_share(string name, BiasTreatment bias)
    {
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var c = Case(seed);
            var canonical = Canonizers.Canonize(c.Network);
            Assert.Contains(canonical.Nodes, n => n.Layer is ChannelAffine);
            var options = new ExplainOptions(PoolingRedistribution.Proportional, bias);
            var (ok, why) = EngineParityTests.Agree(c with { Network = canonical }, TwoConvolutions.Named(name, c), options);
            Assert.True(ok, $"seed {seed}: {why}");
            var layer = Propagation.Explain(canonical, c.Input, TwoConvolutions.Named(name, c), options).Consistency.Layers.Single(l => l.Node == "bn");
            // With the bias a neuron, R_x + b/y · R = (a x + b)/y · R = R per element, up to the rounding of double sums.
            // Ignored, the bias takes nothing and an input a x = 0 nothing either (its relevance is lost, and reported so).
            if (bias == BiasTreatment.Neuron)
                Assert.True(Math.Abs(layer.AbsoluteError) <= 1e-12 * Math.Max(1, Math.Abs(layer.RelevanceIn)), $"seed {seed}: {layer}");
            else Assert.True(layer.BiasRelevance == 0 && layer.RelevanceOut <= layer.RelevanceIn + 1e-12, $"seed {seed}: {layer}");
        }
    }
}
