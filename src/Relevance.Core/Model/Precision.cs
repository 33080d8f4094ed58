namespace Relevance;

/// <summary>Float32 and double-precision arrays, one from the other: widening is exact, narrowing rounds to nearest (±∞ beyond float's range).</summary>
internal static class Precision
{
    public static double[] Widen(ReadOnlySpan<float> values)
    {
        var wide = new double[values.Length];
        for (var i = 0; i < wide.Length; i++) wide[i] = values[i];
        return wide;
    }

    public static float[] Narrow(ReadOnlySpan<double> values)
    {
        var narrow = Engine.LargeArrays.Uninitialized<float>(values.Length);
        for (var i = 0; i < narrow.Length; i++) narrow[i] = (float)values[i];
        return narrow;
    }
}
