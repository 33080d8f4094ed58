using System.Buffers;
using System.Collections.Immutable;
using System.Numerics.Tensors;

namespace Relevance.Engine;

/// <summary>A depthwise convolution (one input channel per group, MobileNet's and EfficientNet's 3×3 and 5×5 layers): each
/// channel's window taps in direct loops, channels split between cores, every rule's terms (<see cref="RuleTerms"/>)
/// applied channel by channel, as the reference's connections do per group.</summary>
/// <remarks>A matrix product per group would multiply a 1×9 matrix by a 9×P one: the per-call cost of a product, hundreds of
/// times per explanation, on one core. Here a channel's k·kh·kw taps each add a scaled row of the input to a row of the
/// output; every term is summed directly, so z⁺'s and z^B's denominators and relevance are float sums of non-negative
/// terms, exactly ≥ 0.</remarks>
internal sealed class DepthwiseNode : NodeKernel
{
    private readonly string _node;
    private readonly string _rule;
    // One group's geometry (one input channel, `Multiplier` output channels), the same for every channel.
    private readonly Geometry _g;
    private readonly int _channels;
    private readonly float[] _weights;
    private readonly float[] _bias;
    private readonly ImmutableArray<RulePass> _passes;
    // Per pass, the constant terms' Σ_t V_t · col(a_t) over all outputs (w², flat), else null.
    private readonly ImmutableArray<float[]?> _constantZ;
    // Per pass, the terms whose input is not constant.
    private readonly ImmutableArray<ImmutableArray<RuleTerm>> _variable;
    private readonly float[]? _low;
    private readonly float[]? _high;
    private readonly bool _checksSign;
    private readonly bool _denominatorsAreOutputs;

    private int Taps => _g.KernelHeight * _g.KernelWidth;
    private int Multiplier => _g.OutChannels;
    private int Plane => _g.Height * _g.Width;

    private DepthwiseNode(string node, Conv2d conv, Shape input, Rule rule, BiasTreatment bias, bool inputNonNegative)
    {
        (_node, _rule) = (node, rule.Name);
        _g = Geometry.Of(conv, input);
        _channels = conv.Groups;
        _weights = conv.Weights.Singles();
        _bias = conv.Bias.ToSingles();
        _passes = RuleTerms.Of(node, rule, _weights, _bias, bias, input, out _low, out _high, inputNonNegative: inputNonNegative);
        _checksSign = rule is ZPlusRule && !inputNonNegative;
        _denominatorsAreOutputs = rule is EpsilonRule;
        _constantZ = [.. _passes.Select(ConstantZ)];
        _variable = [.. _passes.Select(p => p.Terms.Where(t => t.Source != Source.Constant).ToImmutableArray())];
    }

    /// <summary>Whether <paramref name="conv"/> is depthwise: one input channel per group.</summary>
    public static bool Covers(Conv2d conv) => conv.Groups > 1 && conv.GroupInChannels == 1;

    /// <summary>Compiles <paramref name="conv"/> on <paramref name="input"/> under <paramref name="rule"/>.</summary>
    public static DepthwiseNode Compile(string node, Conv2d conv, Shape input, Rule rule, BiasTreatment bias, bool inputNonNegative) =>
        new(node, conv, input, rule, bias, inputNonNegative);

    private float[]? ConstantZ(RulePass pass)
    {
        var constants = pass.Terms.Where(t => t.Source == Source.Constant).ToList();
        if (constants.Count == 0) return null;
        var z = LargeArrays.Zeroed<float>(_channels * Multiplier * _g.P);
        for (var c = 0; c < _channels; c++)
            for (var j = 0; j < Multiplier; j++)
            {
                var m = c * Multiplier + j;
                foreach (var t in constants) Correlate(_g, t.Vector.AsSpan(c * Plane, Plane), t.V.AsSpan(m * Taps, Taps), z.AsSpan(m * _g.P, _g.P));
            }
        return z;
    }

    public override string Describe => _rule;
    public override bool AddsInPlace => true;

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators) =>
        Split(Operation.Forward, inputs[0], default, default, y, addTo: false);

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) =>
        Split(Operation.Gradient, default, default, upper, lower, addTo: false);

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        RuleTerms.CheckDomain(_node, _checksSign, x, _low, _high);
        var (sum, negative, minimum, biasShare) = Split(Operation.Relevance, x, y, upper, lower, addTo);
        bias += biasShare;
        return (sum, negative, minimum);
    }

    private enum Operation { Forward, Gradient, Relevance }

    // Below this many multiply-adds a second core costs more to start than it saves.
    private const long ParallelWork = 1 << 15;

    // Runs the operation over the channels, split between cores when it is large enough, and combines the parts' measures.
    private unsafe (double Sum, double NegativeMass, double Minimum, double Bias) Split(Operation operation, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, bool addTo)
    {
        var work = (long)_channels * Multiplier * _g.P * Taps * (operation == Operation.Relevance ? 4 : 1);
        var parts = work < ParallelWork ? 1 : Math.Min(Kernels.Parallelism.Cores, _channels);
        var results = new (double Sum, double NegativeMass, double Minimum, double Bias)[parts];
        fixed (float* px = x, py = y, pu = upper, pl = lower)
        {
            var (ix, iy, iu, il) = ((nint)px, (nint)py, (nint)pu, (nint)pl);
            var (nx, ny, nu, nl) = (x.Length, y.Length, upper.Length, lower.Length);
            Workers.For(parts, w => results[w] = Channels(operation, _channels * w / parts, _channels * (w + 1) / parts,
                new ReadOnlySpan<float>((float*)ix, nx), new ReadOnlySpan<float>((float*)iy, ny), new ReadOnlySpan<float>((float*)iu, nu),
                new Span<float>((float*)il, nl), addTo));
        }
        var total = (Sum: 0.0, NegativeMass: 0.0, Minimum: double.PositiveInfinity, Bias: 0.0);
        foreach (var r in results) total = (total.Sum + r.Sum, total.NegativeMass + r.NegativeMass, Math.Min(total.Minimum, r.Minimum), total.Bias + r.Bias);
        return total;
    }

    // Channels [from, to): for Forward `lower` is y from x; for Gradient it is the input's gradient from `upper`; for
    // Relevance the input's relevance from `upper`, measured (this layer's share) with its bias share.
    private (double Sum, double NegativeMass, double Minimum, double Bias) Channels(Operation operation, int from, int to, ReadOnlySpan<float> x,
        ReadOnlySpan<float> y, ReadOnlySpan<float> upper, Span<float> lower, bool addTo)
    {
        var (plane, outputs, k) = (Plane, _g.P, Multiplier);
        var scratch = ArrayPool<float>.Shared.Rent(k * outputs + 3 * plane);
        try
        {
            var z = scratch.AsSpan(0, k * outputs);
            var a = scratch.AsSpan(k * outputs, plane);
            var back = scratch.AsSpan(k * outputs + plane, plane);
            var share = scratch.AsSpan(k * outputs + 2 * plane, plane);
            var (sum, negative, minimum, bias) = (0.0, 0.0, double.PositiveInfinity, 0.0);
            for (var c = from; c < to; c++)
            {
                var input = x.IsEmpty ? default : x.Slice(c * plane, plane);
                switch (operation)
                {
                    case Operation.Forward:
                        for (var j = 0; j < k; j++)
                        {
                            var m = c * k + j;
                            var ym = lower.Slice(m * outputs, outputs);
                            ym.Fill(_bias[m]);
                            Correlate(_g, input, _weights.AsSpan(m * Taps, Taps), ym);
                        }
                        break;
                    case Operation.Gradient:
                    {
                        var gradient = lower.Slice(c * plane, plane);
                        gradient.Clear();
                        for (var j = 0; j < k; j++)
                        {
                            var m = c * k + j;
                            CorrelateTransposed(_g, upper.Slice(m * outputs, outputs), _weights.AsSpan(m * Taps, Taps), gradient);
                        }
                        break;
                    }
                    default:
                    {
                        var target = lower.Slice(c * plane, plane);
                        var into = addTo ? share : target;
                        bias += ChannelRelevance(c, input, y, upper, z, a, back, into);
                        var (s, n, least) = Relevances.Measure(into);
                        (sum, negative, minimum) = (sum + s, negative + n, Math.Min(minimum, least));
                        if (addTo) TensorPrimitives.Add(target, share, target);
                        break;
                    }
                }
            }
            return (sum, negative, minimum, bias);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    // share = channel c's input relevance, Σ over passes of weight · Σ_t a_t ⊙ (V_tᵀ S); returns the relevance its outputs'
    // bias neurons take.
    private double ChannelRelevance(int c, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> upper, Span<float> z, Span<float> a,
        Span<float> back, Span<float> share)
    {
        var (outputs, k) = (_g.P, Multiplier);
        var bias = 0.0;
        var first = true;
        for (var q = 0; q < _passes.Length; q++)
        {
            var pass = _passes[q];
            for (var j = 0; j < k; j++)
            {
                var m = c * k + j;
                var zm = z.Slice(j * outputs, outputs);
                var um = upper.Slice(m * outputs, outputs);
                // ε's denominators are the layer's outputs (its terms are x and W, its denominator bias b).
                if (_denominatorsAreOutputs) y.Slice(m * outputs, outputs).CopyTo(zm);
                else
                {
                    if (_constantZ[q] is { } constant) constant.AsSpan(m * outputs, outputs).CopyTo(zm);
                    else zm.Clear();
                    foreach (var t in _variable[q])
                        Correlate(_g, Input(t, c, x, a), t.V.AsSpan(m * Taps, Taps), zm);
                    if (pass.DenominatorBias?[m] is { } add and not 0) TensorPrimitives.Add(zm, add, zm);
                }
                // S = R ⊘ s(Z), a zero denominator giving zero (docs/rules.md §3).
                if (pass.Epsilon > 0) Kernels.RelevanceKernel.EpsilonRatios(um, zm, 0, pass.Epsilon);
                else Kernels.RelevanceKernel.Ratios(um, zm);
                pass.Branch?.Mask(zm, y.Slice(m * outputs, outputs), m);
                if (pass.BiasNeuron?[m] is { } neuron and not 0) bias += (double)pass.Weight * neuron * Relevances.Measure(zm).Sum;
            }
            foreach (var t in pass.Terms)
            {
                back.Clear();
                for (var j = 0; j < k; j++) CorrelateTransposed(_g, z.Slice(j * outputs, outputs), t.V.AsSpan((c * k + j) * Taps, Taps), back);
                if (pass.Weight != 1) TensorPrimitives.Multiply(back, pass.Weight, back);
                // The first term writes the share, later ones add to it.
                if (first) TensorPrimitives.Multiply(Input(t, c, x, a), back, share);
                else TensorPrimitives.MultiplyAdd(Input(t, c, x, a), back, share, share);
                first = false;
            }
        }
        return bias;
    }

    // Channel c of the term's input a_t: x, x − offset, max(0, x), min(0, x) or the constant (in `buffer` when made).
    private ReadOnlySpan<float> Input(RuleTerm t, int c, ReadOnlySpan<float> x, Span<float> buffer)
    {
        var plane = Plane;
        switch (t.Source)
        {
            case Source.X when t.Vector is null: return x;
            case Source.X: TensorPrimitives.Subtract(x, t.Vector.AsSpan(c * plane, plane), buffer); return buffer;
            case Source.Constant: return t.Vector.AsSpan(c * plane, plane);
            case Source.XPositive: TensorPrimitives.Max(x, 0f, buffer); return buffer;
            default: TensorPrimitives.Min(x, 0f, buffer); return buffer;
        }
    }

    // z += the correlation of one input plane with one kernel v [kh×kw] (padded positions read as zeros).
    private static void Correlate(Geometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> v, Span<float> z) => AddTaps(g, v, x, z, transposed: false);

    // back += the adjoint of Correlate.
    private static void CorrelateTransposed(Geometry g, ReadOnlySpan<float> z, ReadOnlySpan<float> v, Span<float> back) => AddTaps(g, v, z, back, transposed: true);

    // For each tap, each output row whose window reads an input row: the scaled input row added to the output row, or
    // (transposed) the scaled output row added to the input row the tap read.
    private static void AddTaps(Geometry g, ReadOnlySpan<float> v, ReadOnlySpan<float> source, Span<float> target, bool transposed)
    {
        var s = g.Stride;
        for (var ky = 0; ky < g.KernelHeight; ky++)
        {
            var (oy0, oy1) = Geometry.ValidOutputs(ky * g.Dilation, g.PadTop, s, g.Height, g.OutHeight);
            for (var kx = 0; kx < g.KernelWidth; kx++)
            {
                var w = v[ky * g.KernelWidth + kx];
                var (ox0, ox1) = Geometry.ValidOutputs(kx * g.Dilation, g.PadLeft, s, g.Width, g.OutWidth);
                if (w == 0 || ox0 >= ox1) continue;
                var n = ox1 - ox0;
                for (var oy = oy0; oy < oy1; oy++)
                {
                    var image = (oy * s - g.PadTop + ky * g.Dilation) * g.Width + ox0 * s - g.PadLeft + kx * g.Dilation;
                    var output = oy * g.OutWidth + ox0;
                    if (s == 1 && transposed) TensorPrimitives.MultiplyAdd(source.Slice(output, n), w, target.Slice(image, n), target.Slice(image, n));
                    else if (s == 1) TensorPrimitives.MultiplyAdd(source.Slice(image, n), w, target.Slice(output, n), target.Slice(output, n));
                    else if (transposed)
                        for (var i = 0; i < n; i++) target[image + i * s] += w * source[output + i];
                    else
                        for (var i = 0; i < n; i++) target[output + i] += w * source[image + i * s];
                }
            }
        }
    }
}
