using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Relevance.Kernels;
using Relevance.Reference;
using Relevance.Samples;

namespace Relevance.Generators.Tests;

/// <summary>The generated explainers of the four samples against the double-precision reference, on random weights and inputs.</summary>
/// <remarks>Tolerances: the generated code runs in float32 (ε = 6e-8) and sums up to 1568 terms per neuron, each at most the
/// scale max(1, |f(x)|); with sequential summation the worst case is ~1e-4 relative, typical errors are ~1e-6. Every
/// comparison is stated relative to that scale: f(x), each heatmap value, each layer's Σ R and the bias relevance agree within
/// 1e-4 · max(1, |f(x)|).</remarks>
public class ParityTests
{
    private const double Tolerance = 1e-4;

    private static Arbitrary<int> Seeds => Gen.Choose(0, int.MaxValue).ToArbitrary();

    private static Property Parity<TNet>(bool nonPositiveBias, float low, float high) where TNet : class, INetworkKernel<TNet> =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            var net = RandomNetworks.Bind<TNet>(random, nonPositiveBias);
            var input = RandomNetworks.Input(random, TNet.InputShape.Size, low, high);
            var heatmap = new float[input.Length];
            var f = net.Explain(input, heatmap);
            var reference = Propagation.Explain(net.ToNetwork(), Tensor.From(TNet.InputShape, [.. input.Select(v => (double)v)]), TNet.Composite, TNet.Options);
            var scale = Math.Max(1, Math.Abs(reference.Output));
            var heatmapError = heatmap.Select((r, i) => Math.Abs(r - reference.Heatmap[i])).Max();
            var layerError = TNet.LayerNames.Select((name, n) => Math.Abs(net.LayerRelevance[n] - reference.RelevanceOf(name).Data.Sum())).Max();
            var biasError = Math.Abs(net.BiasRelevance - reference.Consistency.BiasRelevance);
            // The facade's consistency report: every declared layer's entry is what the reference reports for the nodes it
            // became (a pooling over a vector: a reshape, the pooling and a flatten): Σ R at the last one's output, what the
            // first passed down, the biases of all, the kind and redistribution of the one that is not a view.
            var report = GeneratedExplainer.For(net).Explain(input).Consistency;
            var entries = report.Layers.Select(l =>
            {
                var nodes = reference.Consistency.Layers.Where(r => r.Node == l.Node || r.Node.StartsWith(l.Node + "/", StringComparison.Ordinal)).ToList();
                var main = nodes.FirstOrDefault(r => r.Layer is not ("Reshape" or "Flatten")) ?? nodes.Single(r => r.Node == l.Node);
                var expected = main with { RelevanceIn = nodes[^1].RelevanceIn, RelevanceOut = nodes[0].RelevanceOut, BiasRelevance = nodes.Sum(r => r.BiasRelevance),
                    NegativeMass = nodes[0].NegativeMass, Minimum = nodes[0].Minimum };
                return (First: l, Second: expected);
            }).ToList();
            var reportError = entries.Max(p => new[] { p.First.RelevanceIn - p.Second.RelevanceIn, p.First.RelevanceOut - p.Second.RelevanceOut,
                p.First.BiasRelevance - p.Second.BiasRelevance, p.First.NegativeMass - p.Second.NegativeMass, p.First.Minimum - p.Second.Minimum }.Max(Math.Abs));
            var named = report.Layers.Select(l => l.Node).SequenceEqual(TNet.LayerNames)
                && entries.All(p => (p.First.Layer, p.First.Redistribution) == (p.Second.Layer, p.Second.Redistribution));
            return (net.Target == reference.Target
                    && Math.Abs(f - reference.Output) <= Tolerance * scale
                    && heatmapError <= Tolerance * scale
                    && layerError <= Tolerance * scale
                    && biasError <= Tolerance * scale
                    && reportError <= Tolerance * scale && named)
                .Label($"seed {seed}: target {net.Target}/{reference.Target}, f {f}/{reference.Output}, heatmap error {heatmapError:E2}, " +
                       $"layer error {layerError:E2}, bias error {biasError:E2}, report error {reportError:E2}, names agree {named}, scale {scale:G4}");
        });

    [Property(MaxTest = 30)]
    public Property One_layer_detector_matches_the_reference() => Parity<OneLayerDetector>(nonPositiveBias: true, -0.5f, 1.5f);

    [Property(MaxTest = 30)]
    public Property Two_layer_detector_matches_the_reference() => Parity<TwoLayerDetector>(nonPositiveBias: true, -0.5f, 1.5f);

    [Property(MaxTest = 50)]
    public Property LeNet5_matches_the_reference() => Parity<LeNet5>(nonPositiveBias: false, 0f, 1f);

    [Property(MaxTest = 50)]
    public Property Residual_cnn_matches_the_reference() => Parity<ResidualCnn>(nonPositiveBias: false, 0f, 1f);

    // The paper's detectors (b ≤ 0, inputs in the box) are consistent (Def. 3): conservative and positive. Conservation is
    // float32 summation (1e-4 of the scale, as above); positivity allows rounding of (x − h)·Ws + (h − l)·W⁺s, whose exact value
    // is ≥ 0 but whose two float products may cancel: −1e-5 of the scale.
    private static Property Consistent<TNet>() where TNet : class, INetworkKernel<TNet> =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            var net = RandomNetworks.Bind<TNet>(random, nonPositiveBias: true);
            var heatmap = new float[TNet.InputShape.Size];
            var f = net.Explain(RandomNetworks.Input(random, heatmap.Length, -0.5f, 1.5f), heatmap);
            var scale = Math.Max(1, Math.Abs(f));
            var error = f - heatmap.Sum(r => (double)r) - net.BiasRelevance;
            return (f >= 0 && Math.Abs(error) <= Tolerance * scale && heatmap.Min() >= -1e-5 * scale && net.BiasRelevance == 0)
                .Label($"seed {seed}: f {f}, conservation error {error:E2}, min R {heatmap.Min():E2}, bias {net.BiasRelevance}");
        });

    [Property(MaxTest = 30)]
    public Property One_layer_detector_explanations_are_consistent() => Consistent<OneLayerDetector>();

    [Property(MaxTest = 30)]
    public Property Two_layer_detector_explanations_are_consistent() => Consistent<TwoLayerDetector>();

    // A batch is one matrix product per dense layer (the detectors) or an input-by-input loop (the CNNs): the same numbers up
    // to float32 summation order, within the tolerance above; targets given per input are honoured.
    private static Property BatchMatchesSingle<TNet>(bool nonPositiveBias, float low, float high) where TNet : class, INetworkKernel<TNet> =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            var net = RandomNetworks.Bind<TNet>(random, nonPositiveBias);
            var batch = 1 + random.Next(6);
            var size = TNet.InputShape.Size;
            var inputs = Enumerable.Range(0, batch).SelectMany(_ => RandomNetworks.Input(random, size, low, high)).ToArray();
            var targets = Enumerable.Range(0, batch).Select(_ => random.Next(TNet.OutputLength)).ToArray();
            var (heatmaps, f, outputs) = (new float[inputs.Length], new float[batch], new float[batch * TNet.OutputLength]);
            net.ExplainBatch(inputs, heatmaps, f, targets);
            net.ForwardBatch(inputs, outputs);
            var worst = 0.0;
            for (var b = 0; b < batch; b++)
            {
                var single = new float[size];
                var expected = net.Explain(inputs.AsSpan(b * size, size), single, targets[b]);
                var scale = Math.Max(1, Math.Abs(expected));
                worst = Math.Max(worst, Math.Abs(f[b] - expected) / scale);
                worst = Math.Max(worst, Math.Abs(outputs[b * TNet.OutputLength + targets[b]] - expected) / scale);
                for (var i = 0; i < size; i++) worst = Math.Max(worst, Math.Abs(heatmaps[b * size + i] - single[i]) / scale);
            }
            return (worst <= Tolerance).Label($"seed {seed}, batch {batch}: largest difference {worst:E2} of the scale");
        });

    [Property(MaxTest = 10)]
    public Property One_layer_detector_batches_explain_as_single_inputs() => BatchMatchesSingle<OneLayerDetector>(true, -0.5f, 1.5f);

    [Property(MaxTest = 10)]
    public Property Two_layer_detector_batches_explain_as_single_inputs() => BatchMatchesSingle<TwoLayerDetector>(true, -0.5f, 1.5f);

    [Property(MaxTest = 10)]
    public Property LeNet5_batches_explain_as_single_inputs() => BatchMatchesSingle<LeNet5>(false, 0f, 1f);

    // The γ-rule in generated code: convolutions (col(x) products), dense layers, and the batch path's matrix products.
    [Property(MaxTest = 50)]
    public Property Gamma_cnn_matches_the_reference() => Parity<GammaCnn>(nonPositiveBias: true, 0f, 1f);

    [Property(MaxTest = 50)]
    public Property Gamma_dense_network_matches_the_reference() => Parity<GammaDense>(nonPositiveBias: true, 0f, 1f);

    [Property(MaxTest = 10)]
    public Property Gamma_dense_batches_explain_as_single_inputs() => BatchMatchesSingle<GammaDense>(false, 0f, 1f);

    // Biases of +0.5 let outputs whose Σ x w is negative pass their ReLU, so relevance reaches γ's negative branch (w + γw⁻).
    // The input is drawn until the first layer has such an output and every Σ x w is at least 1e-3 from 0: one within
    // float32's rounding of 0 could take the other branch than the double reference (docs/rules.md §6), and the
    // explanations would then differ by design. Then the explanation against the reference, single and batched.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Gamma_takes_the_negative_branch_as_the_reference_does(int seed)
    {
        var random = new Random(seed);
        LayerParameters Layer(ParameterSize s) => new(
            [.. Enumerable.Range(0, s.Weights).Select(_ => (float)((random.NextDouble() * 2 - 1) / Math.Sqrt(s.FanIn)))], [.. Enumerable.Repeat(0.5f, s.Bias)]);
        var parameters = GammaDense.ParameterSizes.Select(Layer).ToArray();
        var net = GammaDense.Bind(parameters);
        float[] input;
        double[] a;
        do
        {
            input = [.. Enumerable.Range(0, GammaDense.InputShape.Size).Select(_ => random.NextSingle())];
            var x = input;
            a = [.. Enumerable.Range(0, 12).Select(j => Enumerable.Range(0, 24).Sum(i => (double)x[i] * parameters[0].Weights[i * 12 + j]))];
        }
        while (!a.Any(v => v < 0 && v + 0.5 > 0) || a.Any(v => Math.Abs(v) < 1e-3));
        var heatmap = new float[input.Length];
        var f = net.Explain(input, heatmap);
        var reference = Propagation.Explain(net.ToNetwork(), Tensor.From(GammaDense.InputShape, [.. input.Select(v => (double)v)]), GammaDense.Composite, GammaDense.Options);
        var scale = Math.Max(1, Math.Abs(reference.Output));
        Assert.Equal(reference.Output, f, Tolerance * scale);
        Assert.All(heatmap.Select((r, i) => Math.Abs(r - reference.Heatmap[i])), e => Assert.True(e <= Tolerance * scale, $"{e}"));
        var (batchHeatmap, batchF) = (new float[2 * input.Length], new float[2]);
        net.ExplainBatch([.. input, .. input], batchHeatmap, batchF);
        Assert.All(batchHeatmap.Select((r, i) => Math.Abs(r - heatmap[i % input.Length])), e => Assert.True(e <= Tolerance * scale, $"{e}"));
    }

    [Fact]
    public void An_input_outside_the_declared_box_is_a_rule_domain_error_naming_the_layer()
    {
        var net = RandomNetworks.Bind<OneLayerDetector>(new Random(1), nonPositiveBias: true);
        var input = new float[OneLayerDetector.InputSize];
        input[17] = 2f;
        var e = Assert.Throws<RuleDomainException>(() => net.Explain(input, new float[input.Length]));
        Assert.Equal("Dense0", e.Node);
        Assert.Contains("input 17 is 2", e.Message);
    }

    [Fact]
    public void A_bad_input_anywhere_in_a_batch_is_refused_with_its_position()
    {
        var net = RandomNetworks.Bind<LeNet5>(new Random(2), nonPositiveBias: false);
        var inputs = new float[8 * LeNet5.InputSize];
        inputs[7 * LeNet5.InputSize + 5] = 3f;
        var e = Assert.Throws<RuleDomainException>(() => net.ExplainBatch(inputs, new float[inputs.Length], new float[8]));
        Assert.Contains("input 5 is 3", e.Message);
        inputs[7 * LeNet5.InputSize + 5] = 0.5f;
        net.ExplainBatch(inputs, new float[inputs.Length], new float[8]);
    }

    [Fact]
    public void A_NaN_input_or_a_short_buffer_is_refused()
    {
        var net = RandomNetworks.Bind<LeNet5>(new Random(1), nonPositiveBias: false);
        var input = new float[LeNet5.InputSize];
        input[3] = float.NaN;
        Assert.Contains("input 3 is NaN", Assert.Throws<InvalidInputException>(() => net.Explain(input, new float[input.Length])).Message);
        Assert.Throws<InvalidInputException>(() => net.Explain(new float[5], new float[5]));
        Assert.Throws<ArgumentException>(() => net.Explain(new float[LeNet5.InputSize], new float[3]));
    }

    [Fact]
    public void Binding_checks_counts_sizes_and_the_declared_bias_sign()
    {
        Assert.Throws<ArgumentException>(() => OneLayerDetector.Bind([]));
        Assert.Contains("needs 627200 weights", Assert.Throws<ArgumentException>(() => OneLayerDetector.Bind([new LayerParameters(new float[10], new float[400])])).Message);
        var positive = new float[400];
        positive[5] = 0.1f;
        Assert.Contains("bias 5 is 0.1", Assert.Throws<ArgumentException>(() => OneLayerDetector.Bind([new LayerParameters(new float[627200], positive)])).Message);
    }

    [Fact]
    public void A_reference_network_binds_and_explains_the_same()
    {
        var net = RandomNetworks.Bind<ResidualCnn>(new Random(3), nonPositiveBias: false);
        var again = ResidualCnn.FromNetwork(net.ToNetwork());
        var input = RandomNetworks.Input(new Random(4), ResidualCnn.InputSize, 0, 1);
        var (a, b) = (new float[input.Length], new float[input.Length]);
        Assert.Equal(net.Explain(input, a), again.Explain(input, b));
        Assert.Equal(a, b);
        Assert.Contains("declares 5 Dense/Conv2d layers; the network has 4", Assert.Throws<NetworkException>(() => LeNet5.FromNetwork(net.ToNetwork())).Message);
        var narrower = Network.Sequential(Shape.Of(1568), new Dense(1568, 300, [.. new double[1568 * 300]], [.. new double[300]]), new ReLU(), new Sum());
        Assert.Equal("Dense0", Assert.Throws<ShapeMismatchException>(() => OneLayerDetector.FromNetwork(narrower)).Node);
    }
}
