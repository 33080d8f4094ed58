using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>A 3×3, stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3): 16 multiplications per 2×2 outputs
/// instead of 36 (Lavin &amp; Gray, 2016).</summary>
/// <remarks>Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for each 4×4 input tile d, the 16 element-wise products summed over input
/// channels as 16 matrix products [M×C]·[C×tiles]. Tiles are taken in bands of a multiple of 32 (the matrix kernel's panel
/// width), sized so that a band's transformed inputs and products stay in cache; bands are split across cores. The
/// transforms run on vectors of 16 tiles: an input row is split into even and odd columns, so a tile's d0..d3 are
/// E[i], O[i], E[i + 1], O[i + 1]. Each output reads only the inputs of its own 3×3 window, in floating point too (the
/// first output of d0..d3 is built from d0 − d2, d1 + d2 and d2 − d1, the second from d1 + d2, d2 − d1 and d1 − d3), so
/// an all-zero window gives exactly 0; otherwise rounding differs from a direct sum by a few units in the last place of
/// the window's largest terms, and callers that need a sign to be exact must restore it (see <see cref="LinearKernel"/>).</remarks>
internal sealed class Winograd
{
    private const int Tile = 16;
    private readonly Geometry _g;
    // G g Gᵀ: 16 matrices [M×C], one per position ξ = 4j + k of the transformed tile, packed for the product kernel.
    private readonly PackedMatrix[] _weights;
    private readonly int _tilesHigh, _tilesWide, _tiles, _band;

    /// <summary>Whether a convolution is worth it: 3×3, stride 1, enough channels on both sides that the 16 products, not
    /// the transforms, dominate, and enough tiles for two bands (measured: from 64 channels and 10×10 outputs on; a 7×7
    /// map's 16 tiles are as fast directly).</summary>
    public static bool Covers(Geometry g) => g.KernelHeight == 3 && g.KernelWidth == 3 && g.Stride == 1 && g.Dilation == 1 && g.InChannels >= 64 && g.OutChannels >= 64
        && g.OutHeight >= 10 && g.OutWidth >= 10;

    /// <summary>The backward product of a convolution V [M×C×3×3] with geometry g, x_grad = col2im(Vᵀ S), as a Winograd
    /// convolution of S [M×OH×OW] with the flipped, transposed kernel V'[c, m, ky, kx] = V[m, c, 2 − ky, 2 − kx] and padding
    /// 2 − p; null when g's transposed geometry is not covered.</summary>
    public static Winograd? Transposed(Geometry g, ReadOnlySpan<float> v)
    {
        if (g.KernelHeight != 3 || g.KernelWidth != 3 || g.Stride != 1 || g.Dilation != 1 || g.PadTop > 2 || g.PadLeft > 2) return null;
        var t = new Geometry(g.M, g.OutHeight, g.OutWidth, g.InChannels, 3, 3, 1, 2 - g.PadTop, 2 - g.PadLeft, g.Height, g.Width);
        if (!Covers(t)) return null;
        var (m, c) = (g.M, g.InChannels);
        var flipped = LargeArrays.Uninitialized<float>(m * c * 9);
        for (var o = 0; o < m; o++)
            for (var i = 0; i < c; i++)
                for (var k = 0; k < 9; k++) flipped[(i * m + o) * 9 + 8 - k] = v[(o * c + i) * 9 + k];
        return new Winograd(t, flipped);
    }

    /// <summary>Transforms W [M×C×3×3] once (in double precision), and a second kernel W₂ of the same shape when given, for
    /// <see cref="ApplyPair"/>.</summary>
    public Winograd(Geometry g, ReadOnlySpan<float> w, ReadOnlySpan<float> second = default)
    {
        _g = g;
        var (m, c) = (g.M, g.InChannels);
        // A second kernel's rows are stacked below the first's in each ξ's matrix: with M a multiple of 8 the first M rows
        // of the packed matrix are W's alone, so one matrix serves Apply (its first M rows) and ApplyPair (all of them).
        Paired = !second.IsEmpty && m % 8 == 0;
        var rows = Paired ? 2 * m : m;
        var weights = LargeArrays.Zeroed<float>(Tile * rows * c);
        Transform(w, weights, 0, rows, m, c);
        if (Paired) Transform(second, weights, m, rows, m, c);
        _weights = [.. Enumerable.Range(0, Tile).Select(xi => PackedMatrix.Of(weights.AsSpan(xi * rows * c, rows * c), rows, c))];
        (_tilesHigh, _tilesWide) = ((g.OutHeight + 1) / 2, (g.OutWidth + 1) / 2);
        _tiles = _tilesHigh * _tilesWide;
        // About 1 MB of transformed inputs or products per band, at least two panels, and at least two bands for two cores.
        var wanted = Math.Max(64, (1 << 18) / (Tile * Math.Max(c, rows)) / 32 * 32);
        _band = Math.Min(wanted, Math.Max(32, (_tiles + 1) / 2 + 31) / 32 * 32);
    }

    /// <summary>Whether a second kernel was taken (it is declined unless M is a multiple of 8).</summary>
    public bool Paired { get; }

    // G w Gᵀ of each [3×3] kernel of w into rows [offset, offset + m) of the 16 matrices [rows×C].
    private static void Transform(ReadOnlySpan<float> w, float[] weights, int offset, int rows, int m, int c)
    {
        Span<double> t = stackalloc double[12];
        Span<double> u = stackalloc double[4];
        for (var o = 0; o < m; o++)
            for (var i = 0; i < c; i++)
            {
                var k = w.Slice((o * c + i) * 9, 9);
                // t = G g: rows g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2 of the kernel's rows; then the same along columns.
                for (var col = 0; col < 3; col++)
                {
                    double g0 = k[col], g1 = k[3 + col], g2 = k[6 + col];
                    (t[col], t[3 + col], t[6 + col], t[9 + col]) = (g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2);
                }
                for (var j = 0; j < 4; j++)
                {
                    double g0 = t[3 * j], g1 = t[3 * j + 1], g2 = t[3 * j + 2];
                    (u[0], u[1], u[2], u[3]) = (g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2);
                    for (var kx = 0; kx < 4; kx++) weights[((4 * j + kx) * rows + offset + o) * c + i] = (float)u[kx];
                }
            }
    }

    /// <summary>y += W ∗ x over the geometry's output [M×OH×OW], or y = W ∗ x when not <paramref name="accumulate"/> (every
    /// output belongs to exactly one tile, so nothing needs clearing first).</summary>
    public void Apply(ReadOnlySpan<float> x, Span<float> y, bool accumulate = true)
    {
        Run(x, y, [], accumulate);
    }

    /// <summary>y (+)= W ∗ x and z = W₂ ∗ x in one pass: the input is transformed once for both kernels.</summary>
    public void ApplyPair(ReadOnlySpan<float> x, Span<float> y, Span<float> z, bool accumulate = true)
    {
        if (!Paired) throw new InvalidOperationException("Winograd: no second kernel was taken.");
        if (z.Length < _g.M * _g.P) throw new ArgumentException($"Winograd: a second output of {_g.M * _g.P} values is needed.");
        Run(x, y, z, accumulate);
    }

    private void Run(ReadOnlySpan<float> x, Span<float> y, Span<float> z, bool accumulate)
    {
        var g = _g;
        if (x.Length < g.InputSize || y.Length < g.M * g.P)
            throw new ArgumentException($"Winograd: an input of {g.InputSize} values and an output of {g.M * g.P} are needed.");
        var bands = (_tiles + _band - 1) / _band;
        var workers = Math.Min(bands, Kernels.Parallelism.Cores);
        // Every worker's scratch is rented here, on the calling thread, and returned here: rented on pool threads, the
        // megabytes of a band's buffers missed the pool's per-thread cache now and then and were allocated anew.
        var scratch = ScratchSize(!z.IsEmpty);
        var rented = ArrayPool<float>.Shared.Rent(Math.Max(1, workers) * scratch);
        try
        {
            if (workers < 2) Bands(x, y, z, 0, bands, accumulate, rented.AsSpan(0, scratch));
            else BandsParallel(x, y, z, bands, workers, accumulate, rented, scratch);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    // Transformed inputs, products and row scratch of one worker.
    private (int V, int P, int Rows) Scratch(bool paired)
    {
        return (Tile * _g.InChannels * _band, Tile * (paired ? 2 * _g.M : _g.M) * _band, 4 * RowLength + 16 * (_tilesWide + Tile));
    }

    // One padded input row of a band's tile rows, as TransformInput lays it out.
    private int RowLength => 2 * _tilesWide + 2 + 2 * Tile;

    private int ScratchSize(bool paired)
    {
        var (v, p, rows) = Scratch(paired);
        return v + p + rows;
    }

    // Apart from Apply so that the lambda's closure is allocated only when the work is split.
    private void BandsParallel(ReadOnlySpan<float> x, Span<float> y, Span<float> z, int bands, int workers, bool accumulate, float[] scratch, int size)
    {
        unsafe
        {
            fixed (float* px = x, py = y, pz = z)
            {
                var (ix, iy, iz, inputs, outputs, second) = ((nint)px, (nint)py, (nint)pz, _g.InputSize, _g.M * _g.P, z.IsEmpty ? 0 : _g.M * _g.P);
                Workers.For(workers, w => Bands(new ReadOnlySpan<float>((float*)ix, inputs), new Span<float>((float*)iy, outputs),
                    new Span<float>((float*)iz, second), bands * w / workers, bands * (w + 1) / workers, accumulate, scratch.AsSpan(w * size, size)));
            }
        }
    }

    // z empty: W's rows only; else both kernels' rows, W's into y and W₂'s written into z.
    private void Bands(ReadOnlySpan<float> x, Span<float> y, Span<float> z, int bandFrom, int bandTo, bool accumulate, Span<float> scratch)
    {
        var g = _g;
        var c = g.InChannels;
        var m = z.IsEmpty ? g.M : 2 * g.M;
        var (vSize, pSize, rowsSize) = Scratch(!z.IsEmpty);
        var vBuffer = scratch[..vSize];
        var pBuffer = scratch.Slice(vSize, pSize);
        var sBuffer = scratch.Slice(vSize + pSize, rowsSize);
        for (var band = bandFrom; band < bandTo; band++)
        {
            var t0 = band * _band;
            var count = Math.Min(_band, _tiles - t0);
            var v = vBuffer[..(Tile * c * count)];
            var p = pBuffer[..(Tile * m * count)];
            TransformInput(x, v, t0, count, sBuffer, RowLength);
            for (var xi = 0; xi < Tile; xi++)
                Gemm.Multiply(_weights[xi], m, v.Slice(xi * c * count, c * count), p.Slice(xi * m * count, m * count), count, accumulate: false, parallel: false);
            TransformOutput(p, m, 0, y, t0, count, accumulate);
            if (!z.IsEmpty) TransformOutput(p, m, g.M, z, t0, count, accumulate: false);
        }
    }

    // The part of tile row ty inside the band [t0, t0 + count): its first and end tile, and the band column of the first.
    private (int From, int To, int Column) Segment(int ty, int t0, int count)
    {
        var from = Math.Max(t0, ty * _tilesWide) - ty * _tilesWide;
        var to = Math.Min(t0 + count, (ty + 1) * _tilesWide) - ty * _tilesWide;
        return (from, to, ty * _tilesWide + from - t0);
    }

    // v[ξ][channel][tile] = (Bᵀ d B)_ξ: along x on each of a tile's four input rows, then along y.
    private void TransformInput(ReadOnlySpan<float> x, Span<float> v, int t0, int count, Span<float> scratch, int rowLength)
    {
        var g = _g;
        var stride = _tilesWide + Tile;
        for (var ty = t0 / _tilesWide; ty * _tilesWide < t0 + count; ty++)
        {
            var (from, to, column) = Segment(ty, t0, count);
            var n = to - from;
            for (var ch = 0; ch < g.InChannels; ch++)
            {
                var plane = x.Slice(ch * g.Height * g.Width, g.Height * g.Width);
                for (var r = 0; r < 4; r++)
                {
                    // The padded row from column 2·from − padLeft on, as pairs (E, O); zeros outside the image.
                    var row = scratch.Slice(r * rowLength, rowLength);
                    row.Clear();
                    var iy = 2 * ty - g.PadTop + r;
                    if (iy >= 0 && iy < g.Height)
                    {
                        var start = 2 * from - g.PadLeft;
                        var (a, b) = (Math.Max(0, start), Math.Min(g.Width, start + 2 * n + 2));
                        if (a < b) plane.Slice(iy * g.Width + a, b - a).CopyTo(row[(a - start)..]);
                    }
                    RowTransform(row, scratch.Slice(4 * rowLength + 4 * r * stride, 4 * stride), n, stride);
                }
                var rows = scratch.Slice(4 * rowLength, 16 * stride);
                for (var k = 0; k < 4; k++)
                    ColumnTransform(rows, k, stride, n, v, ch, column, count);
            }
        }
    }

    // From pairs (E[i], O[i]) of a padded row: T0 = E[i] − E[i+1], T1 = O[i] + E[i+1], T2 = E[i+1] − O[i], T3 = O[i] − O[i+1].
    private static void RowTransform(Span<float> row, Span<float> t, int n, int stride)
    {
        ref var rr = ref MemoryMarshal.GetReference(row);
        ref var rt = ref MemoryMarshal.GetReference(t);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var (e0, o0) = Lanes.Split(Vector512.LoadUnsafe(ref rr, (nuint)(2 * i)), Vector512.LoadUnsafe(ref rr, (nuint)(2 * i + 16)));
                var (e1, o1) = Lanes.Split(Vector512.LoadUnsafe(ref rr, (nuint)(2 * i + 2)), Vector512.LoadUnsafe(ref rr, (nuint)(2 * i + 18)));
                (e0 - e1).StoreUnsafe(ref rt, (nuint)i);
                (o0 + e1).StoreUnsafe(ref rt, (nuint)(stride + i));
                (e1 - o0).StoreUnsafe(ref rt, (nuint)(2 * stride + i));
                (o0 - o1).StoreUnsafe(ref rt, (nuint)(3 * stride + i));
            }
        }
        for (; i < n; i++)
        {
            float d0 = row[2 * i], d1 = row[2 * i + 1], d2 = row[2 * i + 2], d3 = row[2 * i + 3];
            (t[i], t[stride + i], t[2 * stride + i], t[3 * stride + i]) = (d0 - d2, d1 + d2, d2 - d1, d1 - d3);
        }
    }

    // Along y for the row transforms' k-th outputs R0..R3: ξ = k: R0 − R2, 4 + k: R1 + R2, 8 + k: R2 − R1, 12 + k: R1 − R3.
    private void ColumnTransform(Span<float> rows, int k, int stride, int n, Span<float> v, int ch, int column, int count)
    {
        var c = _g.InChannels;
        ref var rr = ref MemoryMarshal.GetReference(rows);
        ref var rv = ref MemoryMarshal.GetReference(v);
        var (r0, r1, r2, r3) = (k * stride, (4 + k) * stride, (8 + k) * stride, (12 + k) * stride);
        var (v0, v1, v2, v3) = ((k * c + ch) * count + column, ((4 + k) * c + ch) * count + column, ((8 + k) * c + ch) * count + column, ((12 + k) * c + ch) * count + column);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var a0 = Vector512.LoadUnsafe(ref rr, (nuint)(r0 + i));
                var a1 = Vector512.LoadUnsafe(ref rr, (nuint)(r1 + i));
                var a2 = Vector512.LoadUnsafe(ref rr, (nuint)(r2 + i));
                var a3 = Vector512.LoadUnsafe(ref rr, (nuint)(r3 + i));
                (a0 - a2).StoreUnsafe(ref rv, (nuint)(v0 + i));
                (a1 + a2).StoreUnsafe(ref rv, (nuint)(v1 + i));
                (a2 - a1).StoreUnsafe(ref rv, (nuint)(v2 + i));
                (a1 - a3).StoreUnsafe(ref rv, (nuint)(v3 + i));
            }
        }
        for (; i < n; i++)
        {
            float a0 = rows[r0 + i], a1 = rows[r1 + i], a2 = rows[r2 + i], a3 = rows[r3 + i];
            (v[v0 + i], v[v1 + i], v[v2 + i], v[v3 + i]) = (a0 - a2, a1 + a2, a2 - a1, a1 - a3);
        }
    }

    // y += Aᵀ P A per tile and output channel: A_k = P0k + P1k + P2k and B_k = P1k − P2k − P3k along the tile's rows, then
    // (A0 + A1 + A2, A1 − A2 − A3) and the same of B along its columns, interleaved into the two output rows and cropped.
    // p holds `m` rows per ξ; output channel o of y is row first + o.
    private void TransformOutput(ReadOnlySpan<float> p, int m, int first, Span<float> y, int t0, int count, bool accumulate)
    {
        var g = _g;
        Span<float> a = stackalloc float[4];
        Span<float> b = stackalloc float[4];
        ref var rp = ref MemoryMarshal.GetReference(p);
        ref var ry = ref MemoryMarshal.GetReference(y);
        for (var ty = t0 / _tilesWide; ty * _tilesWide < t0 + count; ty++)
        {
            var (from, to, column) = Segment(ty, t0, count);
            var n = to - from;
            for (var o = 0; o < g.M; o++)
            {
                var at = (first + o) * count + column;
                var plane = o * g.P;
                var oy = 2 * ty;
                var i = 0;
                // Whole vectors of 16 tiles while their 32 output columns are inside the row.
                if (Vector512.IsHardwareAccelerated)
                    for (; i + 16 <= n && 2 * (from + i) + 32 <= g.OutWidth; i += 16)
                    {
                        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
                        for (var k = 0; k < 4; k++)
                        {
                            var q0 = Vector512.LoadUnsafe(ref rp, (nuint)((k * m) * count + at + i));
                            var q1 = Vector512.LoadUnsafe(ref rp, (nuint)(((4 + k) * m) * count + at + i));
                            var q2 = Vector512.LoadUnsafe(ref rp, (nuint)(((8 + k) * m) * count + at + i));
                            var q3 = Vector512.LoadUnsafe(ref rp, (nuint)(((12 + k) * m) * count + at + i));
                            var (ak, bk) = (q0 + q1 + q2, q1 - q2 - q3);
                            switch (k)
                            {
                                case 0: (a0, b0) = (ak, bk); break;
                                case 1: (a1, b1) = (ak, bk); break;
                                case 2: (a2, b2) = (ak, bk); break;
                                default: (a3, b3) = (ak, bk); break;
                            }
                        }
                        var column0 = 2 * (from + i);
                        Interleaved(ref ry, plane + oy * g.OutWidth + column0, a0 + a1 + a2, a1 - a2 - a3, accumulate);
                        if (oy + 1 < g.OutHeight) Interleaved(ref ry, plane + (oy + 1) * g.OutWidth + column0, b0 + b1 + b2, b1 - b2 - b3, accumulate);
                    }
                for (; i < n; i++)
                {
                    for (var k = 0; k < 4; k++)
                    {
                        float q0 = p[(k * m) * count + at + i], q1 = p[((4 + k) * m) * count + at + i], q2 = p[((8 + k) * m) * count + at + i], q3 = p[((12 + k) * m) * count + at + i];
                        (a[k], b[k]) = (q0 + q1 + q2, q1 - q2 - q3);
                    }
                    var ox = 2 * (from + i);
                    Put(y, plane, oy, ox, a[0] + a[1] + a[2], a[1] - a[2] - a[3], accumulate);
                    if (oy + 1 < g.OutHeight) Put(y, plane, oy + 1, ox, b[0] + b[1] + b[2], b[1] - b[2] - b[3], accumulate);
                }
            }
        }
    }

    private void Put(Span<float> y, int plane, int oy, int ox, float left, float right, bool accumulate)
    {
        var row = plane + oy * _g.OutWidth;
        y[row + ox] = accumulate ? y[row + ox] + left : left;
        if (ox + 1 < _g.OutWidth) y[row + ox + 1] = accumulate ? y[row + ox + 1] + right : right;
    }

    // y[at .. at + 32] (+)= (left0, right0, left1, right1, …).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleaved(ref float y, int at, Vector512<float> left, Vector512<float> right, bool accumulate)
    {
        var (low, high) = Lanes.Interleave(left, right);
        if (accumulate)
        {
            (Vector512.LoadUnsafe(ref y, (nuint)at) + low).StoreUnsafe(ref y, (nuint)at);
            (Vector512.LoadUnsafe(ref y, (nuint)(at + 16)) + high).StoreUnsafe(ref y, (nuint)(at + 16));
            return;
        }
        low.StoreUnsafe(ref y, (nuint)at);
        high.StoreUnsafe(ref y, (nuint)(at + 16));
    }
}
