using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Kernels;

/// <summary>Float32 element-wise steps of a relevance pass, vectorised, for generated code.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class RelevanceKernel
{
    /// <summary>s_j = R_j / d_j in place over the denominators d, and 0 where d_j = 0 (nothing to redistribute through).</summary>
    public static void Ratios(ReadOnlySpan<float> upper, Span<float> d)
    {
        InputChecks.RequireLength(upper.Length, d.Length, nameof(upper));
        ref var ru = ref MemoryMarshal.GetReference(upper);
        ref var rd = ref MemoryMarshal.GetReference(d);
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + Vector512<float>.Count <= d.Length; j += Vector512<float>.Count)
            {
                var den = Vector512.LoadUnsafe(ref rd, (nuint)j);
                var s = Vector512.LoadUnsafe(ref ru, (nuint)j) / den;
                Vector512.ConditionalSelect(Vector512.Equals(den, Vector512<float>.Zero), Vector512<float>.Zero, s).StoreUnsafe(ref rd, (nuint)j);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; j + Vector256<float>.Count <= d.Length; j += Vector256<float>.Count)
            {
                var den = Vector256.LoadUnsafe(ref rd, (nuint)j);
                var s = Vector256.LoadUnsafe(ref ru, (nuint)j) / den;
                Vector256.ConditionalSelect(Vector256.Equals(den, Vector256<float>.Zero), Vector256<float>.Zero, s).StoreUnsafe(ref rd, (nuint)j);
            }
        for (; j < d.Length; j++) d[j] = d[j] == 0f ? 0f : upper[j] / d[j];
    }

    /// <summary>The γ-rule's ratios on an input ≥ 0, in place over both branches' denominators: where a_j = y_j − b_j ≥ 0
    /// (b per channel of <paramref name="plane"/> outputs), up_j = R_j / s(up_j) and down_j = 0; elsewhere down_j = R_j / s(down_j)
    /// and up_j = 0; s(t) = t ± ε with the sign of t (+ at 0), and 0 where s(t) = 0.</summary>
    public static void GammaRatios(ReadOnlySpan<float> upper, ReadOnlySpan<float> y, ReadOnlySpan<float> bias, int plane, Span<float> up, Span<float> down,
        float epsilon)
    {
        InputChecks.RequireLength(upper.Length, up.Length, nameof(upper));
        InputChecks.RequireLength(upper.Length, down.Length, nameof(upper));
        for (var j = 0; j < upper.Length; j++)
        {
            var positive = y[j] - bias[j / plane % bias.Length] >= 0;
            var d = positive ? up[j] : down[j];
            d += d >= 0 ? epsilon : -epsilon;
            var s = d == 0 ? 0f : upper[j] / d;
            (up[j], down[j]) = positive ? (s, 0f) : (0f, s);
        }
    }

    /// <summary>s_j = R_j / (d_j + add ± ε) in place over the denominators d, ε taking the sign of d_j + add (+ at 0): the
    /// ε-rule's stabilised ratios.</summary>
    public static void EpsilonRatios(ReadOnlySpan<float> upper, Span<float> d, float add, float epsilon)
    {
        InputChecks.RequireLength(upper.Length, d.Length, nameof(upper));
        ref var ru = ref MemoryMarshal.GetReference(upper);
        ref var rd = ref MemoryMarshal.GetReference(d);
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var (a, e) = (Vector512.Create(add), Vector512.Create(epsilon));
            for (; j + Vector512<float>.Count <= d.Length; j += Vector512<float>.Count)
            {
                var den = Vector512.LoadUnsafe(ref rd, (nuint)j) + a;
                den += Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(den, Vector512<float>.Zero), e, -e);
                (Vector512.LoadUnsafe(ref ru, (nuint)j) / den).StoreUnsafe(ref rd, (nuint)j);
            }
        }
        for (; j < d.Length; j++)
        {
            var den = d[j] + add;
            d[j] = upper[j] / (den >= 0 ? den + epsilon : den - epsilon);
        }
    }

    /// <summary>The z^B rule's share of each input (or im2col tap) x: (x − h)·t + (h − l)·u, with t = Vᵀs and u = V⁺ᵀs;
    /// written into <paramref name="into"/>, or added to it when <paramref name="accumulate"/>.</summary>
    /// <remarks>x w − l w⁺ − h w⁻ = (x − h) w + (h − l) w⁺, since w⁻ = w − w⁺: two products instead of three.</remarks>
    public static void BoxShares(ReadOnlySpan<float> x, ReadOnlySpan<float> t, ReadOnlySpan<float> u, float low, float high, Span<float> into, bool accumulate)
    {
        var n = into.Length;
        if (x.Length < n || t.Length < n || u.Length < n)
            throw new ArgumentException($"BoxShares: {n} outputs need as many inputs, ratios sent back through V and through V⁺.");
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rt = ref MemoryMarshal.GetReference(t);
        ref var ru = ref MemoryMarshal.GetReference(u);
        ref var ro = ref MemoryMarshal.GetReference(into);
        var width = high - low;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var (h, wv) = (Vector512.Create(high), Vector512.Create(width));
            for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
            {
                var at = (nuint)i;
                var share = (Vector512.LoadUnsafe(ref rx, at) - h) * Vector512.LoadUnsafe(ref rt, at) + wv * Vector512.LoadUnsafe(ref ru, at);
                (accumulate ? Vector512.LoadUnsafe(ref ro, at) + share : share).StoreUnsafe(ref ro, at);
            }
        }
        for (; i < n; i++)
        {
            var share = (x[i] - high) * t[i] + width * u[i];
            into[i] = accumulate ? into[i] + share : share;
        }
    }
}
