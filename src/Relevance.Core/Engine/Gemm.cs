using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Single-precision matrix products for the engine: C (+)= A · B with row-major A [m×k], B [k×n], C [m×n].</summary>
/// <remarks>A register-blocked kernel keeps a 4-row × 2-vector tile of C in registers across k, over column panels of B that
/// stay in L2; a ragged last panel is packed into a zero-padded copy so every tile runs the fast kernel. Work is split
/// across cores by panels, or by rows when there are few panels. n = 1 is a row-wise dot product.</remarks>
public static class Gemm
{
    private const int Rows = 4;
    private const int ParallelThreshold = 1 << 18;

    private static int Width => Vector512.IsHardwareAccelerated ? 2 * Vector512<float>.Count : 2 * Vector256<float>.Count;

    /// <summary>C = A · B, or C += A · B when <paramref name="accumulate"/>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        if (m < 0 || k < 0 || n < 0 || a.Length < m * k || b.Length < k * n || c.Length < m * n)
            throw new ArgumentException($"Gemm: spans too short for [{m}×{k}]·[{k}×{n}].");
        if (!accumulate) c[..(m * n)].Clear();
        if (m == 0 || n == 0 || k == 0) return;
        if (n == 1)
        {
            for (var i = 0; i < m; i++) c[i] += System.Numerics.Tensors.TensorPrimitives.Dot(a.Slice(i * k, k), b[..k]);
            return;
        }
        var width = Width;
        var panels = (n + width - 1) / width;
        var workers = (long)m * n * k < ParallelThreshold ? 1 : Environment.ProcessorCount;
        if (workers < 2)
        {
            Run(a, b, c, m, k, n, 0, panels, 0, m, width);
            return;
        }
        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                var (ia, ib, ic) = ((nint)pa, (nint)pb, (nint)pc);
                var byPanels = panels >= 2 * workers;
                var rowBlocks = (m + Rows - 1) / Rows;
                var parts = Math.Min(workers, byPanels ? panels : rowBlocks);
                Parallel.For(0, parts, w =>
                {
                    var sa = new ReadOnlySpan<float>((float*)ia, m * k);
                    var sb = new ReadOnlySpan<float>((float*)ib, k * n);
                    var sc = new Span<float>((float*)ic, m * n);
                    if (byPanels) Run(sa, sb, sc, m, k, n, panels * w / parts, panels * (w + 1) / parts, 0, m, width);
                    else Run(sa, sb, sc, m, k, n, 0, panels, Math.Min(m, rowBlocks * w / parts * Rows), Math.Min(m, rowBlocks * (w + 1) / parts * Rows), width);
                });
            }
        }
    }

    private static void Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int panelFrom, int panelTo, int rowFrom, int rowTo, int width)
    {
        for (var p = panelFrom; p < panelTo; p++)
        {
            var j = p * width;
            var cols = Math.Min(width, n - j);
            if (cols == width)
            {
                Rows4(a, b, c, k, n, j, rowFrom, rowTo);
                continue;
            }
            // The ragged last panel: B's columns zero-padded to a full panel, C's rows through a padded scratch tile.
            var rows = rowTo - rowFrom;
            var packedB = ArrayPool<float>.Shared.Rent(k * width);
            var packedC = ArrayPool<float>.Shared.Rent(rows * width);
            try
            {
                var pb = packedB.AsSpan(0, k * width);
                var pc = packedC.AsSpan(0, rows * width);
                pc.Clear();
                for (var t = 0; t < k; t++)
                {
                    b.Slice(t * n + j, cols).CopyTo(pb.Slice(t * width, cols));
                    pb.Slice(t * width + cols, width - cols).Clear();
                }
                Rows4(a.Slice(rowFrom * k), pb, pc, k, width, 0, 0, rows);
                for (var i = 0; i < rows; i++)
                    System.Numerics.Tensors.TensorPrimitives.Add(c.Slice((rowFrom + i) * n + j, cols), pc.Slice(i * width, cols), c.Slice((rowFrom + i) * n + j, cols));
            }
            finally
            {
                ArrayPool<float>.Shared.Return(packedB);
                ArrayPool<float>.Shared.Return(packedC);
            }
        }
    }

    private static void Rows4(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int k, int n, int j, int rowFrom, int rowTo)
    {
        var i = rowFrom;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Rows <= rowTo; i += Rows) Tile512(a, b, c, i, j, k, n, Rows);
            for (; i < rowTo; i++) Tile512(a, b, c, i, j, k, n, 1);
        }
        else
        {
            for (; i + Rows <= rowTo; i += Rows) Tile256(a, b, c, i, j, k, n, Rows);
            for (; i < rowTo; i++) Tile256(a, b, c, i, j, k, n, 1);
        }
    }

    // C[i..i+rows, j..j+2w] += A[i..i+rows, :] · B[:, j..j+2w] with up to 8 accumulators in registers (rows is 4 or 1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile512(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int i, int j, int k, int n, int rows)
    {
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rc = ref MemoryMarshal.GetReference(c);
        var w = Vector512<float>.Count;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        if (rows == Rows)
        {
            for (var t = 0; t < k; t++)
            {
                var b0 = Vector512.LoadUnsafe(ref rb, (nuint)(t * n + j));
                var b1 = Vector512.LoadUnsafe(ref rb, (nuint)(t * n + j + w));
                var a0 = Vector512.Create(Unsafe.Add(ref ra, i * k + t));
                var a1 = Vector512.Create(Unsafe.Add(ref ra, (i + 1) * k + t));
                var a2 = Vector512.Create(Unsafe.Add(ref ra, (i + 2) * k + t));
                var a3 = Vector512.Create(Unsafe.Add(ref ra, (i + 3) * k + t));
                c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            }
            Store512(ref rc, (i + 1) * n + j, c10, c11, w);
            Store512(ref rc, (i + 2) * n + j, c20, c21, w);
            Store512(ref rc, (i + 3) * n + j, c30, c31, w);
        }
        else
        {
            for (var t = 0; t < k; t++)
            {
                var a0 = Vector512.Create(Unsafe.Add(ref ra, i * k + t));
                c00 = Vector512.FusedMultiplyAdd(a0, Vector512.LoadUnsafe(ref rb, (nuint)(t * n + j)), c00);
                c01 = Vector512.FusedMultiplyAdd(a0, Vector512.LoadUnsafe(ref rb, (nuint)(t * n + j + w)), c01);
            }
        }
        Store512(ref rc, i * n + j, c00, c01, w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(ref float rc, int at, Vector512<float> v0, Vector512<float> v1, int w)
    {
        (Vector512.LoadUnsafe(ref rc, (nuint)at) + v0).StoreUnsafe(ref rc, (nuint)at);
        (Vector512.LoadUnsafe(ref rc, (nuint)(at + w)) + v1).StoreUnsafe(ref rc, (nuint)(at + w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile256(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int i, int j, int k, int n, int rows)
    {
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rc = ref MemoryMarshal.GetReference(c);
        var w = Vector256<float>.Count;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        if (rows == Rows)
        {
            for (var t = 0; t < k; t++)
            {
                var b0 = Vector256.LoadUnsafe(ref rb, (nuint)(t * n + j));
                var b1 = Vector256.LoadUnsafe(ref rb, (nuint)(t * n + j + w));
                var a0 = Vector256.Create(Unsafe.Add(ref ra, i * k + t));
                var a1 = Vector256.Create(Unsafe.Add(ref ra, (i + 1) * k + t));
                var a2 = Vector256.Create(Unsafe.Add(ref ra, (i + 2) * k + t));
                var a3 = Vector256.Create(Unsafe.Add(ref ra, (i + 3) * k + t));
                c00 = Vector256.FusedMultiplyAdd(a0, b0, c00); c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
                c10 = Vector256.FusedMultiplyAdd(a1, b0, c10); c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
                c20 = Vector256.FusedMultiplyAdd(a2, b0, c20); c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
                c30 = Vector256.FusedMultiplyAdd(a3, b0, c30); c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            }
            Store256(ref rc, (i + 1) * n + j, c10, c11, w);
            Store256(ref rc, (i + 2) * n + j, c20, c21, w);
            Store256(ref rc, (i + 3) * n + j, c30, c31, w);
        }
        else
        {
            for (var t = 0; t < k; t++)
            {
                var a0 = Vector256.Create(Unsafe.Add(ref ra, i * k + t));
                c00 = Vector256.FusedMultiplyAdd(a0, Vector256.LoadUnsafe(ref rb, (nuint)(t * n + j)), c00);
                c01 = Vector256.FusedMultiplyAdd(a0, Vector256.LoadUnsafe(ref rb, (nuint)(t * n + j + w)), c01);
            }
        }
        Store256(ref rc, i * n + j, c00, c01, w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(ref float rc, int at, Vector256<float> v0, Vector256<float> v1, int w)
    {
        (Vector256.LoadUnsafe(ref rc, (nuint)at) + v0).StoreUnsafe(ref rc, (nuint)at);
        (Vector256.LoadUnsafe(ref rc, (nuint)(at + w)) + v1).StoreUnsafe(ref rc, (nuint)(at + w));
    }
}
