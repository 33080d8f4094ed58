using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Splitting 32 consecutive values into their even and odd elements, and the reverse, on 512-bit vectors: the
/// 2-wide steps of Winograd's tiles, of 2×2 pooling windows and of stride-2 windows and col2im.</summary>
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

    /// <summary>dst[start + 2i] += src[i], 16 at a time while the 32 values from dst[start + 2i] are inside dst (the odd lanes are
    /// written back as they were); returns how many were done (the caller adds the rest).</summary>
    public static int AddEven(Span<float> dst, int start, ReadOnlySpan<float> src)
    {
        var i = 0;
        if (!Vector512.IsHardwareAccelerated) return 0;
        ref var rd = ref MemoryMarshal.GetReference(dst);
        ref var rs = ref MemoryMarshal.GetReference(src);
        for (; i + 16 <= src.Length && start + 2 * i + 32 <= dst.Length; i += 16)
        {
            var at = (nuint)(start + 2 * i);
            var (even, odd) = Lanes.Split(Vector512.LoadUnsafe(ref rd, at), Vector512.LoadUnsafe(ref rd, at + 16));
            var (low, high) = Lanes.Interleave(even + Vector512.LoadUnsafe(ref rs, (nuint)i), odd);
            low.StoreUnsafe(ref rd, at);
            high.StoreUnsafe(ref rd, at + 16);
        }
        return i;
    }

}
