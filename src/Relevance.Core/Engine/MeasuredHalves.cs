namespace Relevance.Engine;

/// <summary>An element-wise pass that measures what it writes (Σ, negative mass, minimum), run over two halves of a long
/// array, on two cores when they are free.</summary>
/// <remarks>Whether the pass is split depends on its length alone, and the halves' measures are added in order, so the
/// result is the same bit for bit on one core or two (an input explained alone or in a batch).</remarks>
internal static class MeasuredHalves
{
    // Below this many values a pass runs whole: its two halves would not pay for waking the second core.
    internal const int Threshold = 1 << 16;

    /// <summary>One part [from, to) of the pass, and its measure.</summary>
    internal delegate (double Sum, double NegativeMass, double Minimum) Part(int from, int to);

    /// <summary>Runs <paramref name="part"/> over [0, length), in two halves from <see cref="Threshold"/> values on (on two
    /// cores when <paramref name="parallel"/>), and returns the measure of the whole.</summary>
    public static (double Sum, double NegativeMass, double Minimum) Run(int length, Part part, bool parallel = true)
    {
        if (length < Threshold) return part(0, length);
        // A multiple of a vector's 16 floats: each half's vector loop covers it the same way.
        var half = length / 2 / 16 * 16;
        (double Sum, double NegativeMass, double Minimum) first = default, second = default;
        if (parallel) Workers.For(2, w => { if (w == 0) first = part(0, half); else second = part(half, length); });
        else (first, second) = (part(0, half), part(half, length));
        return (first.Sum + second.Sum, first.NegativeMass + second.NegativeMass, Math.Min(first.Minimum, second.Minimum));
    }

    /// <summary>Σ, negative mass and minimum of <paramref name="r"/>, as <see cref="Relevances.Measure"/> takes them, over two
    /// halves of a long array.</summary>
    public static unsafe (double Sum, double NegativeMass, double Minimum) Measure(ReadOnlySpan<float> r)
    {
        if (r.Length < Threshold) return Relevances.Measure(r);
        fixed (float* p = r)
        {
            var at = (nint)p;
            return Run(r.Length, (from, to) => Relevances.Measure(new ReadOnlySpan<float>((float*)at + from, to - from)));
        }
    }
}
