using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Relevance of one input of an element-wise sum (a residual Add): its share x ⊙ (R ⊘ y) of the sum's relevance.</summary>
internal static class SumShares
{
    /// <summary>lower_i = x_i · (R_i / y_i), and 0 where y_i = 0 (the reference's order of operations, lane by lane).</summary>
    public static void Write(ReadOnlySpan<float> x, ReadOnlySpan<float> upper, ReadOnlySpan<float> y, Span<float> lower)
    {
        var n = lower.Length;
        if (x.Length < n || upper.Length < n || y.Length < n)
            throw new ArgumentException($"SumShares: {n} shares need as many inputs, relevances and sums.");
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ru = ref MemoryMarshal.GetReference(upper);
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rl = ref MemoryMarshal.GetReference(lower);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
            {
                var at = (nuint)i;
                var sum = Vector512.LoadUnsafe(ref ry, at);
                var share = Vector512.LoadUnsafe(ref rx, at) * (Vector512.LoadUnsafe(ref ru, at) / sum);
                Vector512.ConditionalSelect(Vector512.Equals(sum, Vector512<float>.Zero), Vector512<float>.Zero, share).StoreUnsafe(ref rl, at);
            }
        for (; i < n; i++) lower[i] = y[i] == 0 ? 0f : x[i] * (upper[i] / y[i]);
    }
}
