using System.Numerics;

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

    /// <summary>The index of the largest value (the first one on ties).</summary>
    public static int ArgMax<T>(ReadOnlySpan<T> v) where T : INumber<T>
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
            if (v[i] > v[best]) best = i;
        return best;
    }
}
