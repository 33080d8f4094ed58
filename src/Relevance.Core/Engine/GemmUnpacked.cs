using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

public static partial class Gemm
{
    /// <summary>C (+)= A · B straight from B's rows, without packing panels: for a short inner dimension k or a small product.</summary>
    /// <remarks>With few terms per output (a first convolution's 27 taps, a backward product through 64 channels) packing a
    /// panel of B costs as much as multiplying it, and small products spend as long padding ragged panels. Here B is taken
    /// 32 columns at a time, which stay in L1 while a 4-row × 2-vector tile of C per block of A's rows sums over k in
    /// registers; a ragged last block recomputes the final full vector and stores only its new lanes. Each element is
    /// summed over t in order, as in <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool)"/>.
    /// Column blocks are split across cores when <paramref name="parallel"/> and the product is large. Falls back to the
    /// packed kernel without AVX-512 or when a row is narrower than one vector.</remarks>
    public static void MultiplyUnpacked(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false, bool parallel = false)
    {
        const int w = 16;
        if (!Vector512.IsHardwareAccelerated || n < w || k == 0 || m == 0)
        {
            Multiply(a, b, c, m, k, n, accumulate, parallel);
            return;
        }
        if (m < 0 || a.Length < m * k || b.Length < k * n || c.Length < m * n)
            throw new ArgumentException($"Gemm: spans too short for [{m}×{k}]·[{k}×{n}].");
        var blocks = (n + 2 * w - 1) / (2 * w);
        // Two blocks per worker at least: a ragged last block rereads lanes of the block before, which must be its own worker's.
        var workers = !parallel || (long)m * n * k < ParallelThreshold ? 1 : Math.Min(blocks / 2, Kernels.Parallelism.Cores);
        if (workers < 2) Columns(a, b, c, m, k, n, 0, blocks, accumulate);
        else ColumnsParallel(a, b, c, m, k, n, blocks, workers, accumulate);
    }

    // Apart from MultiplyUnpacked because the lambda's captured variables would otherwise be allocated on every call.
    private static void ColumnsParallel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int blocks, int workers, bool accumulate)
    {
        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                var (ia, ib, ic, la, lb, lc) = ((nint)pa, (nint)pb, (nint)pc, a.Length, b.Length, c.Length);
                Workers.For(workers, part => Columns(new ReadOnlySpan<float>((float*)ia, la), new ReadOnlySpan<float>((float*)ib, lb),
                    new Span<float>((float*)ic, lc), m, k, n, blocks * part / workers, blocks * (part + 1) / workers, accumulate));
            }
        }
    }

    // Column blocks [from, to) of 32: whole ones as two vectors, a ragged last one as one or two vectors, the final one
    // shifted left to end at n with its first `skip` lanes (already done) left alone.
    private static void Columns(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int from, int to, bool accumulate)
    {
        const int w = 16;
        for (var block = from; block < to; block++)
        {
            var j = block * 2 * w;
            var left = n - j;
            if (left >= 2 * w) Block(a, b, c, m, k, n, j, 2, 0, accumulate);
            else if (left == w) Block(a, b, c, m, k, n, j, 1, 0, accumulate);
            else if (left > w)
            {
                Block(a, b, c, m, k, n, j, 1, 0, accumulate);
                Block(a, b, c, m, k, n, n - w, 1, 2 * w - left, accumulate);
            }
            else Block(a, b, c, m, k, n, n - w, 1, w - left, accumulate);
        }
    }

    // Every row of C over columns j..j + vectors·16: blocks of 4 rows, then the 1–3 left.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int j, int vectors, int skip, bool accumulate)
    {
        var i = 0;
        if (vectors == 2)
        {
            for (; i + 4 <= m; i += 4) Tile(a, b, c, i, j, k, n, 4, 2, 0, accumulate);
            switch (m - i)
            {
                case 3: Tile(a, b, c, i, j, k, n, 3, 2, 0, accumulate); break;
                case 2: Tile(a, b, c, i, j, k, n, 2, 2, 0, accumulate); break;
                case 1: Tile(a, b, c, i, j, k, n, 1, 2, 0, accumulate); break;
            }
            return;
        }
        for (; i + 4 <= m; i += 4) Tile(a, b, c, i, j, k, n, 4, 1, skip, accumulate);
        switch (m - i)
        {
            case 3: Tile(a, b, c, i, j, k, n, 3, 1, skip, accumulate); break;
            case 2: Tile(a, b, c, i, j, k, n, 2, 1, skip, accumulate); break;
            case 1: Tile(a, b, c, i, j, k, n, 1, 1, skip, accumulate); break;
        }
    }

    // C[i..i+rows, j..j+vectors·16] (+)= A[i..i+rows, :] · B[:, j..]; rows and vectors are constants at every call, so the
    // branches on them fold away and unused accumulators are never touched.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int i, int j, int k, int n, int rows, int vectors, int skip, bool accumulate)
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
        Store(ref rc, o, c00, c01, vectors, skip, accumulate);
        if (rows > 1) Store(ref rc, o + ldc, c10, c11, vectors, skip, accumulate);
        if (rows > 2) Store(ref rc, o + 2 * ldc, c20, c21, vectors, skip, accumulate);
        if (rows > 3) Store(ref rc, o + 3 * ldc, c30, c31, vectors, skip, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float rc, nuint at, Vector512<float> v0, Vector512<float> v1, int vectors, int skip, bool accumulate)
    {
        if (skip > 0)
        {
            // Lanes below `skip` belong to the previous block: keep what is there.
            var old = Vector512.LoadUnsafe(ref rc, at);
            var fresh = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(skip)).AsSingle();
            Vector512.ConditionalSelect(fresh, accumulate ? old + v0 : v0, old).StoreUnsafe(ref rc, at);
            return;
        }
        (accumulate ? Vector512.LoadUnsafe(ref rc, at) + v0 : v0).StoreUnsafe(ref rc, at);
        if (vectors == 2) (accumulate ? Vector512.LoadUnsafe(ref rc, at + 16) + v1 : v1).StoreUnsafe(ref rc, at + 16);
    }
}
