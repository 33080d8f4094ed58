using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Splitting 32 consecutive values into their even and odd elements, and the reverse, on 512-bit vectors: the
/// 2-wide steps of Winograd's tiles and of 2×2 pooling windows.</summary>
internal static class Lanes
{
    /// <summary>Of 32 consecutive values (two vectors), the 16 even-indexed and the 16 odd-indexed, by narrowing the pairs
    /// as 64-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Even, Vector512<float> Odd) Split(Vector512<float> first, Vector512<float> second)
    {
        var (lo, hi) = (first.AsUInt64(), second.AsUInt64());
        return (Vector512.Narrow(lo, hi).AsSingle(), Vector512.Narrow(Vector512.ShiftRightLogical(lo, 32), Vector512.ShiftRightLogical(hi, 32)).AsSingle());
    }

    /// <summary>(even0, odd0, even1, odd1, …) as two vectors of 16, by widening each pair into one 64-bit lane: the inverse of
    /// <see cref="Split"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Low, Vector512<float> High) Interleave(Vector512<float> even, Vector512<float> odd)
    {
        var (e, o) = (even.AsUInt32(), odd.AsUInt32());
        return ((Vector512.WidenLower(e) | Vector512.ShiftLeft(Vector512.WidenLower(o), 32)).AsSingle(),
            (Vector512.WidenUpper(e) | Vector512.ShiftLeft(Vector512.WidenUpper(o), 32)).AsSingle());
    }
}
