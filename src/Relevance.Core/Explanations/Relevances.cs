using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance;

/// <summary>Small pure measures on relevance vectors, in double or single precision (sums are taken in double).</summary>
public static class Relevances
{
    /// <summary>Σ min(0, R).</summary>
    public static double NegativeMass<T>(ReadOnlySpan<T> r) where T : INumberBase<T>
    {
        var s = 0.0;
        foreach (var v in r) s += Math.Min(0, double.CreateChecked(v));
        return s;
    }

    /// <summary>min R (0 for an empty vector).</summary>
    public static double Minimum<T>(ReadOnlySpan<T> r) where T : INumberBase<T>
    {
        if (r.IsEmpty) return 0;
        var m = double.PositiveInfinity;
        foreach (var v in r) m = Math.Min(m, double.CreateChecked(v));
        return m;
    }

    /// <summary>Σ R.</summary>
    public static double Sum<T>(ReadOnlySpan<T> r) where T : INumberBase<T>
    {
        var s = 0.0;
        foreach (var v in r) s += double.CreateChecked(v);
        return s;
    }

    /// <summary>Σ R, Σ min(0, R) and min R of a float vector in one vectorised pass, summed in double precision.</summary>
    public static (double Sum, double NegativeMass, double Minimum) Measure(ReadOnlySpan<float> r)
    {
        if (r.IsEmpty) return (0, 0, 0);
        var (sum, negative) = (Vector256<double>.Zero, Vector256<double>.Zero);
        var minimum = Vector256.Create(float.PositiveInfinity);
        ref var start = ref MemoryMarshal.GetReference(r);
        var i = 0;
        var (wide, wideNegative, wideMinimum) = (0.0, 0.0, double.PositiveInfinity);
        if (Vector512.IsHardwareAccelerated && r.Length >= 32)
        {
            // Two independent sets of accumulators: one chain of additions would bind the pass to its latency.
            var (s0, s1, n0, n1) = (Vector512<double>.Zero, Vector512<double>.Zero, Vector512<double>.Zero, Vector512<double>.Zero);
            var (m0, m1) = (Vector512.Create(float.PositiveInfinity), Vector512.Create(float.PositiveInfinity));
            for (; i + 32 <= r.Length; i += 32)
            {
                AddLanes(Vector512.LoadUnsafe(ref start, (nuint)i), ref s0, ref n0, ref m0);
                AddLanes(Vector512.LoadUnsafe(ref start, (nuint)(i + 16)), ref s1, ref n1, ref m1);
            }
            (wide, wideNegative, wideMinimum) = ReduceLanes(s0 + s1, n0 + n1, Vector512.Min(m0, m1));
        }
        for (; i + Vector256<float>.Count <= r.Length; i += Vector256<float>.Count)
        {
            var v = Vector256.LoadUnsafe(ref start, (nuint)i);
            var (lo, hi) = Vector256.Widen(v);
            sum += lo + hi;
            negative += Vector256.Min(lo, Vector256<double>.Zero) + Vector256.Min(hi, Vector256<double>.Zero);
            minimum = Vector256.Min(minimum, v);
        }
        var (s, n, m) = (wide + Vector256.Sum(sum), wideNegative + Vector256.Sum(negative), wideMinimum);
        for (var k = 0; k < Vector256<float>.Count; k++) m = Math.Min(m, minimum[k]);
        for (; i < r.Length; i++) AddValue(r[i], ref s, ref n, ref m);
        return (s, n, m);
    }

    // The lanes of a measure (Σ and negative mass in double, minimum) taking 16 more values: the pass of Measure, and of
    // the engine's kernels that measure relevance as they write it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddLanes(Vector512<float> v, ref Vector512<double> sums, ref Vector512<double> negatives, ref Vector512<float> least)
    {
        var (lo, hi) = Vector512.Widen(v);
        sums += lo + hi;
        negatives += Vector512.Min(lo, Vector512<double>.Zero) + Vector512.Min(hi, Vector512<double>.Zero);
        least = Vector512.Min(least, v);
    }

    // A measure taking one more value: the scalar tail of AddLanes' passes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddValue(float v, ref double sum, ref double negative, ref double minimum)
    {
        sum += v;
        negative += Math.Min(0, v);
        minimum = Math.Min(minimum, v);
    }

    // Σ, negative mass and minimum of the values AddLanes took.
    internal static (double Sum, double NegativeMass, double Minimum) ReduceLanes(Vector512<double> sums, Vector512<double> negatives, Vector512<float> least)
    {
        var minimum = double.PositiveInfinity;
        for (var k = 0; k < Vector512<float>.Count; k++) minimum = Math.Min(minimum, least[k]);
        return (Vector512.Sum(sums), Vector512.Sum(negatives), minimum);
    }

    /// <summary>The index of the largest value (the first one on ties).</summary>
    public static int ArgMax<T>(ReadOnlySpan<T> v) where T : INumber<T>
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
            if (v[i] > v[best]) best = i;
        return best;
    }
}
