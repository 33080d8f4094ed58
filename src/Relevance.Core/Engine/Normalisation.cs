namespace Relevance.Engine;

/// <summary>Float32 local response normalisation (forward only: the relevance pass bypasses it).</summary>
internal static class Normalisation
{
    /// <summary>g_e = g_e d_e^−β − (2αβ/n) x_e Σ_{c : e ∈ window(c)} g_c x_c d_c^(−β−1), with d_c = k + α/n Σ x².</summary>
    public static void Backward(LocalResponseNorm n, Shape input, ReadOnlySpan<float> x, ReadOnlySpan<float> upper, Span<float> lower)
    {
        var (channels, plane) = (input[0], input[1] * input[2]);
        var d = new double[x.Length];
        for (var c = 0; c < channels; c++)
        {
            var (first, last) = n.Window(c, channels);
            for (var p = 0; p < plane; p++)
            {
                var s = 0.0;
                for (var q = first; q <= last; q++) s += (double)x[q * plane + p] * x[q * plane + p];
                d[c * plane + p] = n.Bias + n.Alpha / n.Size * s;
            }
        }
        lower.Clear();
        for (var c = 0; c < channels; c++)
        {
            var (first, last) = n.Window(c, channels);
            for (var p = 0; p < plane; p++)
            {
                var i = c * plane + p;
                lower[i] += (float)(upper[i] * Math.Pow(d[i], -n.Beta));
                var common = 2 * n.Alpha * n.Beta / n.Size * upper[i] * x[i] * Math.Pow(d[i], -n.Beta - 1);
                for (var q = first; q <= last; q++) lower[q * plane + p] -= (float)(common * x[q * plane + p]);
            }
        }
    }

    public static void Forward(LocalResponseNorm n, Shape input, ReadOnlySpan<float> x, Span<float> y)
    {
        var (channels, plane) = (input[0], input[1] * input[2]);
        for (var c = 0; c < channels; c++)
        {
            var (first, last) = n.Window(c, channels);
            for (var p = 0; p < plane; p++)
            {
                var s = 0.0;
                for (var q = first; q <= last; q++)
                {
                    var v = x[q * plane + p];
                    s += v * v;
                }
                y[c * plane + p] = (float)(x[c * plane + p] * Math.Pow(n.Bias + n.Alpha / n.Size * s, -n.Beta));
            }
        }
    }
}
