using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Single-precision matrix products for the engine: C (+)= A · B with row-major A [m×k], B [k×n], C [m×n].</summary>
/// <remarks>A register-blocked kernel (4 rows × 2 Vector512 of C held in registers across k) over panels of B that stay
/// in L2; panels are split across cores when the product is large. n = 1 is a row-wise dot product.</remarks>
public static class Gemm
{
    private const int Rows = 4;
    private const int ParallelThreshold = 1 << 20;

    /// <summary>C = A · B, or C += A · B when <paramref name="accumulate"/>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        if (a.Length < m * k || b.Length < k * n || c.Length < m * n)
            throw new ArgumentException($"Gemm: spans too short for [{m}×{k}]·[{k}×{n}].");
        if (!accumulate) c[..(m * n)].Clear();
        if (m == 0 || n == 0 || k == 0) return;
        if (n == 1)
        {
            for (var i = 0; i < m; i++) c[i] += System.Numerics.Tensors.TensorPrimitives.Dot(a.Slice(i * k, k), b[..k]);
            return;
        }
        var width = Vector512.IsHardwareAccelerated ? 2 * Vector512<float>.Count : 2 * Vector256<float>.Count;
        var panels = (n + width - 1) / width;
        if ((long)m * n * k < ParallelThreshold || panels < 2 || Environment.ProcessorCount < 2)
        {
            Panels(a, b, c, m, k, n, 0, panels, width);
            return;
        }
        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                var (ia, ib, ic) = ((nint)pa, (nint)pb, (nint)pc);
                var workers = Math.Min(Environment.ProcessorCount, panels);
                Parallel.For(0, workers, w =>
                {
                    var from = panels * w / workers;
                    var to = panels * (w + 1) / workers;
                    Panels(new ReadOnlySpan<float>((float*)ia, m * k), new ReadOnlySpan<float>((float*)ib, k * n),
                        new Span<float>((float*)ic, m * n), m, k, n, from, to, width);
                });
            }
        }
    }

    private static void Panels(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int from, int to, int width)
    {
        for (var p = from; p < to; p++)
        {
            var j = p * width;
            var cols = Math.Min(width, n - j);
            var i = 0;
            if (cols == width)
            {
                if (Vector512.IsHardwareAccelerated)
                    for (; i + Rows <= m; i += Rows) Tile512(a, b, c, i, j, k, n);
                else
                    for (; i + Rows <= m; i += Rows) Tile256(a, b, c, i, j, k, n);
            }
            Edge(a, b, c, i, m, j, cols, k, n);
        }
    }

    // C[i..i+4, j..j+32] += A[i..i+4, :] · B[:, j..j+32], with the 8 accumulators in registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile512(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int i, int j, int k, int n)
    {
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rc = ref MemoryMarshal.GetReference(c);
        var w = Vector512<float>.Count;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
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
        Store(ref rc, i * n + j, c00, c01, w);
        Store(ref rc, (i + 1) * n + j, c10, c11, w);
        Store(ref rc, (i + 2) * n + j, c20, c21, w);
        Store(ref rc, (i + 3) * n + j, c30, c31, w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float rc, int at, Vector512<float> v0, Vector512<float> v1, int w)
    {
        (Vector512.LoadUnsafe(ref rc, (nuint)at) + v0).StoreUnsafe(ref rc, (nuint)at);
        (Vector512.LoadUnsafe(ref rc, (nuint)(at + w)) + v1).StoreUnsafe(ref rc, (nuint)(at + w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile256(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int i, int j, int k, int n)
    {
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rc = ref MemoryMarshal.GetReference(c);
        var w = Vector256<float>.Count;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
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
        foreach (var (row, v0, v1) in new[] { (i, c00, c01), (i + 1, c10, c11), (i + 2, c20, c21), (i + 3, c30, c31) })
        {
            (Vector256.LoadUnsafe(ref rc, (nuint)(row * n + j)) + v0).StoreUnsafe(ref rc, (nuint)(row * n + j));
            (Vector256.LoadUnsafe(ref rc, (nuint)(row * n + j + w)) + v1).StoreUnsafe(ref rc, (nuint)(row * n + j + w));
        }
    }

    // Rows [from, to) of C over columns [j, j + cols), by axpy along k.
    private static void Edge(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int from, int to, int j, int cols, int k, int n)
    {
        for (var i = from; i < to; i++)
        {
            var row = c.Slice(i * n + j, cols);
            for (var t = 0; t < k; t++)
            {
                var s = a[i * k + t];
                if (s == 0) continue;
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.Slice(t * n + j, cols), s, row, row);
            }
        }
    }
}
