using System.Buffers;

namespace Relevance.Engine;

// A convolution's products with col(x) on large images, without the [K×P] im2col matrix: its panels are packed from the
// image (forward), or computed and scattered back onto the image (backward), one at a time while they sit in cache.
public static partial class Gemm
{
    /// <summary>C (+)= A · col(x) for A [M×K] and a convolution's geometry, packing col(x) panel by panel straight from the image.</summary>
    public static void MultiplyImage(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Geometry g, Span<float> c, bool accumulate = false)
    {
        var (m, k, n) = (g.M, g.K, g.P);
        if (a.Length < m * k || x.Length < g.InputSize || c.Length < m * n)
            throw new ArgumentException($"Gemm: spans too short for [{m}×{k}]·col(x) of an input of {g.InputSize} values.");
        if (!accumulate && k == 0) c[..(m * n)].Clear();
        if (m == 0 || n == 0 || k == 0) return;
        var packed = ArrayPool<float>.Shared.Rent(m * k);
        try
        {
            ImageProduct(PackRows(a, m, k, packed), Layout.Interleaved, m, x, g, c, !accumulate);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
        }
    }

    /// <summary>C (+)= A · col(x) for A packed once (a weight matrix [M×K]).</summary>
    internal static void MultiplyImage(PackedMatrix a, ReadOnlySpan<float> x, Geometry g, Span<float> c, bool accumulate = false)
    {
        if (a.Rows != g.M) throw new ArgumentException($"Gemm: a packed [{a.Rows}×{a.Columns}] matrix does not fit [{g.M}×{g.K}]·col(x).");
        MultiplyImage(a, g.M, x, g, c, accumulate);
    }

    // C (+)= A[..rows] · col(x) [rows×P] for the first `rows` rows of a packed A (see Multiply).
    internal static void MultiplyImage(PackedMatrix a, int rows, ReadOnlySpan<float> x, Geometry g, Span<float> c, bool accumulate)
    {
        if (!a.HasPrefix(rows) || a.Columns != g.K || x.Length < g.InputSize || c.Length < rows * g.P)
            throw new ArgumentException($"Gemm: the first {rows} rows of a packed [{a.Rows}×{a.Columns}] matrix and an input of {x.Length} values do not fit [{rows}×{g.K}]·col(x) of {g.InputSize} values.");
        if (!accumulate && g.K == 0) c[..(rows * g.P)].Clear();
        if (rows == 0 || g.P == 0 || g.K == 0) return;
        ImageProduct(a.Data.AsSpan(0, rows * g.K), a.Layout, rows, x, g, c, !accumulate);
    }

    private static void ImageProduct(ReadOnlySpan<float> packedA, Layout layout, int m, ReadOnlySpan<float> x, Geometry g, Span<float> c, bool overwrite)
    {
        var (k, n) = (g.K, g.P);
        var width = Width;
        var panels = (n + width - 1) / width;
        if ((long)m * n * k < ParallelThreshold) Run(packedA, layout, new ImagePanels(x, g), c, m, k, n, 0, panels, 0, m, width, overwrite);
        else RunParallel(packedA, layout, x, g, c, m, k, n, panels, Kernels.Parallelism.Cores, width, overwrite);
    }

    /// <summary>x += col2im(Vᵀ · S) for Vᵀ [K×M] and S [M×P]: a convolution's backward product, scattered onto the image panel by panel.</summary>
    /// <remarks>Split across cores by input channels, whose pixels no other channel's rows touch.</remarks>
    public static void MultiplyIntoImage(ReadOnlySpan<float> vt, ReadOnlySpan<float> s, Geometry g, Span<float> x)
    {
        if (vt.Length < g.K * g.M || s.Length < g.M * g.P || x.Length < g.InputSize)
            throw new ArgumentException($"Gemm: spans too short for col2im([{g.K}×{g.M}]·[{g.M}×{g.P}]) onto an input of {g.InputSize} values.");
        if (g.K == 0 || g.M == 0 || g.P == 0) return;
        var workers = (long)g.K * g.M * g.P < ParallelThreshold ? 1 : Math.Min(Kernels.Parallelism.Cores, g.InChannels);
        if (workers < 2)
        {
            Scatter(vt, s, g, x, 0, g.InChannels);
            return;
        }
        unsafe
        {
            fixed (float* pv = vt, ps = s, px = x)
            {
                var (iv, isv, ix) = ((nint)pv, (nint)ps, (nint)px);
                Workers.For(workers, w => Scatter(new ReadOnlySpan<float>((float*)iv, g.K * g.M), new ReadOnlySpan<float>((float*)isv, g.M * g.P), g,
                    new Span<float>((float*)ix, g.InputSize), g.InChannels * w / workers, g.InChannels * (w + 1) / workers));
            }
        }
    }

    private static void Scatter(ReadOnlySpan<float> vt, ReadOnlySpan<float> s, Geometry g, Span<float> x, int channelFrom, int channelTo)
    {
        var (width, taps) = (Width, g.KernelHeight * g.KernelWidth);
        var rows = (channelTo - channelFrom) * taps;
        var packed = ArrayPool<float>.Shared.Rent(g.M * width);
        var scratch = ArrayPool<float>.Shared.Rent(rows * width);
        var packedRows = ArrayPool<float>.Shared.Rent(rows * g.M);
        try
        {
            var pb = packed.AsSpan(0, g.M * width);
            var tile = scratch.AsSpan(0, rows * width);
            var a = PackRows(vt.Slice(channelFrom * taps * g.M, rows * g.M), rows, g.M, packedRows);
            var source = new MatrixPanels(s, g.M, g.P);
            for (var j = 0; j < g.P; j += width)
            {
                var cols = Math.Min(width, g.P - j);
                source.Pack(j, cols, pb, width);
                Tiles(a, Layout.Interleaved, rows, pb, tile, g.M, 0, g.M, width, 0, 0, rows, overwrite: true);
                g.ScatterColumns(tile, j, cols, width, x, channelFrom, channelTo);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<float>.Shared.Return(packedRows);
        }
    }
}
