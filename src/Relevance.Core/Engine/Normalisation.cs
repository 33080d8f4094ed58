namespace Relevance.Engine;

/// <summary>Float32 local response normalisation (forward only: the relevance pass bypasses it).</summary>
internal static class Normalisation
{
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
