using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

public sealed partial record Geometry
{
    // im2col and col2im of a small image move many short lines (a 10-wide output row, 150 times per tap row): a span
    // copy or a TensorPrimitives call per line costs more than the line. These move a line of 8 to 32 values as two
    // overlapping vectors.

    // dst[0..n] = src[0..n].
    private static void CopyLine(ReadOnlySpan<float> src, Span<float> dst, int n)
    {
        if (n < 8 || n > 32 || !Vector256.IsHardwareAccelerated)
        {
            src[..n].CopyTo(dst);
            return;
        }
        if (dst.Length < n || src.Length < n) throw new ArgumentException("CopyLine: spans shorter than the line.");
        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        if (n >= 16 && Vector512.IsHardwareAccelerated)
        {
            var (a, b) = (Vector512.LoadUnsafe(ref s), Vector512.LoadUnsafe(ref s, (nuint)(n - 16)));
            a.StoreUnsafe(ref d);
            b.StoreUnsafe(ref d, (nuint)(n - 16));
            return;
        }
        if (n > 16)
        {
            src[..n].CopyTo(dst);
            return;
        }
        var (lo, hi) = (Vector256.LoadUnsafe(ref s), Vector256.LoadUnsafe(ref s, (nuint)(n - 8)));
        lo.StoreUnsafe(ref d);
        hi.StoreUnsafe(ref d, (nuint)(n - 8));
    }

    // dst[0..n] += src[0..n]. Both sums are formed before either is stored, and the one at the start is stored last, so
    // the values the two vectors share are added once.
    private static void AddLine(ReadOnlySpan<float> src, Span<float> dst, int n)
    {
        if (n < 8 || n > 32 || !Vector256.IsHardwareAccelerated || (n > 16 && !Vector512.IsHardwareAccelerated))
        {
            System.Numerics.Tensors.TensorPrimitives.Add(dst[..n], src[..n], dst);
            return;
        }
        if (dst.Length < n || src.Length < n) throw new ArgumentException("AddLine: spans shorter than the line.");
        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        if (n >= 16)
        {
            var at = (nuint)(n - 16);
            var first = Vector512.LoadUnsafe(ref d) + Vector512.LoadUnsafe(ref s);
            (Vector512.LoadUnsafe(ref d, at) + Vector512.LoadUnsafe(ref s, at)).StoreUnsafe(ref d, at);
            first.StoreUnsafe(ref d);
            return;
        }
        var tail = (nuint)(n - 8);
        var head = Vector256.LoadUnsafe(ref d) + Vector256.LoadUnsafe(ref s);
        (Vector256.LoadUnsafe(ref d, tail) + Vector256.LoadUnsafe(ref s, tail)).StoreUnsafe(ref d, tail);
        head.StoreUnsafe(ref d);
    }
}
