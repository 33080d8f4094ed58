using FsCheck;
using System.Collections.Immutable;
using FsCheck.Fluent;
using Relevance.Engine;
using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests.Engine;

/// <summary>The float32 engine computes what the double-precision reference computes, on random graphs and for every rule.</summary>
public class EngineParityTests
{
    /// <summary>|R_engine − R_reference| ≤ (1e-4 + 4 u κ_f) · M · κ per element, and the same for f and every layer's sums, where
    /// M = max(1, |f|, the largest Σ_i |R_i| at any node of the reference) and κ = M / max(1, |f|).</summary>
    /// <remarks>float32 has unit round-off u = 6e-8; a generated neuron sums at most ~10³ terms, over ≤ 20 layers, so rounding
    /// moves a value by at most ~10³·20·u ≈ 1e-3 of the magnitudes it is made of — in practice ~1e-6. For the consistent
    /// rules every term is non-negative and M = max(1, |f|). The z, ε and αβ rules cancel positive against negative
    /// relevance (that is why they are not positive): a denominator z_j = Σ_i x_i w_ij that nearly cancels has relative
    /// rounding error u·Σ|x_i w_ij|/|z_j| = u·κ_j, and the relevance it produces is itself κ_j times larger than R_j, so the
    /// error grows as u·κ·M; κ = M / max(1, |f|) measures that cancellation on the case itself (κ = 1 for the consistent
    /// rules). 1e-4 still catches a misplaced connection or a wrong denominator, which moves relevance by a weight-sized
    /// fraction of M.</remarks>
    private const double Tolerance = 1e-4;

    /// <summary>float32's unit round-off.</summary>
    private const double U = 1.0 / (1 << 24);

    /// <summary>κ_f = the largest A_j / |d_j| over the linear layers' outputs that carry relevance, where d_j is a denominator
    /// the rule divides by and A_j the absolute sum of its terms: d_j = y_j with A_j = Σ_i |x_i w_ij| + |b_j| for every rule,
    /// and, when <paramref name="biasFree"/> (the z and γ rules, which leave the bias out), also d_j = Σ_i q_ij with
    /// A_j = Σ_i |q_ij|, q_ij = x_i (w_ij + γ w_ij^±) in γ's branch (γ = 0 for z); and infinite where γ's branch cannot be
    /// told in float32. A float32 sum is off by about u · A_j, so a denominator left small by cancellation (d_j ≪ A_j)
    /// carries a relative error u · κ_f into the relevance it divides, and every layer below inherits it.</summary>
    /// <remarks>Agree allows 4 u κ_f on top of 1e-4 (both times M · κ): blocked float32 sums stay within about u · A_j
    /// (0.5 u A_j on the case FsCheck found), and κ_f ≤ 400 keeps the extra term below 1e-4, so only a real cancellation
    /// widens the check, by what float32 cannot do better. Where u · κ_f ≥ 1 float32 cannot resolve the denominator at all
    /// (its sum is rounding noise), and the bound says so: the z rule's bias-free sums meet this now and then on random
    /// graphs whose biases carry a neuron's output (kept as Z_denominator_cancelling_below_float32s_resolution).</remarks>
    internal static double ForwardConditioning(DeepCase c, Explanation reference, bool biasFree = false, double gamma = 0, bool gammaBias = false)
    {
        var activations = Forward.Run(c.Network, c.Input);
        var worst = 1.0;
        for (var n = 0; n < c.Network.Nodes.Length; n++)
        {
            var node = c.Network.Nodes[n];
            if (!LinearMap.IsLinear(node.Layer)) continue;
            var x = activations.InputsOf(node)[0];
            var map = LinearMap.Of(node.Layer, x.Shape);
            var (terms, free, freeSum, a) = (new double[map.Outputs], new double[map.Outputs], new double[map.Outputs], new double[map.Outputs]);
            foreach (var e in map.Connections)
            {
                terms[e.Output] += Math.Abs(x[e.Input] * map.W(e));
                a[e.Output] += x[e.Input] * map.W(e);
            }
            // γ's branch: the sign of a = Σ x w (+ b under Zennit's conventions) picks w + γw⁺ or w + γw⁻ for each input.
            if (gammaBias) for (var j = 0; j < a.Length; j++) a[j] += map.Bias[j];
            foreach (var e in map.Connections)
            {
                var w = map.W(e);
                var q = x[e.Input] * (w + gamma * (a[e.Output] >= 0 == x[e.Input] >= 0 ? Math.Max(0, w) : Math.Min(0, w)));
                (free[e.Output], freeSum[e.Output]) = (free[e.Output] + Math.Abs(q), freeSum[e.Output] + q);
            }
            var (y, r) = (activations.Values[n], reference.Nodes[n].Relevance);
            // A denominator of exactly 0 from terms that are not all 0 (A_j / 0) is infinitely ill-conditioned.
            static double Ratio(double terms, double d) => terms == 0 ? 1 : d == 0 ? double.PositiveInfinity : terms / Math.Abs(d);
            for (var j = 0; j < terms.Length; j++)
            {
                if (r[j] == 0) continue;
                worst = Math.Max(worst, Ratio(terms[j] + Math.Abs(map.Bias[j]), y[j]));
                // Under BiasTreatment.Zennit γ's denominator also holds b + γb⁺ (b + γb⁻ in the negative branch).
                var b = gammaBias ? map.Bias[j] + gamma * (a[j] >= 0 ? Math.Max(0, map.Bias[j]) : Math.Min(0, map.Bias[j])) : 0;
                if (biasFree) worst = Math.Max(worst, Ratio(free[j] + Math.Abs(b), freeSum[j] + b));
                // Where a float32 sum may not resolve a's sign (|a| within 100 u of its terms' magnitude), the engine may take
                // the other branch than the reference: the two explanations then differ by design, not by rounding.
                if (gamma > 0 && Math.Abs(a[j]) <= 100 * U * (terms[j] + (gammaBias ? Math.Abs(map.Bias[j]) : 0)))
                    worst = double.PositiveInfinity;
            }
        }
        return worst;
    }

    private static readonly (string Name, Func<DeepCase, Composite> Make)[] Composites =
    [
        ("z^B first", c => Composite.TrainingFreeDtd(c.Box)),
        ("w² first", _ => Composite.TrainingFreeDtd(Rules.WSquare)),
        ("z everywhere", _ => Composite.Uniform(Rules.Z)),
        ("ε everywhere", _ => Composite.Uniform(Rules.Epsilon(0.01))),
        ("γ everywhere", _ => Composite.Uniform(Rules.Gamma(0.25, 0.01))),
        ("α2β1 everywhere", _ => Composite.Uniform(Rules.AlphaBeta(2, 1))),
        ("flat everywhere", _ => Composite.Uniform(Rules.Flat)),
    ];

    internal static (bool Ok, string Why) Agree(DeepCase c, Composite composite, ExplainOptions options)
    {
        var reference = Propagation.Explain(c.Network, c.Input, composite, options);
        var engine = EngineNetwork.Compile(c.Network, composite, options).Explain([.. c.Input.Data.Select(v => (float)v)]);
        var scale = reference.Nodes.Select(n => n.Relevance.Data.Sum(Math.Abs)).Append(reference.Heatmap.Data.Sum(Math.Abs))
            .Append(Math.Abs(reference.Output)).Append(1).Max();
        scale *= scale / Math.Max(1, Math.Abs(reference.Output));
        var rules = composite.Resolve(c.Network).Values;
        var biasFree = rules.Any(r => r is ZRule or GammaRule);
        var gamma = rules.OfType<GammaRule>().Select(g => g.Gamma).DefaultIfEmpty(0).Max();
        var gammaBias = options.Bias == BiasTreatment.Zennit && rules.Any(r => r is GammaRule);
        var allowed = (Tolerance + 4 * U * ForwardConditioning(c, reference, biasFree, gamma, gammaBias)) * scale;
        var worst = reference.Heatmap.Data.Zip(engine.Heatmap.Data).Select(p => Math.Abs(p.First - p.Second)).DefaultIfEmpty(0).Max();
        var layers = reference.Consistency.Layers.Zip(engine.Consistency.Layers)
            .Select(p => new[]
            {
                p.First.RelevanceIn - p.Second.RelevanceIn, p.First.RelevanceOut - p.Second.RelevanceOut, p.First.BiasRelevance - p.Second.BiasRelevance,
                p.First.NegativeMass - p.Second.NegativeMass, p.First.Minimum - p.Second.Minimum,
            }.Max(Math.Abs)).DefaultIfEmpty(0).Max();
        var ok = engine.Target == reference.Target && Math.Abs(engine.Output - reference.Output) <= allowed
            && worst <= allowed && layers <= allowed;
        return (ok, $"f {reference.Output} vs {engine.Output}; worst element {worst / scale:G3}, worst layer {layers / scale:G3} (× M·κ = {scale:G3}; allowed {allowed / scale:G3})");
    }

    // Square windows as wide as their stride and without padding take PoolKernel's route (2×2: unrolled; 3×3: general);
    // the random graphs above reach it in only a few percent of cases, so each kind is pinned here on several seeds.
    [Theory]
    [InlineData(PoolKind.Max, 2)]
    [InlineData(PoolKind.Average, 2)]
    [InlineData(PoolKind.Sum, 3)]
    [InlineData(PoolKind.Average, 3)]
    public void Non_overlapping_pools_match_the_reference(PoolKind kind, int window)
    {
        for (var seed = 1; seed <= 5; seed++)
        {
            var spec = new DeepSpec(2, 7, 9, [new ConvBlock(3, 3, 1, 1, 1), new PoolBlock(kind, window, window, 0)], 4, false, seed, NonPositiveBias: false);
            var c = spec.Build();
            foreach (var options in new[] { ExplainOptions.Default, new ExplainOptions(PoolingRedistribution.WinnerTakeAll, BiasTreatment.Ignore) })
            {
                var (ok, why) = Agree(c, Composite.TrainingFreeDtd(c.Box), options);
                Assert.True(ok, $"{spec}, {options}: {why}");
            }
        }
    }

    // Stride-1 windows that keep the width (an inception module's 3×3 pooling with padding 1 all round) take
    // SeparablePooling's whole-plane shifts, whose entries reading across a row's end are put back; any other stride-1
    // window takes whole rows along y only (both on rows of fewer and more than 16). Stride-2 windows take StrideTwoPooling's 16 outputs at a time: rows of fewer
    // than 16 outputs, exactly 16, 16 and a ragged 2 to 19, windows of 2 to 5 taps (odd and even counts of lane pairs), padding on
    // every side; the first and last windows of the tensor read past its ends. The random graphs pad top and left only and
    // stay under 10 columns, so they reach only some of these.
    [Theory]
    [InlineData(PoolKind.Max, 3, 1, 1, 9)]
    [InlineData(PoolKind.Average, 3, 1, 1, 9)]
    [InlineData(PoolKind.Sum, 5, 1, 2, 9)]
    [InlineData(PoolKind.Max, 3, 1, 0, 9)]
    [InlineData(PoolKind.Max, 3, 2, 0, 71)]
    [InlineData(PoolKind.Average, 3, 2, 1, 70)]
    [InlineData(PoolKind.Max, 3, 2, 0, 33)]
    [InlineData(PoolKind.Max, 3, 2, 1, 35)]
    [InlineData(PoolKind.Sum, 2, 2, 1, 38)]
    [InlineData(PoolKind.Max, 4, 2, 1, 11)]
    [InlineData(PoolKind.Average, 5, 2, 2, 40)]
    [InlineData(PoolKind.Max, 5, 2, 2, 9)]
    [InlineData(PoolKind.Max, 3, 1, 1, 40)]
    [InlineData(PoolKind.Sum, 2, 1, 0, 17)]
    [InlineData(PoolKind.Average, 4, 1, 2, 33)]
    public void Stride_one_and_two_pools_match_the_reference(PoolKind kind, int window, int stride, int pad, int width)
    {
        for (var seed = 1; seed <= 3; seed++)
        {
            var rng = new Random(seed);
            var input = Shape.Of(3, 7, width);
            var conv = new Conv2d(3, 4, 3, 3, TwoConvolutions.Random(rng, 4 * 3 * 9, 0.5), TwoConvolutions.Random(rng, 4, 0.1), 1, 1);
            var pool = new Pool2d(kind, window, window, stride, stride, pads: Padding2d.Uniform(pad));
            var features = 4 * ((7 + 2 * pad - window) / stride + 1) * ((width + 2 * pad - window) / stride + 1);
            var dense = new Dense(features, 4, TwoConvolutions.Random(rng, features * 4, 0.3), TwoConvolutions.Random(rng, 4, 0.1));
            var network = new Network(input, [
                new Node("conv", conv, [Network.InputName]), new Node("relu", new ReLU(), ["conv"]), new Node("pool", pool, ["relu"]),
                new Node("flat", new Flatten(), ["pool"]), new Node("dense", dense, ["flat"])]);
            var c = TwoConvolutions.Uniform(network, rng);
            var (ok, why) = Agree(c, Composite.TrainingFreeDtd(c.Box), ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
        }
    }

    // The case the repeat script found in run 148 of 200 (FsCheck (16401155870480092650,7877899054144026333), shrunk): conv4's
    // output 47 reads three equal inputs (border positions of relu3, each relu(bias)) through weights that sum to exactly 0
    // in double, so the z rule's bias-free denominator is 0 and the reference drops its relevance, while float32's sum is
    // 6e-8 of rounding and the engine sends ±10⁷ through it. Neither is wrong: float32 cannot resolve that denominator, and
    // κ_f says so (infinite), while every denominator that can be resolved is held to the bound.
    [Fact]
    public void Z_denominator_cancelling_below_float32s_resolution()
    {
        var c = new Specification.DeepSpec(3, 6, 9, [new Specification.ConvBlock(3, 1, 1, 1, 1), new Specification.ConvBlock(2, 1, 2, 1, 1),
            new Specification.ConvBlock(4, 3, 2, 1, 1), new Specification.ResidualBlock(3)], 1, false, 1417638213, NonPositiveBias: false).Build();
        var reference = Propagation.Explain(c.Network, c.Input, Composite.Uniform(Rules.Z), ExplainOptions.Default);
        Assert.Equal(double.PositiveInfinity, ForwardConditioning(c, reference, biasFree: true));
        Assert.True(ForwardConditioning(c, reference) < 100);
        var (ok, why) = Agree(c, Composite.Uniform(Rules.Z), ExplainOptions.Default);
        Assert.True(ok, why);
        // The heatmap still agrees: the relevance sent through that output reaches padded positions below, which take none.
        var engine = EngineNetwork.Compile(c.Network, Composite.Uniform(Rules.Z)).Explain([.. c.Input.Data.Select(v => (float)v)]);
        Assert.All(reference.Heatmap.Data.Zip(engine.Heatmap.Data), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4 * Math.Max(1, Math.Abs(reference.Output))));
    }

    // The case FsCheck shrank a rare failure to (replay (6131093436575597821,18401873002910405813)): a neuron whose output
    // 5.1e-4 is what is left of terms whose absolute sum is 31, under the z rule.
    [Fact]
    public void A_forward_value_left_by_cancellation_is_within_the_stated_bound()
    {
        var c = new Specification.DeepSpec(3, 5, 5, [], 2, false, 625390025, NonPositiveBias: false).Build();
        var (ok, why) = Agree(c, Composite.Uniform(Rules.Z), ExplainOptions.Default);
        Assert.True(ok, why);
    }

    [SpecProperty]
    public Property The_engine_matches_the_reference_for_every_rule_on_random_graphs() =>
        Prop.ForAll(Arbitraries.Deep(nonPositiveBias: false), spec =>
        {
            var c = spec.Build();
            foreach (var (name, make) in Composites)
                foreach (var options in new[] { ExplainOptions.Default, new ExplainOptions(PoolingRedistribution.WinnerTakeAll, BiasTreatment.Ignore),
                    new ExplainOptions(PoolingRedistribution.Proportional, BiasTreatment.Zennit) })
                {
                    var (ok, why) = Agree(c, make(c), options);
                    if (!ok) return false.Label($"{name}, {options}: {why}");
                }
            return true.ToProperty();
        });
}

public class EngineGradientTests
{
    [SpecProperty]
    public Property The_engine_gradient_matches_the_reference_backpropagation() =>
        Prop.ForAll(Arbitraries.Deep(nonPositiveBias: false), spec =>
        {
            var c = spec.Build();
            var reference = Relevance.Baselines.Gradient.Of(c.Network, c.Input, 0);
            var engine = EngineNetwork.Compile(c.Network, Composite.Uniform(Rules.Flat));
            var g = engine.Gradient([.. c.Input.Data.Select(v => (float)v)], engine.CreateWorkspace(), 0);
            // float32 backpropagation through ≤ 20 layers of ≤ 10³ terms: ~1e-6 of the largest gradient in practice; 1e-4 is stated.
            var scale = Math.Max(1, reference.Data.Select(Math.Abs).DefaultIfEmpty(0).Max());
            var worst = reference.Data.Zip(g).Select(p => Math.Abs(p.First - p.Second)).DefaultIfEmpty(0).Max();
            return (worst <= 1e-4 * scale).Label($"worst difference {worst} of scale {scale}");
        });
}

/// <summary>Conv → ReLU → Conv → ReLU → Flatten → Dense(3) cases built for one engine route, and the composites they are checked with.</summary>
internal static class TwoConvolutions
{
    public static ImmutableArray<double> Random(Random rng, int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (rng.NextDouble() * 2 - 1) * scale)];

    /// <summary>The network on an input of uniform [0, 1] values drawn from <paramref name="rng"/>, with the box [0, 1].</summary>
    public static DeepCase Case(Shape input, Conv2d conv1, Conv2d conv2, Dense dense, Random rng)
    {
        var network = new Network(input, [
            new Node("conv1", conv1, [Network.InputName]), new Node("relu1", new ReLU(), ["conv1"]),
            new Node("conv2", conv2, ["relu1"]), new Node("relu2", new ReLU(), ["conv2"]),
            new Node("flat", new Flatten(), ["relu2"]), new Node("dense", dense, ["flat"])]);
        return Uniform(network, rng);
    }

    /// <summary>The network on an input of uniform [0, high] values drawn from <paramref name="rng"/>, with the box [0, high].</summary>
    public static DeepCase Uniform(Network network, Random rng, double high = 1)
    {
        var input = network.InputShape;
        var x = Tensor.Own(input, [.. Enumerable.Range(0, input.Size).Select(_ => rng.NextDouble() * high)]);
        return new DeepCase(network, x, Tensor.Zeros(input), Tensor.Filled(input, high));
    }

    /// <summary>The engine's gradient of each of the three outputs equals the reference's within <paramref name="tolerance"/>
    /// of the largest gradient entry (or 1).</summary>
    public static void AssertGradientsMatch(DeepCase c, double tolerance)
    {
        var engine = EngineNetwork.Compile(c.Network, Composite.Uniform(Rules.Flat));
        for (var k = 0; k < 3; k++)
        {
            var reference = Relevance.Baselines.Gradient.Of(c.Network, c.Input, k);
            var g = engine.Gradient([.. c.Input.Data.Select(v => (float)v)], engine.CreateWorkspace(), k);
            var scale = Math.Max(1, reference.Data.Max(Math.Abs));
            Assert.All(reference.Data.Zip(g), p => Assert.True(Math.Abs(p.First - p.Second) <= tolerance * scale, $"output {k}: {p.First} vs {p.Second}"));
        }
    }

    public static Composite Named(string name, DeepCase c) => name switch
    {
        "z^B first" => Composite.TrainingFreeDtd(c.Box),
        "w² first" => Composite.TrainingFreeDtd(Rules.WSquare),
        "z everywhere" => Composite.Uniform(Rules.Z),
        "α2β1 everywhere" => Composite.Uniform(Rules.AlphaBeta(2, 1)),
        _ => throw new ArgumentException(name),
    };
}

/// <summary>Convolutions large enough that the engine streams col(x) from the image (over 4 MB of im2col matrix) match the reference too.</summary>
public class EngineStreamedConvolutionTests
{
    // 12×104×104 → 16 3×3 convolutions (K·P = 108·10816 ≈ 1.17·10⁶ entries of col(x), above the 2²⁰ at which the engine
    // streams) → ReLU → 8 5×5 stride-2 convolutions (K·P = 400·2704 ≈ 1.08·10⁶, streamed with a stride) → ReLU → Dense.
    private static DeepCase Case()
    {
        var rng = new Random(7);
        var conv1 = new Conv2d(12, 16, 3, 3, TwoConvolutions.Random(rng, 16 * 12 * 9, 0.3), TwoConvolutions.Random(rng, 16, 0.1), 1, 1);
        var conv2 = new Conv2d(16, 8, 5, 5, TwoConvolutions.Random(rng, 8 * 16 * 25, 0.1), TwoConvolutions.Random(rng, 8, 0.1), 2, 2);
        var dense = new Dense(8 * 52 * 52, 3, TwoConvolutions.Random(rng, 8 * 52 * 52 * 3, 0.01), TwoConvolutions.Random(rng, 3, 0.1));
        return TwoConvolutions.Case(Shape.Of(12, 104, 104), conv1, conv2, dense, rng);
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    [InlineData("α2β1 everywhere")]
    public void Streamed_convolutions_match_the_reference(string name)
    {
        var c = Case();
        var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(name, c), ExplainOptions.Default);
        Assert.True(ok, why);
    }
}

/// <summary>Convolutions the engine runs by Winograd's F(2×2, 3×3) (3×3, stride 1, ≥ 64 channels each side, ≥ 10×10
/// outputs): forward and backward products against the double-precision reference, on odd sizes (ragged tiles and bands)
/// with and without padding.</summary>
public class EngineWinogradTests
{
    // 64×12×37 → 64 3×3 (pad 1) → ReLU → 80 3×3 (pad 0: the backward product pads by 2) → ReLU → Dense(3): rows of 19
    // and 18 tiles, so whole vectors of 16 tiles and scalar tails. With `sparse` the dense layer reads 1 % of the last
    // feature map with weights spread over six decades, so the relevance coming down is mostly zero and uneven: Winograd
    // tiles then sum terms that cancel in real numbers, where rounding leaves values of the wrong sign (measured: hundreds
    // of negative entries in a backward product of such ratios before their sign is restored).
    // With `spots`, the input is zero but for 3 % of its pixels and conv1's biases are ≤ 0, so about half of conv2's
    // windows read nothing but zeros, next to windows that do.
    // With `lift`, conv2's biases are raised by that much, which switches most of its outputs on.
    private static DeepCase Case(bool sparse = false, bool spots = false, double lift = 0)
    {
        var rng = new Random(11);
        var bias1 = TwoConvolutions.Random(rng, 64, 0.05);
        if (spots) bias1 = [.. bias1.Select(b => -Math.Abs(b))];
        var conv1 = new Conv2d(64, 64, 3, 3, TwoConvolutions.Random(rng, 64 * 64 * 9, 0.08), bias1, 1, 1);
        var conv2 = new Conv2d(64, 80, 3, 3, TwoConvolutions.Random(rng, 80 * 64 * 9, 0.08), [.. TwoConvolutions.Random(rng, 80, 0.05).Select(b => b + lift)], 1, 0);
        var features = 80 * 10 * 35;
        var weights = TwoConvolutions.Random(rng, features * 3, 0.02);
        if (sparse) weights = [.. weights.Select(w => rng.NextDouble() < 0.01 ? Math.Abs(w) * Math.Pow(10, rng.Next(-3, 3)) : 0)];
        var dense = new Dense(features, 3, weights, TwoConvolutions.Random(rng, 3, 0.05));
        var c = TwoConvolutions.Case(Shape.Of(64, 12, 37), conv1, conv2, dense, rng);
        if (!spots) return c;
        var lit = Enumerable.Range(0, 12 * 37).Select(_ => rng.NextDouble() < 0.03).ToArray();
        return c with { Input = Tensor.Own(c.Input.Shape, [.. c.Input.Data.Select((v, i) => lit[i % (12 * 37)] ? v : 0)]) };
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("w² first")]
    [InlineData("α2β1 everywhere")]
    [InlineData("z everywhere")]
    public void Winograd_convolutions_match_the_reference(string name)
    {
        var c = Case();
        var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(name, c), ExplainOptions.Default);
        Assert.True(ok, why);
    }

    // conv2's z⁺ denominators come from the explanation's forward pass (a Winograd product, paired with W ∗ x) and are held
    // at or above Σ x w + bias term; with bias neurons or without them they still give the reference's relevance.
    [Theory]
    [InlineData(BiasTreatment.Neuron)]
    [InlineData(BiasTreatment.Ignore)]
    public void Paired_denominators_match_the_reference(BiasTreatment bias)
    {
        var c = Case();
        var options = new ExplainOptions(PoolingRedistribution.Proportional, bias);
        var (ok, why) = EngineParityTests.Agree(c, Composite.TrainingFreeDtd(c.Box), options);
        Assert.True(ok, why);
    }

    // w² above conv2 gives relevance to neurons the ReLU switched off, where the floor of paired denominators bounds
    // nothing: those denominators are summed exactly, and relevance stays non-negative and equal to the reference's.
    // lift 0: 12 115 of conv2's 28 000 outputs are off and take relevance, so the layer's denominators are made by a
    // product; lift 0.3: 66 are (measured), and those are summed one by one.
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Paired_denominators_under_relevance_of_inactive_neurons_are_summed_exactly(double lift)
    {
        var c = Case(spots: true, lift: lift);
        var composite = Composite.PerLayer(new Dictionary<string, Rule> { ["conv1"] = Rules.ZBox(0, 1), ["conv2"] = Rules.ZPlus, ["dense"] = Rules.WSquare });
        var (ok, why) = EngineParityTests.Agree(c, composite, ExplainOptions.Default);
        Assert.True(ok, why);
        var e = EngineNetwork.Compile(c.Network, composite).Explain([.. c.Input.Data.Select(v => (float)v)]);
        Assert.All(e.Heatmap.Data, v => Assert.True(v >= 0, $"heatmap value {v}"));
    }

    // A classifier of wide fully connected layers (AlexNet's and VGG's shape): z⁺ reads W and takes its positive part as it
    // goes, in the four-row vector kernels (≥ 16 outputs, a ragged last vector) and split across cores (the second layer
    // is above a million weights); relevance equals the reference's and stays ≥ 0.
    [Theory]
    [InlineData(BiasTreatment.Neuron)]
    [InlineData(BiasTreatment.Ignore)]
    public void Fully_connected_z_plus_from_W_itself_matches_the_reference(BiasTreatment bias)
    {
        var rng = new Random(11);
        Dense Layer(int inputs, int outputs) =>
            new(inputs, outputs, TwoConvolutions.Random(rng, inputs * outputs, 0.1), TwoConvolutions.Random(rng, outputs, 0.1));
        var network = new Network(Shape.Of(300), [
            new Node("fc1", Layer(300, 1100), [Network.InputName]), new Node("relu1", new ReLU(), ["fc1"]),
            new Node("fc2", Layer(1100, 1000), ["relu1"]), new Node("relu2", new ReLU(), ["fc2"]),
            new Node("fc3", Layer(1000, 37), ["relu2"])]);
        var c = TwoConvolutions.Uniform(network, rng);
        var options = new ExplainOptions(PoolingRedistribution.Proportional, bias);
        var (ok, why) = EngineParityTests.Agree(c, Composite.TrainingFreeDtd(c.Box), options);
        Assert.True(ok, why);
        var e = EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(c.Box), options).Explain([.. c.Input.Data.Select(v => (float)v)]);
        Assert.All(e.Heatmap.Data, v => Assert.True(v >= 0, $"heatmap value {v}"));
    }

    // Under global pooling the relevance reaching conv2 is ≥ 0, so αβ's two passes each meet one-signed ratios: their
    // Winograd backward products are clamped and weighted (α = 2, −β = −1) in the same pass.
    [Fact]
    public void Alpha_beta_under_global_pooling_matches_the_reference()
    {
        var rng = new Random(23);
        var conv1 = new Conv2d(64, 64, 3, 3, TwoConvolutions.Random(rng, 64 * 64 * 9, 0.08), TwoConvolutions.Random(rng, 64, 0.05), 1, 1);
        var conv2 = new Conv2d(64, 64, 3, 3, TwoConvolutions.Random(rng, 64 * 64 * 9, 0.08), TwoConvolutions.Random(rng, 64, 0.05), 1, 1);
        var network = new Network(Shape.Of(64, 12, 12), [
            new Node("conv1", conv1, [Network.InputName]), new Node("relu1", new ReLU(), ["conv1"]),
            new Node("conv2", conv2, ["relu1"]), new Node("relu2", new ReLU(), ["conv2"]), new Node("pool", new GlobalAvgPool(), ["relu2"])]);
        var c = TwoConvolutions.Uniform(network, rng);
        var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named("α2β1 everywhere", c), ExplainOptions.Default);
        Assert.True(ok, why);
    }

    // z^B and z⁺ relevance is ≥ 0 exactly, although the backward products are Winograd sums (their sign is restored).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Training_free_relevance_stays_exactly_non_negative(bool sparse)
    {
        var c = Case(sparse);
        var e = EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(c.Box)).Explain([.. c.Input.Data.Select(v => (float)v)]);
        Assert.True(e.Output > 0, $"f(x) = {e.Output}: the case should explain a positive output.");
        Assert.All(e.Consistency.Layers, l => Assert.True(l.Minimum >= 0, $"{l.Node}: minimum {l.Minimum}"));
        Assert.All(e.Heatmap.Data, v => Assert.True(v >= 0, $"heatmap value {v}"));
    }
}

/// <summary>z⁺ convolutions whose denominators come out of the explanation's forward pass as the lower half of one product
/// with W and W⁺ stacked (packed products that are neither Winograd nor streamed), and one whose M is not a multiple of
/// 8, which is not stacked.</summary>
public class EngineStackedDenominatorTests
{
    // 8×20×20 → 16 3×3 (pad 1) → ReLU → M k×k (pad k/2; k = 3: K = 144, P = 400; k = 1: K = 16, the unpacked kernel's
    // stacked product) → ReLU → Dense(3).
    private static DeepCase Case(int m, int kernel = 3)
    {
        var rng = new Random(13);
        var conv1 = new Conv2d(8, 16, 3, 3, TwoConvolutions.Random(rng, 16 * 8 * 9, 0.3), TwoConvolutions.Random(rng, 16, 0.1), 1, 1);
        var conv2 = new Conv2d(16, m, kernel, kernel, TwoConvolutions.Random(rng, m * 16 * kernel * kernel, 0.2), TwoConvolutions.Random(rng, m, 0.1), 1, kernel / 2);
        var dense = new Dense(m * 400, 3, TwoConvolutions.Random(rng, m * 400 * 3, 0.05), TwoConvolutions.Random(rng, 3, 0.1));
        return TwoConvolutions.Case(Shape.Of(8, 20, 20), conv1, conv2, dense, rng);
    }

    [Theory]
    [InlineData(24, BiasTreatment.Neuron)]
    [InlineData(24, BiasTreatment.Ignore)]
    [InlineData(20, BiasTreatment.Neuron)]
    [InlineData(20, BiasTreatment.Neuron, 1)]
    public void Stacked_denominators_match_the_reference(int m, BiasTreatment bias, int kernel = 3)
    {
        var c = Case(m, kernel);
        var (ok, why) = EngineParityTests.Agree(c, Composite.TrainingFreeDtd(c.Box), new ExplainOptions(PoolingRedistribution.Proportional, bias));
        Assert.True(ok, why);
    }
}

/// <summary>A z^B first convolution on an RGB image sends its ratios back through W⁺ and W⁻ in one product, as a convolution
/// with twice the input channels scattered onto two images: through the unpacked kernel (M ≤ 64), the packed one (M > 64)
/// and the streamed one (2K·P ≥ 2²⁰), each with a stride of 2 and padding.</summary>
public class EngineBoxPairTests
{
    // 3×h×h → M k×k stride-2 convolutions (pad k/2) → ReLU → Dense(3).
    [Theory]
    [InlineData(16, 5, 31)]
    [InlineData(72, 5, 31)]
    [InlineData(16, 7, 150)]
    public void Paired_box_products_match_the_reference(int m, int kernel, int size)
    {
        var rng = new Random(19);
        var conv = new Conv2d(3, m, kernel, kernel, TwoConvolutions.Random(rng, m * 3 * kernel * kernel, 0.3), TwoConvolutions.Random(rng, m, 0.1), 2, kernel / 2);
        var side = (size + 2 * (kernel / 2) - kernel) / 2 + 1;
        var dense = new Dense(m * side * side, 3, TwoConvolutions.Random(rng, m * side * side * 3, 0.05), TwoConvolutions.Random(rng, 3, 0.1));
        var network = new Network(Shape.Of(3, size, size), [
            new Node("conv", conv, [Network.InputName]), new Node("relu", new ReLU(), ["conv"]),
            new Node("flat", new Flatten(), ["relu"]), new Node("dense", dense, ["flat"])]);
        var c = TwoConvolutions.Uniform(network, rng);
        var (ok, why) = EngineParityTests.Agree(c, Composite.TrainingFreeDtd(c.Box), ExplainOptions.Default);
        Assert.True(ok, why);
        var e = EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(c.Box)).Explain([.. c.Input.Data.Select(v => (float)v)]);
        Assert.All(e.Heatmap.Data, v => Assert.True(v >= 0, $"heatmap value {v}"));
    }
}

/// <summary>Local response normalisation's d^−β: two square roots for the usual β = 3/4 (the random graphs' value), a
/// logarithm and an exponential for any other; both against the reference's forward pass and explanation.</summary>
public class EngineNormalisationTests
{
    [Theory]
    [InlineData(0.75)]
    [InlineData(0.6)]
    public void Local_response_normalisation_matches_the_reference(double beta)
    {
        var rng = new Random(17);
        var conv = new Conv2d(6, 8, 3, 3, TwoConvolutions.Random(rng, 8 * 6 * 9, 0.4), TwoConvolutions.Random(rng, 8, 0.1), 1, 1);
        var dense = new Dense(8 * 25, 3, TwoConvolutions.Random(rng, 8 * 25 * 3, 0.1), TwoConvolutions.Random(rng, 3, 0.1));
        var network = new Network(Shape.Of(6, 5, 5), [
            new Node("conv", conv, [Network.InputName]), new Node("relu", new ReLU(), ["conv"]),
            new Node("lrn", new LocalResponseNorm(3, alpha: 0.4, beta: beta, bias: 1.5), ["relu"]),
            new Node("flat", new Flatten(), ["lrn"]), new Node("dense", dense, ["flat"])]);
        var c = TwoConvolutions.Uniform(network, rng, high: 3);
        var (ok, why) = EngineParityTests.Agree(c, Composite.TrainingFreeDtd(c.Box), ExplainOptions.Default);
        Assert.True(ok, why);
    }
}

/// <summary>A convolution under a few class maps (SqueezeNet's conv10 under global pooling) gives relevance to one channel
/// of 32: its denominators and backward products are made for that channel alone, for every rule.</summary>
public class EngineClassMapTests
{
    [Theory]
    [InlineData("z^B first")]
    [InlineData("z everywhere")]
    [InlineData("α2β1 everywhere")]
    public void Class_maps_match_the_reference(string name)
    {
        var rng = new Random(19);
        var input = Shape.Of(8, 9, 9);
        var conv = new Conv2d(8, 16, 3, 3, TwoConvolutions.Random(rng, 16 * 8 * 9, 0.3), TwoConvolutions.Random(rng, 16, 0.1), 1, 1);
        var classes = new Conv2d(16, 32, 3, 3, TwoConvolutions.Random(rng, 32 * 16 * 9, 0.2), TwoConvolutions.Random(rng, 32, 0.1), 1, 1);
        var network = new Network(input, [
            new Node("conv", conv, [Network.InputName]), new Node("relu", new ReLU(), ["conv"]),
            new Node("classes", classes, ["relu"]), new Node("relu2", new ReLU(), ["classes"]), new Node("pool", new GlobalAvgPool(), ["relu2"])]);
        var c = TwoConvolutions.Uniform(network, rng);
        var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(name, c), ExplainOptions.Default);
        Assert.True(ok, why);
    }
}
