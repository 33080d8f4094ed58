using System.Collections.Immutable;
using System.Numerics.Tensors;
using Relevance.Reference;

namespace Relevance;

/// <summary>An element-wise activation y_i = σ(z_i) in the feature path; relevance passes through it unchanged, as through a ReLU (docs/rules.md §5).</summary>
/// <remarks>A kind is its function, its derivative and whether its outputs are ≥ 0; the forward pass, gradient and relevance
/// pass of the reference and the engine all follow from these.</remarks>
public abstract record Activation : Layer
{
    private protected Activation() { }

    /// <summary>σ(z).</summary>
    internal abstract double Apply(double z);

    /// <summary>σ′(z).</summary>
    internal abstract double Derivative(double z);

    /// <summary>Whether σ(z) ≥ 0 for every z.</summary>
    internal virtual bool NonNegative => false;

    /// <summary>σ over a float32 span (the engine's forward pass).</summary>
    internal virtual void Apply(ReadOnlySpan<float> z, Span<float> y)
    {
        for (var i = 0; i < y.Length; i++) y[i] = (float)Apply((double)z[i]);
    }

    /// <summary>σ′(z) · g over float32 spans (the engine's gradient).</summary>
    internal virtual void Backpropagate(ReadOnlySpan<float> z, ReadOnlySpan<float> upper, Span<float> lower)
    {
        for (var i = 0; i < lower.Length; i++) lower[i] = (float)(Derivative(z[i]) * upper[i]);
    }

    internal sealed override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => inputs[0];

    internal sealed override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output) => Map(inputs[0], Apply);

    internal sealed override Redistribution Redistribute(RelevanceStep step) => Redistribution.PassThrough(step.Upper);

    internal sealed override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) =>
        [[.. upper.Select((g, i) => g * Derivative(inputs[0][i]))]];

    internal sealed override bool OutputNonNegative(bool inputsNonNegative) => NonNegative;

    internal sealed override bool PassesRelevanceThrough => true;

    internal override bool MapsValuesMonotonically => true;
}

/// <summary>The rectifier x_j = max(0, z_j).</summary>
public sealed record ReLU : Activation
{
    internal override double Apply(double z) => Math.Max(0, z);
    internal override double Derivative(double z) => z > 0 ? 1 : 0;
    internal override bool NonNegative => true;
    internal override void Apply(ReadOnlySpan<float> z, Span<float> y) => TensorPrimitives.Max(z, 0f, y);
}

/// <summary>z clipped to [Min, Max] (ONNX Clip; ReLU6 is Clip(0, 6)).</summary>
public sealed record Clip : Activation
{
    /// <summary>Creates the clip; the bounds may be infinite (no bound on that side) but not NaN, and Min ≤ Max.</summary>
    public Clip(double min, double max)
    {
        if (double.IsNaN(min) || double.IsNaN(max) || min > max)
            throw new ArgumentException($"Clip: the bounds must satisfy min ≤ max, got [{min}, {max}].");
        (Min, Max) = (min, max);
    }

    /// <summary>The lower bound.</summary>
    public double Min { get; }
    /// <summary>The upper bound.</summary>
    public double Max { get; }

    internal override double Apply(double z) => Math.Min(Math.Max(z, Min), Max);
    internal override double Derivative(double z) => z > Min && z < Max ? 1 : 0;
    internal override bool NonNegative => Min >= 0;

    internal override void Apply(ReadOnlySpan<float> z, Span<float> y)
    {
        TensorPrimitives.Max(z, (float)Min, y);
        TensorPrimitives.Min(y, (float)Max, y);
    }
}

/// <summary>The logistic function σ(z) = 1 / (1 + e^−z).</summary>
public sealed record Sigmoid : Activation
{
    internal override double Apply(double z) => 1 / (1 + Math.Exp(-z));
    internal override double Derivative(double z) => Apply(z) * (1 - Apply(z));
    internal override bool NonNegative => true;
    internal override void Apply(ReadOnlySpan<float> z, Span<float> y) => TensorPrimitives.Sigmoid(z, y);
}

/// <summary>The piecewise-linear sigmoid max(0, min(1, α z + β)) (ONNX HardSigmoid; α = 0.2, β = 0.5 by default).</summary>
public sealed record HardSigmoid : Activation
{
    /// <summary>Creates the layer; α and β must be finite.</summary>
    public HardSigmoid(double alpha = 0.2, double beta = 0.5)
    {
        if (!double.IsFinite(alpha) || !double.IsFinite(beta)) throw new ArgumentException($"HardSigmoid: α and β must be finite, got {alpha} and {beta}.");
        (Alpha, Beta) = (alpha, beta);
    }

    /// <summary>α, the slope.</summary>
    public double Alpha { get; }
    /// <summary>β, the value at 0.</summary>
    public double Beta { get; }

    internal override double Apply(double z) => Math.Max(0, Math.Min(1, Alpha * z + Beta));
    internal override double Derivative(double z) => Alpha * z + Beta is > 0 and < 1 ? Alpha : 0;
    internal override bool NonNegative => true;
}

/// <summary>z · max(0, min(1, z/6 + 1/2)) (ONNX HardSwish, MobileNet v3).</summary>
public sealed record HardSwish : Activation
{
    internal override double Apply(double z) => z * Math.Max(0, Math.Min(1, z / 6 + 0.5));
    internal override double Derivative(double z) => z <= -3 ? 0 : z >= 3 ? 1 : z / 3 + 0.5;
    internal override bool MapsValuesMonotonically => false;
}

/// <summary>z · σ(z), the sigmoid-weighted linear unit (SiLU, Swish; EfficientNet), which PyTorch exports as Mul(z, Sigmoid(z)).</summary>
public sealed record SiLU : Activation
{
    internal override double Apply(double z) => z / (1 + Math.Exp(-z));
    internal override double Derivative(double z)
    {
        var s = 1 / (1 + Math.Exp(-z));
        return s * (1 + z * (1 - s));
    }
    internal override bool MapsValuesMonotonically => false;
}

/// <summary>The Gaussian error linear unit z · Φ(z) = ½ z (1 + erf(z/√2)), or with <see cref="TanhApproximation"/>
/// ½ z (1 + tanh(√(2/π)(z + 0.044715 z³))) (transformers' feed-forward blocks, ConvNeXt); relevance passes through it, as
/// AttnLRP's identity rule for element-wise non-linearities has it.</summary>
public sealed record Gelu(bool TanhApproximation = false) : Activation
{
    private const double TanhScale = 0.7978845608028654; // √(2/π)

    internal override double Apply(double z) => TanhApproximation
        ? 0.5 * z * (1 + Math.Tanh(TanhScale * (z + 0.044715 * z * z * z)))
        : 0.5 * z * (1 + SpecialFunctions.Erf(z / Math.Sqrt(2)));

    internal override double Derivative(double z)
    {
        if (!TanhApproximation) return 0.5 * (1 + SpecialFunctions.Erf(z / Math.Sqrt(2))) + z * Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);
        var t = Math.Tanh(TanhScale * (z + 0.044715 * z * z * z));
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * TanhScale * (1 + 3 * 0.044715 * z * z);
    }

    internal override bool MapsValuesMonotonically => false;

    // The engine's float32 forward pass: erf by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7, about two float32 ulp
    // of Φ), some ten times faster than the double-precision series the reference uses.
    internal override void Apply(ReadOnlySpan<float> z, Span<float> y)
    {
        if (TanhApproximation)
        {
            base.Apply(z, y);
            return;
        }
        for (var i = 0; i < y.Length; i++)
        {
            var v = (double)z[i];
            var a = Math.Abs(v) / Math.Sqrt(2);
            var t = 1 / (1 + 0.3275911 * a);
            var erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.Exp(-a * a);
            y[i] = (float)(0.5 * v * (1 + (v < 0 ? -erf : erf)));
        }
    }
}

/// <summary>The hyperbolic tangent.</summary>
public sealed record Tanh : Activation
{
    internal override double Apply(double z) => Math.Tanh(z);
    internal override double Derivative(double z) => 1 - Math.Tanh(z) * Math.Tanh(z);
    internal override void Apply(ReadOnlySpan<float> z, Span<float> y) => TensorPrimitives.Tanh(z, y);
}

/// <summary>z for z &gt; 0, α z otherwise (ONNX LeakyRelu; α = 0.01 by default).</summary>
public sealed record LeakyReLU : Activation
{
    /// <summary>Creates the layer; α must be finite.</summary>
    public LeakyReLU(double alpha = 0.01) =>
        Alpha = double.IsFinite(alpha) ? alpha : throw new ArgumentException($"LeakyReLU: α must be finite, got {alpha}.");

    /// <summary>α, the slope for z ≤ 0.</summary>
    public double Alpha { get; }

    internal override bool MapsValuesMonotonically => Alpha >= 0;

    internal override double Apply(double z) => z > 0 ? z : Alpha * z;
    internal override double Derivative(double z) => z > 0 ? 1 : Alpha;
    internal override bool NonNegative => Alpha == 0;
}

/// <summary>Special functions the layers need that <see cref="Math"/> lacks.</summary>
internal static class SpecialFunctions
{
    /// <summary>The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, to within a few units in the last place of a double.</summary>
    /// <remarks>For |x| ≤ 2 the series 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)) (Abramowitz &amp; Stegun 7.1.6),
    /// whose terms are all of one sign, so nothing cancels; beyond, 1 − erfc(x) with erfc from its continued fraction
    /// (modified Lentz), which converges fast there.</remarks>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        var a = Math.Abs(x);
        if (a <= 2)
        {
            var (sum, term) = (x, x);
            for (var n = 1; Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= 2 * x * x / (2 * n + 1);
                sum += term;
            }
            return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
        }
        if (a >= 6) return Math.Sign(x);
        // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …))))), evaluated by modified Lentz.
        const double tiny = 1e-300;
        var f = a;
        var (c, d) = (a, 0.0);
        for (var k = 1; k < 1000; k++)
        {
            var coefficient = k / 2.0;
            d = a + coefficient * d;
            d = Math.Abs(d) < tiny ? 1 / tiny : 1 / d;
            c = a + coefficient / c;
            if (Math.Abs(c) < tiny) c = tiny;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        var erfc = Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
        return Math.Sign(x) * (1 - erfc);
    }
}
