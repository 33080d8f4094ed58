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
