using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>Inference-time batch normalisation over the first (channel) axis.</summary>
/// <remarks>It has no relevance rule of its own: <see cref="Canonizers.Canonize"/> folds it into the Dense or Conv2d layer
/// before it, or makes it a <see cref="ChannelAffine"/> where there is none.</remarks>
public sealed record BatchNorm : Layer
{
    /// <summary>Creates a batch normalisation y = γ (x − μ) / √(σ² + ε) + β per channel.</summary>
    public BatchNorm(ImmutableArray<double> scale, ImmutableArray<double> shift, ImmutableArray<double> mean, ImmutableArray<double> variance, double epsilon = 1e-5)
    {
        if (scale.IsDefaultOrEmpty) throw new ArgumentException("BatchNorm: the scale is empty.");
        var n = scale.Length;
        Scale = Require(scale, n, "scales", "BatchNorm");
        Shift = Require(shift, n, "shifts", "BatchNorm");
        Mean = Require(mean, n, "means", "BatchNorm");
        Variance = Require(variance, n, "variances", "BatchNorm");
        foreach (var v in variance)
            if (v < 0) throw new ArgumentException($"BatchNorm: variances must be non-negative, got {v}.");
        Epsilon = epsilon >= 0 && double.IsFinite(epsilon) ? epsilon : throw new ArgumentException($"BatchNorm: epsilon must be finite and ≥ 0, got {epsilon}.");
    }

    /// <summary>γ per channel.</summary>
    public ImmutableArray<double> Scale { get; }
    /// <summary>β per channel.</summary>
    public ImmutableArray<double> Shift { get; }
    /// <summary>Running mean μ per channel.</summary>
    public ImmutableArray<double> Mean { get; }
    /// <summary>Running variance σ² per channel.</summary>
    public ImmutableArray<double> Variance { get; }
    /// <summary>ε added to the variance.</summary>
    public double Epsilon { get; }
    /// <summary>The number of channels.</summary>
    public int Channels => Scale.Length;

    /// <summary>The per-channel multiplier γ / √(σ² + ε).</summary>
    public double Multiplier(int c) => Scale[c] / Math.Sqrt(Variance[c] + Epsilon);

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => inputs[0][0] == Channels
        ? inputs[0]
        : throw new ShapeMismatchException(node, $"BatchNorm has {Channels} channels but its input {inputs[0]} has {inputs[0][0]}.");

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0];
        var plane = x.Size / Channels;
        return Tensor.Own(x.Shape, [.. x.Data.Select((v, i) => (v - Mean[i / plane]) * Multiplier(i / plane) + Shift[i / plane])]);
    }

    internal override string? WithoutRelevance => "BatchNorm has no relevance rule; canonize the network first (Canonizers.Canonize folds it into the preceding layer or makes it a ChannelAffine).";

    /// <summary>The same function as a <see cref="ChannelAffine"/>: a = γ / √(σ² + ε), b = β − a μ.</summary>
    public ChannelAffine ToAffine() =>
        new([.. Enumerable.Range(0, Channels).Select(Multiplier)], [.. Enumerable.Range(0, Channels).Select(c => Shift[c] - Multiplier(c) * Mean[c])]);

    internal override Redistribution Redistribute(RelevanceStep step) => throw new UncoveredLayerException(step.Node, WithoutRelevance!);

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper)
    {
        var plane = inputs[0].Size / Channels;
        return [[.. upper.Select((v, i) => v * Multiplier(i / plane))]];
    }
}

/// <summary>Local response normalisation across channels (AlexNet, GoogLeNet):
/// y_c = x_c / (k + α/n · Σ_{c' near c} x_c'²)^β over a window of n channels, as ONNX defines it.</summary>
/// <remarks>The relevance pass bypasses it (R passes through unchanged), as the paper does for its ILSVRC networks (docs/rules.md §5).</remarks>
public sealed record LocalResponseNorm : Layer
{
    /// <summary>Creates the layer; the window size must be positive, α, β and k finite, k &gt; 0.</summary>
    public LocalResponseNorm(int size, double alpha = 1e-4, double beta = 0.75, double bias = 1)
    {
        Size = Positive(size, "window size", "LocalResponseNorm");
        if (!double.IsFinite(alpha) || !double.IsFinite(beta) || !(bias > 0) || !double.IsFinite(bias))
            throw new ArgumentException($"LocalResponseNorm: α, β must be finite and k positive, got α = {alpha}, β = {beta}, k = {bias}.");
        (Alpha, Beta, Bias) = (alpha, beta, bias);
    }

    /// <summary>n, the number of channels in the window.</summary>
    public int Size { get; }
    /// <summary>α.</summary>
    public double Alpha { get; }
    /// <summary>β.</summary>
    public double Beta { get; }
    /// <summary>k.</summary>
    public double Bias { get; }

    /// <summary>The channels [first, last] in the window of channel c among <paramref name="channels"/>.</summary>
    public (int First, int Last) Window(int c, int channels) => (Math.Max(0, c - (Size - 1) / 2), Math.Min(channels - 1, c + Size / 2));

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => Image(node, inputs[0]);

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0];
        var d = Base(x);
        return Tensor.Own(x.Shape, [.. x.Data.Select((v, i) => v * Math.Pow(d[i], -Beta))]);
    }

    internal override Redistribution Redistribute(RelevanceStep step) => Redistribution.PassThrough(step.Upper);

    internal override bool PassesRelevanceThrough => true;

    // g_e = g_e d_e^−β − (2αβ/n) x_e Σ_{c : e ∈ window(c)} g_c x_c d_c^(−β−1)
    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper)
    {
        var x = inputs[0];
        var d = Base(x);
        var (channels, plane) = (x.Shape[0], x.Shape[1] * x.Shape[2]);
        var lower = new double[x.Size];
        for (var c = 0; c < channels; c++)
        {
            var (first, last) = Window(c, channels);
            for (var p = 0; p < plane; p++)
            {
                var i = c * plane + p;
                lower[i] += upper[i] * Math.Pow(d[i], -Beta);
                var common = 2 * Alpha * Beta / Size * upper[i] * x[i] * Math.Pow(d[i], -Beta - 1);
                for (var q = first; q <= last; q++) lower[q * plane + p] -= common * x[q * plane + p];
            }
        }
        return [lower];
    }

    // Its divisor k + α/n Σ x² is ≥ k > 0 unless α < 0.
    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative && Alpha >= 0;

    // The denominator base d_c = k + α/n · Σ_{c' in window} x_c'² at every element.
    private double[] Base(Tensor x)
    {
        var (channels, plane) = (x.Shape[0], x.Shape[1] * x.Shape[2]);
        var d = new double[x.Size];
        for (var c = 0; c < channels; c++)
        {
            var (first, last) = Window(c, channels);
            for (var p = 0; p < plane; p++)
            {
                var s = 0.0;
                for (var q = first; q <= last; q++) s += x[q * plane + p] * x[q * plane + p];
                d[c * plane + p] = Bias + Alpha / Size * s;
            }
        }
        return d;
    }
}

/// <summary>y = a_c x + b_c per channel (the first axis), or per element when it holds one scale per element: a batch norm
/// that follows no Dense or Conv2d layer (DenseNet's BN → ReLU → Conv), as <see cref="Canonizers.Canonize"/> rewrites it; a
/// constant added element by element (a transformer's position embedding); a constant (scale 0: a class token).</summary>
/// <remarks>Each output is a neuron with one input and a bias, explained by the z-rule: R_x = a x / y · R_y, and the
/// bias's share b / y · R_y reported, so the layer conserves; with <see cref="BiasTreatment.Ignore"/> R_x = R_y (docs/rules.md §9).</remarks>
public sealed record ChannelAffine : Layer
{
    /// <summary>Creates the layer from one scale and one shift per channel.</summary>
    public ChannelAffine(ParameterArray scale, ParameterArray shift)
    {
        if (scale is null || scale.Length == 0) throw new ArgumentException("ChannelAffine: the scale is empty.");
        Scale = Require(scale, scale.Length, "scales", "ChannelAffine");
        Shift = Require(shift, scale.Length, "shifts", "ChannelAffine");
    }

    /// <summary>a per channel.</summary>
    public ParameterArray Scale { get; }
    /// <summary>b per channel.</summary>
    public ParameterArray Shift { get; }
    /// <summary>The number of channels (of elements, when per element).</summary>
    public int Channels => Scale.Length;

    /// <summary>Whether the shift is an embedding added to the input (a text model's position or token-type embedding): a
    /// constant of the model that takes its share as bias relevance even beside the input, not a normalisation of the input's units.</summary>
    public bool AddsEmbedding { get; init; }

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => inputs[0][0] == Channels || inputs[0].Size == Channels
        ? inputs[0]
        : throw new ShapeMismatchException(node, $"ChannelAffine has {Channels} channels but its input {inputs[0]} has {inputs[0][0]} (and {inputs[0].Size} elements).");

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0];
        var plane = x.Size / Channels;
        return Tensor.Own(x.Shape, [.. x.Data.Select((v, i) => Scale[i / plane] * v + Shift[i / plane])]);
    }

    internal override Redistribution Redistribute(RelevanceStep step)
    {
        // Normalisation of the input itself is a change of the input's units, not a neuron: the pixels keep its relevance.
        if (step.OnInputSide && !AddsEmbedding) return Redistribution.PassThrough(step.Upper) with { How = InputNormalisation };
        var (x, y, upper) = (step.X, step.Output, step.Upper);
        var plane = x.Size / Channels;
        var neuron = step.Options.Bias != BiasTreatment.Ignore;
        var lower = new double[x.Size];
        var bias = 0.0;
        for (var i = 0; i < lower.Length; i++)
        {
            var ax = Scale[i / plane] * x[i];
            var ratio = LinearRules.SafeDivide(upper[i], neuron ? y[i] : ax);
            lower[i] = ax * ratio;
            if (neuron) bias += Shift[i / plane] * ratio;
        }
        return new([lower], bias, "z (one input)");
    }

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper)
    {
        var plane = inputs[0].Size / Channels;
        return [[.. upper.Select((g, i) => g * Scale[i / plane])]];
    }

    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative && Scale.All(a => a >= 0) && Shift.All(b => b >= 0);

    internal override bool MapsValuesMonotonically => true;

    /// <summary>How the layer passes relevance on the input side.</summary>
    internal const string InputNormalisation = "input normalisation, passed through";
}

/// <summary>Layer normalisation over the last axis, y = γ ⊙ (x − μ) / s + β with s = √(σ² + ε), for each run of D values
/// (a token's features; a pixel's channels after a channels-last transpose), as ONNX's LayerNormalization with axis −1.</summary>
/// <remarks>Relevance goes through its linearisation at the input with the normalising scale s held constant, as AttnLRP and
/// CP-LRP do: y − β = W x with W = diag(γ)(I − 11ᵀ/D)/s, redistributed by the ε-rule (ε = <see cref="RelevanceEpsilon"/>),
/// R_j = x_j Σ_i W_ij R_i / (y_i ± ε) = x_j (t_j − mean t), t_i = γ_i R_i / (s (y_i ± ε)). What β takes is the layer's
/// bias relevance; what ε absorbs shows as its conservation error (docs/rules.md §5).</remarks>
public sealed record LayerNorm : Layer
{
    /// <summary>The ε-rule's stabiliser in the relevance pass.</summary>
    public const double RelevanceEpsilon = 1e-6;

    /// <summary>Creates the layer over D = <paramref name="scale"/>.Length features; ε must be finite and ≥ 0.</summary>
    public LayerNorm(ImmutableArray<double> scale, ImmutableArray<double> shift, double epsilon = 1e-5)
    {
        if (scale.IsDefaultOrEmpty) throw new ArgumentException("LayerNorm: the scale is empty.");
        Scale = Require(scale, scale.Length, "scales", "LayerNorm");
        Shift = Require(shift, scale.Length, "shifts", "LayerNorm");
        Epsilon = epsilon >= 0 && double.IsFinite(epsilon) ? epsilon : throw new ArgumentException($"LayerNorm: epsilon must be finite and ≥ 0, got {epsilon}.");
    }

    /// <summary>γ per feature.</summary>
    public ImmutableArray<double> Scale { get; }
    /// <summary>β per feature.</summary>
    public ImmutableArray<double> Shift { get; }
    /// <summary>ε added to the variance.</summary>
    public double Epsilon { get; }
    /// <summary>D, the number of features normalised together (the input's last axis).</summary>
    public int Features => Scale.Length;

    /// <summary>How the relevance pass treats it, as the consistency report names it.</summary>
    internal const string RedistributionName = "ε, scale held constant";

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => inputs[0][inputs[0].Rank - 1] == Features
        ? inputs[0]
        : throw new ShapeMismatchException(node, $"LayerNorm normalises {Features} features, but its input {inputs[0]} has {inputs[0][inputs[0].Rank - 1]} on its last axis.");

    /// <summary>The mean and the scale s = √(σ² + ε) of one run of D values, summed in double precision (the reference's
    /// values, or the engine's float32 ones).</summary>
    internal (double Mean, double Scale) Statistics<T>(ReadOnlySpan<T> x) where T : System.Numerics.INumberBase<T>
    {
        var mean = 0.0;
        foreach (var v in x) mean += double.CreateTruncating(v);
        mean /= x.Length;
        var variance = 0.0;
        foreach (var v in x) variance += (double.CreateTruncating(v) - mean) * (double.CreateTruncating(v) - mean);
        return (mean, Math.Sqrt(variance / x.Length + Epsilon));
    }

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0].Data.AsSpan();
        var y = new double[x.Length];
        for (var at = 0; at < x.Length; at += Features)
        {
            var (mean, s) = Statistics(x.Slice(at, Features));
            for (var i = 0; i < Features; i++) y[at + i] = Scale[i] * (x[at + i] - mean) / s + Shift[i];
        }
        return Tensor.Own(output, y);
    }

    internal override Redistribution Redistribute(RelevanceStep step)
    {
        var x = step.X.Data.AsSpan();
        var y = step.Output.Data.AsSpan();
        var upper = step.Upper;
        var lower = new double[x.Length];
        var t = new double[Features];
        var bias = 0.0;
        for (var at = 0; at < x.Length; at += Features)
        {
            var (_, s) = Statistics(x.Slice(at, Features));
            for (var i = 0; i < Features; i++)
            {
                var z = y[at + i];
                var ratio = upper[at + i] / (z + (z >= 0 ? RelevanceEpsilon : -RelevanceEpsilon));
                t[i] = Scale[i] * ratio / s;
                bias += Shift[i] * ratio;
            }
            var mean = t.Average();
            for (var j = 0; j < Features; j++) lower[at + j] = x[at + j] * (t[j] - mean);
        }
        // β's share is bias relevance; what ε absorbs is left as the layer's conservation error, for the report to show.
        return new([lower], bias, RedistributionName);
    }

    // ∂y/∂x with s depending on x: g_x = (g′ − mean g′ − x̂ mean(g′ ⊙ x̂)) / s, with g′ = γ ⊙ g and x̂ = (x − μ)/s.
    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper)
    {
        var x = inputs[0].Data.AsSpan();
        var lower = new double[x.Length];
        var (g, hat) = (new double[Features], new double[Features]);
        for (var at = 0; at < x.Length; at += Features)
        {
            var (mean, s) = Statistics(x.Slice(at, Features));
            for (var i = 0; i < Features; i++) (g[i], hat[i]) = (Scale[i] * upper[at + i], (x[at + i] - mean) / s);
            var (gMean, ghMean) = (g.Average(), g.Zip(hat, (a, b) => a * b).Average());
            for (var i = 0; i < Features; i++) lower[at + i] = (g[i] - gMean - hat[i] * ghMean) / s;
        }
        return [lower];
    }
}

/// <summary>Softmax over the last axis, s_i = e^(x_i) / Σ_j e^(x_j) for each run of D values (attention weights over keys).</summary>
/// <remarks>Relevance follows AttnLRP's deep Taylor decomposition at x (Achtibat et al. 2024, Prop. 3.1):
/// R_j = x_j (R_j − s_j Σ_i R_i) per run. It is not conservative: what the expansion's bias term keeps,
/// Σ R_out − Σ R_in, is the layer's bias relevance, shown in the consistency report.</remarks>
public sealed record Softmax : Layer
{
    /// <summary>How the relevance pass treats it, as the consistency report names it.</summary>
    internal const string RedistributionName = "deep Taylor at x (AttnLRP)";

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => inputs[0];

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0].Data.AsSpan();
        var d = output[output.Rank - 1];
        var y = new double[x.Length];
        for (var at = 0; at < x.Length; at += d)
        {
            var run = x.Slice(at, d);
            var max = double.NegativeInfinity;
            foreach (var v in run) max = Math.Max(max, v);
            var sum = 0.0;
            for (var i = 0; i < d; i++) sum += y[at + i] = Math.Exp(run[i] - max);
            for (var i = 0; i < d; i++) y[at + i] /= sum;
        }
        return Tensor.Own(output, y);
    }

    internal override Redistribution Redistribute(RelevanceStep step)
    {
        var (x, s, upper) = (step.X.Data, step.Output.Data, step.Upper);
        var d = step.X.Shape[step.X.Shape.Rank - 1];
        var lower = new double[x.Length];
        for (var at = 0; at < x.Length; at += d)
        {
            var total = 0.0;
            for (var i = 0; i < d; i++) total += upper[at + i];
            for (var j = 0; j < d; j++) lower[at + j] = x[at + j] * (upper[at + j] - s[at + j] * total);
        }
        return new([lower], upper.Sum() - lower.Sum(), RedistributionName);
    }

    // ∂s_i/∂x_j = s_i (δ_ij − s_j): g_x = s ⊙ (g − Σ g ⊙ s) per run.
    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper)
    {
        var x = inputs[0];
        var s = Forward(inputs, x.Shape).Data;
        var d = x.Shape[x.Shape.Rank - 1];
        var lower = new double[x.Size];
        for (var at = 0; at < x.Size; at += d)
        {
            var dot = 0.0;
            for (var i = 0; i < d; i++) dot += upper[at + i] * s[at + i];
            for (var i = 0; i < d; i++) lower[at + i] = s[at + i] * (upper[at + i] - dot);
        }
        return [lower];
    }

    internal override bool OutputNonNegative(bool inputsNonNegative) => true;
}

/// <summary>The product of two computed tensors, C = A · B over their last two axes (A [.., T, K], B [.., K, N], the same
/// leading axes): attention's scores Q·Kᵀ and its output A·V.</summary>
/// <remarks>Relevance follows AttnLRP (Achtibat et al. 2024, Prop. 3.3): the ε-rule with each factor taking half,
/// S = R ⊘ (2C ± ε), R_A = (S Bᵀ) ⊙ A, R_B = (Aᵀ S) ⊙ B; what ε absorbs shows as the layer's conservation error.</remarks>
public sealed record MatMul : Layer
{
    /// <summary>A product of two computed tensors; <paramref name="attentionInput"/> is the factor that holds attention weights
    /// (a Softmax's output: 0 in A·V), or −1.</summary>
    public MatMul(int attentionInput = -1) =>
        AttentionInput = attentionInput is >= -1 and <= 1 ? attentionInput : throw new ArgumentOutOfRangeException(nameof(attentionInput), attentionInput, "MatMul: the attention factor is input 0, input 1 or none (−1).");

    /// <summary>Which factor holds attention weights, which CP-LRP holds constant (<see cref="AttentionRedistribution.ValuesOnly"/>), or −1.</summary>
    public int AttentionInput { get; }

    /// <summary>The ε-rule's stabiliser in the relevance pass.</summary>
    public const double RelevanceEpsilon = 1e-6;

    /// <summary>How the relevance pass treats it, as the consistency report names it.</summary>
    internal const string RedistributionName = "ε, half to each factor (AttnLRP)";

    /// <summary>How the relevance pass treats it when the attention weights are held constant.</summary>
    internal const string ValuesOnlyName = "ε, attention held constant (CP-LRP)";

    /// <summary>The factor held constant under these options, or −1 when both take half.</summary>
    internal int HeldConstant(ExplainOptions options) => options.Attention == AttentionRedistribution.ValuesOnly ? AttentionInput : -1;

    /// <summary>The share of R ⊘ C each factor's redistribution starts from: ½ each, or all of it for the factor not held.</summary>
    internal static double Share(int held) => held < 0 ? 0.5 : 1;

    internal override bool Merges => true;

    /// <summary>The leading count, T, K and N of inputs with these shapes.</summary>
    internal static (int Heads, int T, int K, int N) Dimensions(Shape a, Shape b) =>
        (a.Size / (a[a.Rank - 2] * a[a.Rank - 1]), a[a.Rank - 2], a[a.Rank - 1], b[b.Rank - 1]);

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs)
    {
        if (inputs.Length != 2) throw new ShapeMismatchException(node, $"MatMul multiplies two tensors, got {inputs.Length}.");
        var (a, b) = (inputs[0], inputs[1]);
        if (a.Rank < 2 || a.Rank != b.Rank || a[a.Rank - 1] != b[b.Rank - 2] || !a.Dims.Take(a.Rank - 2).SequenceEqual(b.Dims.Take(b.Rank - 2)))
            throw new ShapeMismatchException(node, $"MatMul needs [.., T, K] · [.., K, N] with the same leading axes, got {a} · {b}.");
        return new Shape([.. a.Dims.Take(a.Rank - 1), b[b.Rank - 1]]);
    }

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var (a, b) = (inputs[0], inputs[1]);
        var (heads, t, k, n) = Dimensions(a.Shape, b.Shape);
        var c = new double[heads * t * n];
        for (var h = 0; h < heads; h++)
            for (var i = 0; i < t; i++)
                for (var j = 0; j < n; j++)
                {
                    var sum = 0.0;
                    for (var q = 0; q < k; q++) sum += a[(h * t + i) * k + q] * b[(h * k + q) * n + j];
                    c[(h * t + i) * n + j] = sum;
                }
        return Tensor.Own(output, c);
    }

    internal override Redistribution Redistribute(RelevanceStep step)
    {
        var (a, b, c) = (step.Inputs[0], step.Inputs[1], step.Output);
        var held = HeldConstant(step.Options);
        var share = Share(held);
        var s = step.Upper.Select((r, i) => r / (c[i] / share + (c[i] >= 0 ? RelevanceEpsilon : -RelevanceEpsilon))).ToArray();
        var (ga, gb) = Gradients(a, b, s);
        double[] Of(int m, double[] g, Tensor x) => m == held ? new double[x.Size] : [.. g.Select((v, i) => v * x[i])];
        return new([Of(0, ga, a), Of(1, gb, b)], 0, held < 0 ? RedistributionName : ValuesOnlyName);
    }

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper)
    {
        var (ga, gb) = Gradients(inputs[0], inputs[1], upper);
        return [ga, gb];
    }

    // G Bᵀ and Aᵀ G for a G shaped like C.
    private static (double[] A, double[] B) Gradients(Tensor a, Tensor b, double[] g)
    {
        var (heads, t, k, n) = Dimensions(a.Shape, b.Shape);
        var (ga, gb) = (new double[a.Size], new double[b.Size]);
        for (var h = 0; h < heads; h++)
            for (var i = 0; i < t; i++)
                for (var j = 0; j < n; j++)
                {
                    var gij = g[(h * t + i) * n + j];
                    for (var q = 0; q < k; q++)
                    {
                        ga[(h * t + i) * k + q] += gij * b[(h * k + q) * n + j];
                        gb[(h * k + q) * n + j] += gij * a[(h * t + i) * k + q];
                    }
                }
        return (ga, gb);
    }
}
