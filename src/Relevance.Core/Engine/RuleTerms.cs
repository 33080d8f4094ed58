using System.Collections.Immutable;
using System.Numerics.Tensors;

namespace Relevance.Engine;

/// <summary>One term of a rule before a kernel lays it out: where a_t comes from, V_t, and the offset or constant vector;
/// <paramref name="PositivePart"/>: V is W itself and V_t is its positive part, taken by the kernel as it reads W.</summary>
internal readonly record struct RuleTerm(Source Source, float[] V, float[]? Vector, bool PositivePart = false);

/// <summary>One redistribution of a rule before a kernel lays it out (see <see cref="Pass"/>).</summary>
internal sealed record RulePass(ImmutableArray<RuleTerm> Terms, float[]? DenominatorBias, float[]? BiasNeuron, float Epsilon, float Weight,
    OutputBranch? Branch = null);

/// <summary>The outputs a pass redistributes: those where a_j = y_j − Offset_j has the given sign (+1: a_j ≥ 0; −1: a_j &lt; 0);
/// the others' ratios are zero in it. The γ-rule's two branches (docs/rules.md §6).</summary>
/// <param name="Sign">+1 or −1.</param>
/// <param name="Offset">Subtracted from the layer's output y (the bias, so that a = Σ x w), per output channel; null: 0.</param>
internal sealed record OutputBranch(int Sign, float[]? Offset)
{
    /// <summary>Whether output j, of channel <paramref name="channel"/>, is in this branch.</summary>
    public bool Takes(float y, int channel) => y - (Offset?[channel] ?? 0f) >= 0 == Sign > 0;

    /// <summary>Zeroes the ratios of one channel's outputs that are not in this branch.</summary>
    public void Mask(Span<float> ratios, ReadOnlySpan<float> y, int channel)
    {
        for (var p = 0; p < ratios.Length; p++)
            if (!Takes(y[p], channel)) ratios[p] = 0;
    }

    /// <summary>Whether any output of this branch carries relevance, over outputs laid out [channels × plane].</summary>
    public bool Reaches(ReadOnlySpan<float> upper, ReadOnlySpan<float> y, int plane)
    {
        for (var j = 0; j < upper.Length; j++)
            if (upper[j] != 0 && Takes(y[j], j / plane)) return true;
        return false;
    }
}

/// <summary>Every rule of docs/rules.md §3 and §6 as passes of terms (a_t, V_t), the one place the engine reads a rule's
/// definition; <see cref="LinearKernel"/> and <see cref="DepthwiseNode"/> lay the terms out for their loops.</summary>
internal static class RuleTerms
{
    /// <summary>The passes of <paramref name="rule"/> for weights <paramref name="w"/> (in any layout: every map is element-wise)
    /// and biases <paramref name="b"/>; z^B's bounds over the input come out in <paramref name="low"/> and <paramref name="high"/>.
    /// With <paramref name="streamsPositivePart"/>, z⁺'s W⁺ is not stored: its term reads W (see <see cref="RuleTerm"/>).</summary>
    /// <remarks>w² is (1, W⊙W), z is (x, W), γ is two branches by the output's sign, (x⁺, W + γW⁺), (x⁻, W + γW⁻) and
    /// (x⁺, W + γW⁻), (x⁻, W + γW⁺), with ε, z⁺ is (x, W⁺), z^B is (x − l, W⁺), (x − h, W⁻), flat is (1, 1), ε is (x, W) with
    /// the bias and ε in the denominator, and αβ is two passes, α·[(x⁺, W⁺), (x⁻, W⁻)] and −β·[(x⁺, W⁻), (x⁻, W⁺)].
    /// z^B is written as (x − l) w⁺ + (x − h) w⁻, which equals the paper's x w − l w⁺ − h w⁻ but keeps every term ≥ 0 in
    /// floating point.</remarks>
    public static ImmutableArray<RulePass> Of(string node, Rule rule, float[] w, float[] b, BiasTreatment biasTreatment, Shape input,
        out float[]? low, out float[]? high, bool streamsPositivePart = false, bool inputNonNegative = false)
    {
        float[] Map(Func<float, float> f)
        {
            var mapped = LargeArrays.Uninitialized<float>(w.Length);
            for (var i = 0; i < mapped.Length; i++) mapped[i] = f(w[i]);
            return mapped;
        }
        var positive = biasTreatment != BiasTreatment.Ignore ? b.Select(v => Math.Max(0f, v)).ToArray() : null;
        var negative = biasTreatment != BiasTreatment.Ignore ? b.Select(v => Math.Min(0f, v)).ToArray() : null;
        // Zennit's conventions (BiasTreatment.Zennit): z^B without the bias, w² with b², γ with b + γb⁺.
        var zennit = biasTreatment == BiasTreatment.Zennit;
        var boxBias = zennit ? null : positive;
        var ones = Enumerable.Repeat(1f, input.Size).ToArray();
        (low, high) = (null, null);
        switch (rule)
        {
            case WSquareRule:
            {
                var squared = zennit ? b.Select(v => v * v).ToArray() : null;
                return [new([new(Source.Constant, Map(v => v * v), ones)], squared, squared, 0, 1)];
            }
            case FlatRule: return [new([new(Source.Constant, Map(_ => 1f), ones)], null, null, 0, 1)];
            case ZRule: return [new([new(Source.X, w, null)], null, null, 0, 1)];
            case ZPlusRule when streamsPositivePart: return [new([new(Source.X, w, null, PositivePart: true)], positive, positive, 0, 1)];
            case ZPlusRule: return [new([new(Source.X, Map(v => Math.Max(0f, v)), null)], positive, positive, 0, 1)];
            case EpsilonRule e: return [new([new(Source.X, w, null)], b, null, (float)e.Epsilon, 1)];
            case GammaRule g:
            {
                // Two branches by the sign of a = Σ x w (+ b under Zennit's conventions): W + γW⁺ on x⁺ and W + γW⁻ on x⁻ where
                // a ≥ 0, the other way round where a < 0; on an input ≥ 0 by construction the x⁻ terms are left out.
                var gamma = (float)g.Gamma;
                var (up, down) = (Map(v => v + gamma * Math.Max(0f, v)), Map(v => v + gamma * Math.Min(0f, v)));
                RulePass Branch(int sign, float[] onPositive, float[] onNegative)
                {
                    var bias = zennit ? b.Select(v => v + gamma * (sign > 0 ? Math.Max(0f, v) : Math.Min(0f, v))).ToArray() : null;
                    ImmutableArray<RuleTerm> terms = inputNonNegative
                        ? [new(Source.X, onPositive, null)]
                        : [new(Source.XPositive, onPositive, null), new(Source.XNegative, onNegative, null)];
                    return new(terms, bias, bias, (float)g.Epsilon, 1, new OutputBranch(sign, zennit ? null : b));
                }
                return [Branch(1, up, down), Branch(-1, down, up)];
            }
            case ZBoxRule box:
                box.Low.RequireShape(node, input);
                box.High.RequireShape(node, input);
                low = [.. Enumerable.Range(0, input.Size).Select(i => (float)box.Low.At(i))];
                high = [.. Enumerable.Range(0, input.Size).Select(i => (float)box.High.At(i))];
                return [new([new(Source.X, Map(v => Math.Max(0f, v)), low), new(Source.X, Map(v => Math.Min(0f, v)), high)], boxBias, boxBias, 0, 1)];
            case AlphaBetaRule ab:
            {
                var (plus, minus) = (Map(v => Math.Max(0f, v)), Map(v => Math.Min(0f, v)));
                RulePass alpha = new([new(Source.XPositive, plus, null), new(Source.XNegative, minus, null)], positive, positive, 0, (float)ab.Alpha);
                if (ab.Beta == 0) return [alpha];
                return [alpha, new([new(Source.XPositive, minus, null), new(Source.XNegative, plus, null)], negative, negative, 0, (float)-ab.Beta)];
            }
            default: throw new System.Diagnostics.UnreachableException(rule.GetType().Name);
        }
    }

    /// <summary>Refuses an input outside the rule's domain: negative for z⁺ (when <paramref name="checksSign"/>), outside
    /// [l, h] for z^B.</summary>
    public static void CheckDomain(string node, bool checksSign, ReadOnlySpan<float> x, float[]? low, float[]? high)
    {
        // One vector pass to clear the common case; the index is looked for only to report it.
        if (checksSign && !x.IsEmpty && TensorPrimitives.Min(x) < 0)
            for (var i = 0; i < x.Length; i++)
                if (x[i] < 0)
                    throw new RuleDomainException(node, $"z⁺ needs non-negative inputs, but input {i} is {x[i]}. Use z^B or w² on layers whose input can be negative; Composite.DeepTaylor (relevance explain --rule dtd) chooses them by each layer's input domain.");
        if (low is not null && high is not null && Kernels.InputChecks.IndexOutside(x, low, high) is var at and >= 0)
            throw new RuleDomainException(node, $"z^B needs l ≤ x ≤ h, but input {at} is {x[at]} outside [{low[at]}, {high[at]}].");
    }
}
