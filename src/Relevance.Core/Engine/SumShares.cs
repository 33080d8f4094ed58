using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Relevance of one input of an element-wise sum (a residual Add): its share x ⊙ (R ⊘ y) of the sum's relevance.</summary>
internal static class SumShares
{
    /// <summary>lower_i = x_i · (R_i / y_i), and 0 where y_i = 0 (the reference's order of operations, lane by lane); returns
    /// lower's Σ, negative mass and minimum, taken in the same pass (as <see cref="Relevances.Measure"/> takes them).</summary>
    public static unsafe (double Sum, double NegativeMass, double Minimum) Write(ReadOnlySpan<float> x, ReadOnlySpan<float> upper, ReadOnlySpan<float> y,
        Span<float> lower)
    {
        var n = lower.Length;
        if (x.Length < n || upper.Length < n || y.Length < n)
            throw new ArgumentException($"SumShares: {n} shares need as many inputs, relevances and sums.");
        if (n < MeasuredHalves.Threshold) return WritePart(x, upper, y, lower);
        fixed (float* px = x, pu = upper, py = y, pl = lower)
        {
            var (ix, iu, iy, il) = ((nint)px, (nint)pu, (nint)py, (nint)pl);
            return MeasuredHalves.Run(n, (from, to) => WritePart(new ReadOnlySpan<float>((float*)ix + from, to - from),
                new ReadOnlySpan<float>((float*)iu + from, to - from), new ReadOnlySpan<float>((float*)iy + from, to - from),
                new Span<float>((float*)il + from, to - from)));
        }
    }

    private static (double Sum, double NegativeMass, double Minimum) WritePart(ReadOnlySpan<float> x, ReadOnlySpan<float> upper, ReadOnlySpan<float> y,
        Span<float> lower)
    {
        var n = lower.Length;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ru = ref MemoryMarshal.GetReference(upper);
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rl = ref MemoryMarshal.GetReference(lower);
        var i = 0;
        var (sum, negative, minimum) = (0.0, 0.0, double.PositiveInfinity);
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            var (sums, negatives, least) = (Vector512<double>.Zero, Vector512<double>.Zero, Vector512.Create(float.PositiveInfinity));
            for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
            {
                var at = (nuint)i;
                var y16 = Vector512.LoadUnsafe(ref ry, at);
                var share = Vector512.LoadUnsafe(ref rx, at) * (Vector512.LoadUnsafe(ref ru, at) / y16);
                share = Vector512.ConditionalSelect(Vector512.Equals(y16, Vector512<float>.Zero), Vector512<float>.Zero, share);
                share.StoreUnsafe(ref rl, at);
                Relevances.AddLanes(share, ref sums, ref negatives, ref least);
            }
            (sum, negative, minimum) = Relevances.ReduceLanes(sums, negatives, least);
        }
        for (; i < n; i++)
        {
            var share = y[i] == 0 ? 0f : x[i] * (upper[i] / y[i]);
            lower[i] = share;
            Relevances.AddValue(share, ref sum, ref negative, ref minimum);
        }
        return n == 0 ? (0, 0, 0) : (sum, negative, minimum);
    }
}
