using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Single-precision matrix products for the engine: C (+)= A · B with row-major A [m×k], B [k×n], C [m×n].</summary>
/// <remarks>A is laid out once per product (or once for good, see <see cref="PackedMatrix"/>) with its 8-row tiles
/// interleaved, so the kernel's 8 broadcasts per step come from one cache line. A weight matrix kept for good may instead
/// be read where it is stored, with no copy: row-major (<see cref="PackedMatrix.RowMajor"/>, 8 rows k apart, read as fast)
/// or as the transpose of a stored matrix (<see cref="PackedMatrix.Transposed"/>, each step's 8 values consecutive, the
/// steps a row apart). Each column panel of B (32 wide with AVX-512, 16 with AVX2) is
/// packed contiguous and zero-padded, then a register-blocked kernel keeps an 8-row × 2-vector tile of C in registers
/// across k while streaming the panel from cache.
/// A ragged last panel goes through a padded scratch tile. A large transposed A is taken a block of columns and rows at a
/// time, each block multiplied by a group of panels while it sits in cache. Work is split across cores by panels, or by
/// rows when there are few panels. n = 1 is a row-wise dot product.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static partial class Gemm
{
    private const int Rows = 8;
    private const int ParallelThreshold = 1 << 18;

    private static int Width => Vector512.IsHardwareAccelerated ? 2 * Vector512<float>.Count : 2 * Vector256<float>.Count;

    /// <summary>C = A · B, or C += A · B when <paramref name="accumulate"/>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false) =>
        Multiply(a, b, c, m, k, n, accumulate, parallel: true);

    /// <summary>C (+)= A · B on the calling thread only: no task is scheduled, so nothing is allocated once the pool is warm.</summary>
    public static void MultiplySerial(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false) =>
        Multiply(a, b, c, m, k, n, accumulate, parallel: false);

    private static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate, bool parallel)
    {
        if (m < 0 || k < 0 || n < 0 || a.Length < m * k || b.Length < k * n || c.Length < m * n)
            throw new ArgumentException($"Gemm: spans too short for [{m}×{k}]·[{k}×{n}].");
        // Without accumulation the kernel writes each entry of C once: C is cleared only where nothing would write it.
        if (!accumulate && (n == 1 || k == 0)) c[..(m * n)].Clear();
        if (m == 0 || n == 0 || k == 0) return;
        if (n == 1)
        {
            MatrixVector(a, b, c, m, k, parallel);
            return;
        }
        var packed = ArrayPool<float>.Shared.Rent(m * k);
        try
        {
            Product(PackRows(a, m, k, packed), Layout.Interleaved, b, c, m, k, n, parallel, !accumulate);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
        }
    }

    /// <summary>C (+)= A · B for A packed once; on the calling thread only unless <paramref name="parallel"/>.</summary>
    internal static void Multiply(PackedMatrix a, ReadOnlySpan<float> b, Span<float> c, int n, bool accumulate, bool parallel)
    {
        var (m, k) = (a.Rows, a.Columns);
        if (n < 0 || b.Length < k * n || c.Length < m * n)
            throw new ArgumentException($"Gemm: spans too short for a packed [{m}×{k}]·[{k}×{n}].");
        if (!accumulate && k == 0) c[..(m * n)].Clear();
        if (m == 0 || n == 0 || k == 0) return;
        Product(a.Data, a.Layout, b, c, m, k, n, parallel, !accumulate);
    }

    // C (+)= A[..rows] · B for the first `rows` rows of a packed A: a whole number of its 8-row tiles, or all of it.
    internal static void Multiply(PackedMatrix a, int rows, ReadOnlySpan<float> b, Span<float> c, int n, bool accumulate, bool parallel)
    {
        var k = a.Columns;
        if (!a.HasPrefix(rows) || b.Length < k * n || c.Length < rows * n)
            throw new ArgumentException($"Gemm: the first {rows} rows of a packed [{a.Rows}×{k}] matrix cannot multiply [{k}×{n}] (B has {b.Length} values, C room for {c.Length}).");
        if (!accumulate && k == 0) c[..(rows * n)].Clear();
        if (rows == 0 || n == 0 || k == 0) return;
        Product(a.Data.AsSpan(0, rows * k), a.Layout, b, c, rows, k, n, parallel, !accumulate);
    }

    // C += A · B for A laid out as `layout` says, or C = A · B when `overwrite`.
    private static void Product(ReadOnlySpan<float> packedA, Layout layout, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool parallel, bool overwrite)
    {
        var width = Width;
        var panels = (n + width - 1) / width;
        var workers = !parallel || (long)m * n * k < ParallelThreshold ? 1 : Kernels.Parallelism.Cores;
        if (workers < 2) Run(packedA, layout, new MatrixPanels(b, k, n), c, m, k, n, 0, panels, 0, m, width, overwrite);
        else RunParallel(packedA, layout, b, null, c, m, k, n, panels, workers, width, overwrite);
    }

    /// <summary>A [m×k] with its whole 8-row tiles interleaved, so that the kernel reads a tile's 8 values of one column
    /// as 8 consecutive floats: tile q holds A[8q + r, t] at 8qk + 8t + r; the last m mod 8 rows follow as they are. Row
    /// i of a tile then starts at ik, as in A.</summary>
    internal static ReadOnlySpan<float> PackRows(ReadOnlySpan<float> a, int m, int k, Span<float> packed)
    {
        var tiled = m / Rows * Rows;
        ref var rp = ref MemoryMarshal.GetReference(packed);
        ref var ra = ref MemoryMarshal.GetReference(a);
        for (var q = 0; q < tiled; q += Rows)
        {
            ref var r0 = ref Unsafe.Add(ref ra, q * k);
            ref var tile = ref Unsafe.Add(ref rp, q * k);
            for (nuint t = 0, step = (nuint)k; t < step; t++)
                Vector256.Create(Unsafe.Add(ref r0, t), Unsafe.Add(ref r0, step + t), Unsafe.Add(ref r0, 2 * step + t), Unsafe.Add(ref r0, 3 * step + t),
                    Unsafe.Add(ref r0, 4 * step + t), Unsafe.Add(ref r0, 5 * step + t), Unsafe.Add(ref r0, 6 * step + t), Unsafe.Add(ref r0, 7 * step + t))
                    .StoreUnsafe(ref tile, t * Rows);
        }
        a.Slice(tiled * k, (m - tiled) * k).CopyTo(packed[(tiled * k)..]);
        return packed[..(m * k)];
    }

    // Apart from Multiply because the lambda's captured variables would otherwise be allocated on every call, serial or not.
    // `image` set: b is that geometry's input image rather than a matrix.
    private static void RunParallel(ReadOnlySpan<float> a, Layout layout, ReadOnlySpan<float> b, Geometry? image, Span<float> c, int m, int k, int n, int panels, int workers, int width, bool overwrite)
    {
        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                var bLength = b.Length;
                var (ia, ib, ic) = ((nint)pa, (nint)pb, (nint)pc);
                var byPanels = panels >= 2 * workers;
                var rowBlocks = (m + Rows - 1) / Rows;
                var parts = Math.Min(workers, byPanels ? panels : rowBlocks);
                Workers.For(parts, w =>
                {
                    var sa = new ReadOnlySpan<float>((float*)ia, m * k);
                    var sb = new ReadOnlySpan<float>((float*)ib, bLength);
                    var sc = new Span<float>((float*)ic, m * n);
                    var (pFrom, pTo) = byPanels ? (panels * w / parts, panels * (w + 1) / parts) : (0, panels);
                    var (rFrom, rTo) = byPanels ? (0, m) : (Math.Min(m, rowBlocks * w / parts * Rows), Math.Min(m, rowBlocks * (w + 1) / parts * Rows));
                    if (image is null) Run(sa, layout, new MatrixPanels(sb, k, n), sc, m, k, n, pFrom, pTo, rFrom, rTo, width, overwrite);
                    else Run(sa, layout, new ImagePanels(sb, image), sc, m, k, n, pFrom, pTo, rFrom, rTo, width, overwrite);
                });
            }
        }
    }

    // c += A · b for A [m×k]: a dot product per row; a large matrix (a fully connected layer) is split by rows across cores,
    // since reading its weights from memory is the cost.
    private static void MatrixVector(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, bool parallel)
    {
        var workers = !parallel ? 1 : (long)m * k < ParallelThreshold * 4 ? 1 : Math.Min(Kernels.Parallelism.Cores, m);
        if (workers < 2)
            for (var i = 0; i < m; i++) c[i] += System.Numerics.Tensors.TensorPrimitives.Dot(a.Slice(i * k, k), b[..k]);
        else MatrixVectorParallel(a, b, c, m, k, workers);
    }

    private static void MatrixVectorParallel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int workers)
    {
        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                var (ia, ib, ic) = ((nint)pa, (nint)pb, (nint)pc);
                Workers.For(workers, w =>
                {
                    var sa = new ReadOnlySpan<float>((float*)ia, m * k);
                    var sb = new ReadOnlySpan<float>((float*)ib, k);
                    var sc = new Span<float>((float*)ic, m);
                    for (var i = m * w / workers; i < m * (w + 1) / workers; i++) sc[i] += System.Numerics.Tensors.TensorPrimitives.Dot(sa.Slice(i * k, k), sb);
                });
            }
        }
    }

    // A matrix read as the transpose of a stored one (a backward product's W⁺ᵀ) is multiplied a block at a time once a
    // worker's share of it outgrows L2: each of its steps reads part of a cache line, a stored row apart, and every panel
    // of B would read all of it again from memory. A block of DepthBlock columns × RowBlock rows stays in cache while a
    // group of panels is multiplied by it (Goto and van de Geijn's layered product). Row-major and interleaved matrices,
    // read in long runs, were no faster blocked (docs/engine.md).
    private const int DepthBlock = 256;
    private const int RowBlock = 256;
    private const int PanelGroup = 8;
    private const int BlockedFrom = 1 << 19;

    private static void Run<TPanels>(ReadOnlySpan<float> a, Layout layout, TPanels source, Span<float> c, int m, int k, int n, int panelFrom, int panelTo, int rowFrom, int rowTo, int width, bool overwrite)
        where TPanels : IPanels, allows ref struct
    {
        var rows = rowTo - rowFrom;
        var blocked = layout == Layout.Transposed && k > DepthBlock && panelTo - panelFrom > 1 && (long)rows * k * sizeof(float) > BlockedFrom;
        var (group, depthBlock, rowBlock) = blocked ? (Math.Min(PanelGroup, panelTo - panelFrom), DepthBlock, RowBlock) : (1, k, rows);
        var packedB = ArrayPool<float>.Shared.Rent(group * k * width);
        var scratch = ArrayPool<float>.Shared.Rent(rows * width);
        try
        {
            var pc = scratch.AsSpan(0, rows * width);
            // The ragged last panel's rows are counted from rowFrom in the scratch tile: A is read from there too.
            var aFromRow = a.Slice(layout == Layout.Transposed ? rowFrom : rowFrom * k);
            for (var p0 = panelFrom; p0 < panelTo; p0 += group)
            {
                var count = Math.Min(group, panelTo - p0);
                // Each panel of B, contiguous and zero-padded to full width: the kernel then streams it from cache in order.
                for (var q = 0; q < count; q++)
                {
                    var j = (p0 + q) * width;
                    source.Pack(j, Math.Min(width, n - j), packedB.AsSpan(q * k * width, k * width), width);
                }
                for (var from = 0; from < k; from += depthBlock)
                {
                    var depth = Math.Min(depthBlock, k - from);
                    for (var r0 = rowFrom; r0 < rowTo; r0 += rowBlock)
                    {
                        var r1 = Math.Min(rowTo, r0 + rowBlock);
                        for (var q = 0; q < count; q++)
                        {
                            var j = (p0 + q) * width;
                            var pb = packedB.AsSpan(q * k * width + from * width, depth * width);
                            if (n - j >= width) Tiles(a, layout, m, pb, c, k, from, depth, n, j, r0, r1, overwrite && from == 0);
                            else Tiles(aFromRow, layout, m, pb, pc, k, from, depth, width, 0, r0 - rowFrom, r1 - rowFrom, from == 0);
                        }
                    }
                }
                var last = (p0 + count - 1) * width;
                if (n - last >= width) continue;
                for (var i = 0; i < rows; i++)
                {
                    var row = c.Slice((rowFrom + i) * n + last, n - last);
                    if (overwrite) pc.Slice(i * width, n - last).CopyTo(row);
                    else System.Numerics.Tensors.TensorPrimitives.Add(row, pc.Slice(i * width, n - last), row);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packedB);
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>How A [m×k] is laid out in memory.</summary>
    internal enum Layout
    {
        /// <summary>By <see cref="PackRows"/>: whole 8-row tiles interleaved, the last rows as they are.</summary>
        Interleaved,

        /// <summary>Row-major, as stored: entry (i, t) at i·k + t.</summary>
        RowMajor,

        /// <summary>The transpose of a row-major [k×m] matrix, as stored: entry (i, t) at t·m + i.</summary>
        Transposed,
    }

    // C[i.., j..j+width] += A[i.., :] · P for a packed panel P [k×width] and A [m×k] in `layout` (an interleaved one's
    // tiles start at rows that are multiples of 8): 8 rows at a time, then one at a time.
    // Only A's columns [from, from + depth) are read, against a panel of as many rows.
    private static void Tiles(ReadOnlySpan<float> a, Layout layout, int m, ReadOnlySpan<float> pb, Span<float> c, int k, int from, int depth, int ldc, int j, int rowFrom, int rowTo, bool overwrite)
    {
        var tiled = layout == Layout.Interleaved ? a.Length / k / Rows * Rows : 0;
        var rowsOfEight = layout == Layout.Interleaved ? tiled : rowTo;
        // Where entry (i + r, t) of a run of 8 rows from i is: i·tileStep + r·rowStep + t·columnStep.
        var (tileStep, rowStep, columnStep) = layout switch
        {
            Layout.Interleaved => (k, 1, Rows),
            Layout.RowMajor => (k, k, 1),
            _ => (1, 1, m),
        };
        var i = rowFrom;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i % Rows == 0 && i + Rows <= Math.Min(rowTo, rowsOfEight); i += Rows) Tile512x8(a, pb, c, i, j, from, depth, ldc, tileStep, rowStep, columnStep, overwrite);
            for (; i < rowTo; i++) Tile512x1(a, pb, c, i, j, depth, ldc, RowOf(i, layout, m, k, tiled, from), overwrite);
        }
        else
            for (; i < rowTo; i++) Tile256x1(a, pb, c, i, j, depth, ldc, RowOf(i, layout, m, k, tiled, from), overwrite);
    }

    // Where entry (i, from) of A is and how far apart row i's entries are.
    private static (int Start, int Step) RowOf(int i, Layout layout, int m, int k, int tiled, int from) => layout switch
    {
        Layout.Interleaved when i < tiled => (i / Rows * Rows * k + i % Rows + from * Rows, Rows),
        Layout.Transposed => (i + from * m, m),
        _ => (i * k + from, 1),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile512x8(ReadOnlySpan<float> a, ReadOnlySpan<float> pb, Span<float> c, int i, int j, int from, int k, int ldc, nint tileStep, nint rowStep, nint columnStep, bool overwrite)
    {
        ref var ra = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), i * tileStep + from * columnStep);
        ref var rb = ref MemoryMarshal.GetReference(pb);
        ref var rc = ref MemoryMarshal.GetReference(c);
        const int w = 16;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (nuint t = 0; t < (nuint)k; t++)
        {
            var b0 = Vector512.LoadUnsafe(ref rb, t * 2 * w);
            var b1 = Vector512.LoadUnsafe(ref rb, t * 2 * w + w);
            ref var column = ref Unsafe.Add(ref ra, (nint)t * columnStep);
            var x = Vector512.Create(column);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref column, 1 * rowStep));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref column, 2 * rowStep));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref column, 3 * rowStep));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref column, 4 * rowStep));
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref column, 5 * rowStep));
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref column, 6 * rowStep));
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref column, 7 * rowStep));
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        Store(ref rc, i * ldc + j, c00, c01, overwrite); Store(ref rc, (i + 1) * ldc + j, c10, c11, overwrite);
        Store(ref rc, (i + 2) * ldc + j, c20, c21, overwrite); Store(ref rc, (i + 3) * ldc + j, c30, c31, overwrite);
        Store(ref rc, (i + 4) * ldc + j, c40, c41, overwrite); Store(ref rc, (i + 5) * ldc + j, c50, c51, overwrite);
        Store(ref rc, (i + 6) * ldc + j, c60, c61, overwrite); Store(ref rc, (i + 7) * ldc + j, c70, c71, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile512x1(ReadOnlySpan<float> a, ReadOnlySpan<float> pb, Span<float> c, int i, int j, int k, int ldc, (int Start, int Step) row, bool overwrite)
    {
        var (start, step) = row;
        ref var ra = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), start);
        ref var rb = ref MemoryMarshal.GetReference(pb);
        ref var rc = ref MemoryMarshal.GetReference(c);
        const int w = 16;
        Vector512<float> c0 = default, c1 = default;
        for (nuint t = 0; t < (nuint)k; t++)
        {
            var x = Vector512.Create(Unsafe.Add(ref ra, t * (nuint)step));
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref rb, t * 2 * w), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref rb, t * 2 * w + w), c1);
        }
        Store(ref rc, i * ldc + j, c0, c1, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float rc, int at, Vector512<float> v0, Vector512<float> v1, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector512.LoadUnsafe(ref rc, (nuint)at);
            v1 += Vector512.LoadUnsafe(ref rc, (nuint)(at + 16));
        }
        v0.StoreUnsafe(ref rc, (nuint)at);
        v1.StoreUnsafe(ref rc, (nuint)(at + 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile256x1(ReadOnlySpan<float> a, ReadOnlySpan<float> pb, Span<float> c, int i, int j, int k, int ldc, (int Start, int Step) row, bool overwrite)
    {
        var (start, step) = row;
        ref var ra = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), start);
        ref var rb = ref MemoryMarshal.GetReference(pb);
        ref var rc = ref MemoryMarshal.GetReference(c);
        const int w = 8;
        Vector256<float> c0 = default, c1 = default;
        for (nuint t = 0; t < (nuint)k; t++)
        {
            var x = Vector256.Create(Unsafe.Add(ref ra, t * (nuint)step));
            c0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref rb, t * 2 * w), c0);
            c1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref rb, t * 2 * w + w), c1);
        }
        var at = (nuint)(i * ldc + j);
        if (!overwrite)
        {
            c0 += Vector256.LoadUnsafe(ref rc, at);
            c1 += Vector256.LoadUnsafe(ref rc, at + w);
        }
        c0.StoreUnsafe(ref rc, at);
        c1.StoreUnsafe(ref rc, at + w);
    }

    /// <summary>Packs the columns j ≤ q &lt; j + cols of B [k×n] into a zero-padded panel [k×width].</summary>
    private interface IPanels
    {
        void Pack(int j, int cols, Span<float> panel, int width);
    }

    private readonly ref struct MatrixPanels(ReadOnlySpan<float> b, int k, int n) : IPanels
    {
        private readonly ReadOnlySpan<float> _b = b;

        public void Pack(int j, int cols, Span<float> panel, int width)
        {
            for (var t = 0; t < k; t++)
            {
                _b.Slice(t * n + j, cols).CopyTo(panel.Slice(t * width, cols));
                if (cols < width) panel.Slice(t * width + cols, width - cols).Clear();
            }
        }
    }

    // B = col(x), packed straight from the image.
    private readonly ref struct ImagePanels(ReadOnlySpan<float> x, Geometry g) : IPanels
    {
        private readonly ReadOnlySpan<float> _x = x;

        public void Pack(int j, int cols, Span<float> panel, int width) => g.PackColumns(_x, j, cols, panel, width);
    }
}
