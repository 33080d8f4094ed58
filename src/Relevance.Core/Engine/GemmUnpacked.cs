using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

public static partial class Gemm
{
    /// <summary>C = A · B straight from B's rows, without packing panels: for products small enough to live in L2.</summary>
    /// <remarks>A small network's convolutions (a few channels, a few hundred positions) spend as long packing B and padding
    /// ragged panels as multiplying. Here a 4-row × 2-vector tile of C stays in registers across k and reads B where it is;
    /// a last partial column block is recomputed over the final full vector, which writes the same values again. Each
    /// element is summed over t in order, as in <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool)"/>.
    /// Falls back to the packed kernel without AVX-512 or when a row is narrower than one vector.</remarks>
    public static void MultiplyUnpacked(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
    {
        const int w = 16;
        if (!Vector512.IsHardwareAccelerated || n < w || k == 0)
        {
            MultiplySerial(a, b, c, m, k, n);
            return;
        }
        if (m < 0 || a.Length < m * k || b.Length < k * n || c.Length < m * n)
            throw new ArgumentException($"Gemm: spans too short for [{m}×{k}]·[{k}×{n}].");
        var i = 0;
        for (; i + 4 <= m; i += 4) Block(a, b, c, i, k, n, 4);
        switch (m - i)
        {
            case 3: Block(a, b, c, i, k, n, 3); break;
            case 2: Block(a, b, c, i, k, n, 2); break;
            case 1: Block(a, b, c, i, k, n, 1); break;
        }
    }

    // Rows i..i+rows of C, all columns: two vectors at a time, then one, then the last vector again if n is ragged.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int i, int k, int n, int rows)
    {
        const int w = 16;
        var j = 0;
        for (; j + 2 * w <= n; j += 2 * w) Tile(a, b, c, i, j, k, n, rows, 2);
        for (; j + w <= n; j += w) Tile(a, b, c, i, j, k, n, rows, 1);
        if (j < n) Tile(a, b, c, i, n - w, k, n, rows, 1);
    }

    // C[i..i+rows, j..j+vectors·16] = A[i..i+rows, :] · B[:, j..]; rows and vectors are constants at every call, so the
    // branches on them fold away and unused accumulators are never touched.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int i, int j, int k, int n, int rows, int vectors)
    {
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rc = ref MemoryMarshal.GetReference(c);
        const int w = 16;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        nuint row = (nuint)k, at = (nuint)(i * k), bj = (nuint)j;
        for (nuint t = 0; t < row; t++, bj += (nuint)n)
        {
            var b0 = Vector512.LoadUnsafe(ref rb, bj);
            var b1 = vectors == 2 ? Vector512.LoadUnsafe(ref rb, bj + w) : default;
            var x = Vector512.Create(Unsafe.Add(ref ra, at + t));
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            if (vectors == 2) c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            if (rows < 2) continue;
            x = Vector512.Create(Unsafe.Add(ref ra, at + row + t));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            if (vectors == 2) c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            if (rows < 3) continue;
            x = Vector512.Create(Unsafe.Add(ref ra, at + 2 * row + t));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            if (vectors == 2) c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            if (rows < 4) continue;
            x = Vector512.Create(Unsafe.Add(ref ra, at + 3 * row + t));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            if (vectors == 2) c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
        }
        var o = (nuint)(i * n + j);
        var ldc = (nuint)n;
        Store(ref rc, o, c00, c01, vectors);
        if (rows > 1) Store(ref rc, o + ldc, c10, c11, vectors);
        if (rows > 2) Store(ref rc, o + 2 * ldc, c20, c21, vectors);
        if (rows > 3) Store(ref rc, o + 3 * ldc, c30, c31, vectors);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float rc, nuint at, Vector512<float> v0, Vector512<float> v1, int vectors)
    {
        v0.StoreUnsafe(ref rc, at);
        if (vectors == 2) v1.StoreUnsafe(ref rc, at + 16);
    }
}
