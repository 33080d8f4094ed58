namespace Relevance;

/// <summary>Small pure measures on relevance vectors.</summary>
public static class Relevances
{
    /// <summary>Σ min(0, R).</summary>
    public static double NegativeMass(ReadOnlySpan<double> r)
    {
        var s = 0.0;
        foreach (var v in r) s += Math.Min(0, v);
        return s;
    }

    /// <summary>min R (0 for an empty vector).</summary>
    public static double Minimum(ReadOnlySpan<double> r)
    {
        if (r.IsEmpty) return 0;
        var m = double.PositiveInfinity;
        foreach (var v in r) m = Math.Min(m, v);
        return m;
    }

    /// <summary>Σ R.</summary>
    public static double Sum(ReadOnlySpan<double> r)
    {
        var s = 0.0;
        foreach (var v in r) s += v;
        return s;
    }

    /// <summary>The index of the largest value (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<double> v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
            if (v[i] > v[best]) best = i;
        return best;
    }
}
