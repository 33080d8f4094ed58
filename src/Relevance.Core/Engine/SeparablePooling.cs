using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Numerics.Tensors;

namespace Relevance.Engine;

/// <summary>Max-, sum- and average-pooling and the proportional redistribution as separable window passes over whole rows.</summary>
/// <remarks>A k×k window is a k-wide pass along x followed by a k-tall pass along y, each a handful of vector operations
/// on shifted rows, instead of k² scalar reads per output (the cost of pooling in an inception module's 3×3, stride-1 branch).
/// Padded positions are not part of a window, as in <see cref="Pooling"/>.</remarks>
internal static class SeparablePooling
{
    /// <summary>Whether the separable route covers this pooling (every max, sum and average pooling; Lp is done per window).</summary>
    public static bool Covers(Pool2d p) => p.Pool is PoolKind.Max or PoolKind.Sum or PoolKind.Average;

    public static void Forward(Pool2d p, Shape input, ReadOnlySpan<float> x, Span<float> y)
    {
        var (c, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = p.OutputPlane(h, w);
        var max = p.Pool == PoolKind.Max;
        var rented = ArrayPool<float>.Shared.Rent(h * ow);
        try
        {
            var rows = rented.AsSpan(0, h * ow);
            for (var ch = 0; ch < c; ch++)
            {
                var plane = x.Slice(ch * h * w, h * w);
                var output = y.Slice(ch * oh * ow, oh * ow);
                AlongX(p, plane, rows, h, w, ow, max);
                AlongY(p, rows, output, h, oh, ow, max);
                if (p.Pool == PoolKind.Average) DivideByWindowSize(p, output, h, w, oh, ow);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    // rows[iy, ox] = max or sum of plane[iy, ox·s − p + kx] over the taps kx inside the image.
    private static void AlongX(Pool2d p, ReadOnlySpan<float> plane, Span<float> rows, int h, int w, int ow, bool max)
    {
        rows.Fill(max ? float.NegativeInfinity : 0f);
        for (var kx = 0; kx < p.KernelWidth; kx++)
        {
            var (a, b) = Geometry.ValidOutputs(kx, p.Pads.Left, p.StrideWidth, w, ow);
            if (a >= b) continue;
            if (p.StrideWidth == 1 && ow == w)
            {
                // The whole plane shifted by the tap at once; the few entries of each row that read across a row's end
                // are put back as they were (their tap lies outside the image).
                var d = kx - p.Pads.Left;
                Shifted(rows, plane, d, h, w, a, b, max);
                continue;
            }
            for (var iy = 0; iy < h; iy++)
            {
                var dst = rows.Slice(iy * ow + a, b - a);
                var start = iy * w + a * p.StrideWidth - p.Pads.Left + kx;
                if (p.StrideWidth == 1) Combine(dst, plane.Slice(start, b - a), max);
                else
                {
                    var i = p.StrideWidth == 2 ? CombineEven(dst, plane, start, max) : 0;
                    for (; i < dst.Length; i++)
                    {
                        var v = plane[start + i * p.StrideWidth];
                        dst[i] = max ? Math.Max(dst[i], v) : dst[i] + v;
                    }
                }
            }
        }
    }

    // output[oy, :] = max or sum of rows[oy·s − p + ky, :] over the taps ky inside the image.
    private static void AlongY(Pool2d p, ReadOnlySpan<float> rows, Span<float> output, int h, int oh, int ow, bool max)
    {
        output.Fill(max ? float.NegativeInfinity : 0f);
        if (p.StrideHeight == 1)
        {
            // Whole rows: each tap is one contiguous run of output rows.
            for (var ky = 0; ky < p.KernelHeight; ky++)
            {
                var (a, b) = Geometry.ValidOutputs(ky, p.Pads.Top, 1, h, oh);
                if (a < b) Combine(output.Slice(a * ow, (b - a) * ow), rows.Slice((a + ky - p.Pads.Top) * ow, (b - a) * ow), max);
            }
            return;
        }
        for (var oy = 0; oy < oh; oy++)
        {
            var dst = output.Slice(oy * ow, ow);
            for (var ky = 0; ky < p.KernelHeight; ky++)
            {
                var iy = oy * p.StrideHeight - p.Pads.Top + ky;
                if ((uint)iy < (uint)h) Combine(dst, rows.Slice(iy * ow, ow), max);
            }
        }
    }

    // dst[i] ∘= src[i + d] over a plane of h rows of w, for the columns [a, b) of each row whose tap is inside the row:
    // one operation over the whole plane, the other columns (at most |d| a row) kept as they were.
    private static void Shifted(Span<float> dst, ReadOnlySpan<float> src, int d, int h, int w, int a, int b, bool max) =>
        CombineKeeping(dst, Math.Max(0, -d), src, Math.Max(0, -d) + d, h * w - Math.Abs(d), h, w, a, b, 0, max);

    // dst[i + d] += src[i] for the columns [a, b) of each row of src: the whole plane at once, the entries of dst that a
    // column outside [a, b) would reach (across a row's end) kept as they were.
    private static void ShiftedBack(Span<float> dst, ReadOnlySpan<float> src, int d, int h, int w, int a, int b) =>
        CombineKeeping(dst, Math.Max(0, -d) + d, src, Math.Max(0, -d), h * w - Math.Abs(d), h, w, a, b, d, max: false);

    // dst[dstFrom + t] ∘= src[srcFrom + t] for t < n, except the entries dst[r·w + c + offset] of the columns c outside
    // [a, b) of each row r, which keep their values (saved before, put back after).
    private static void CombineKeeping(Span<float> dst, int dstFrom, ReadOnlySpan<float> src, int srcFrom, int n, int h, int w, int a, int b, int offset, bool max)
    {
        if (n <= 0) return;
        var saved = ArrayPool<float>.Shared.Rent(Math.Max(1, (w - (b - a)) * h));
        try
        {
            Kept(dst, saved, h, w, a, b, offset, save: true);
            Combine(dst.Slice(dstFrom, n), src.Slice(srcFrom, n), max);
            Kept(dst, saved, h, w, a, b, offset, save: false);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(saved);
        }
    }

    // Copies the kept entries of dst (see CombineKeeping) into `saved`, or back.
    private static void Kept(Span<float> dst, float[] saved, int h, int w, int a, int b, int offset, bool save)
    {
        var k = 0;
        for (var r = 0; r < h; r++)
            for (var c = 0; c < w; c++)
            {
                if (c == a) c = b;
                if (c >= w) break;
                var j = r * w + c + offset;
                if (j >= 0 && j < dst.Length)
                {
                    if (save) saved[k] = dst[j];
                    else dst[j] = saved[k];
                }
                k++;
            }
    }

    // dst[i] ∘= src[start + 2i], 16 at a time while 32 values from src[start + 2i] are inside src (even lanes of each 32);
    // returns how many were done.
    private static int CombineEven(Span<float> dst, ReadOnlySpan<float> src, int start, bool max)
    {
        var i = 0;
        if (!Vector512.IsHardwareAccelerated) return 0;
        ref var rd = ref MemoryMarshal.GetReference(dst);
        ref var rs = ref MemoryMarshal.GetReference(src);
        for (; i + 16 <= dst.Length && start + 2 * i + 32 <= src.Length; i += 16)
        {
            var (even, _) = Lanes.Split(Vector512.LoadUnsafe(ref rs, (nuint)(start + 2 * i)), Vector512.LoadUnsafe(ref rs, (nuint)(start + 2 * i + 16)));
            var d = Vector512.LoadUnsafe(ref rd, (nuint)i);
            (max ? Vector512.Max(d, even) : d + even).StoreUnsafe(ref rd, (nuint)i);
        }
        return i;
    }

    private static void Combine(Span<float> dst, ReadOnlySpan<float> src, bool max)
    {
        if (max) TensorPrimitives.Max(dst, src, dst);
        else TensorPrimitives.Add(dst, src, dst);
    }

    internal static void DivideByWindowSize(Pool2d p, Span<float> output, int h, int w, int oh, int ow)
    {
        for (var oy = 0; oy < oh; oy++)
        {
            var y0 = oy * p.StrideHeight - p.Pads.Top;
            var rows = Math.Min(h, y0 + p.KernelHeight) - Math.Max(0, y0);
            for (var ox = 0; ox < ow; ox++)
            {
                var x0 = ox * p.StrideWidth - p.Pads.Left;
                output[oy * ow + ox] /= rows * (Math.Min(w, x0 + p.KernelWidth) - Math.Max(0, x0));
            }
        }
    }

    /// <summary>lower = x ⊙ Σ over the windows holding each input of r / Σ_window x: the proportional redistribution (docs/rules.md §4).</summary>
    public static void Proportional(Pool2d p, Shape input, ReadOnlySpan<float> x, ReadOnlySpan<float> upper, Span<float> lower)
    {
        var (c, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = p.OutputPlane(h, w);
        var rented = ArrayPool<float>.Shared.Rent(h * ow + oh * ow + h * w);
        try
        {
            var rows = rented.AsSpan(0, h * ow);
            var ratio = rented.AsSpan(h * ow, oh * ow);
            var spread = rented.AsSpan(h * ow + oh * ow, h * w);
            for (var ch = 0; ch < c; ch++)
            {
                var plane = x.Slice(ch * h * w, h * w);
                AlongX(p, plane, rows, h, w, ow, max: false);
                AlongY(p, rows, ratio, h, oh, ow, max: false);
                var r = upper.Slice(ch * oh * ow, oh * ow);
                Kernels.RelevanceKernel.Ratios(r, ratio);
                SpreadAlongY(p, ratio, rows, h, oh, ow);
                SpreadAlongX(p, rows, spread, h, w, ow);
                TensorPrimitives.Multiply(plane, spread, lower.Slice(ch * h * w, h * w));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    // The adjoints of AlongY and AlongX with sums: every output's value added back onto each row, then each input, of its window.
    private static void SpreadAlongY(Pool2d p, ReadOnlySpan<float> ratio, Span<float> rows, int h, int oh, int ow)
    {
        rows.Clear();
        if (p.StrideHeight == 1)
        {
            for (var ky = 0; ky < p.KernelHeight; ky++)
            {
                var (a, b) = Geometry.ValidOutputs(ky, p.Pads.Top, 1, h, oh);
                if (a < b) Combine(rows.Slice((a + ky - p.Pads.Top) * ow, (b - a) * ow), ratio.Slice(a * ow, (b - a) * ow), max: false);
            }
            return;
        }
        for (var oy = 0; oy < oh; oy++)
            for (var ky = 0; ky < p.KernelHeight; ky++)
            {
                var iy = oy * p.StrideHeight - p.Pads.Top + ky;
                if ((uint)iy < (uint)h) Combine(rows.Slice(iy * ow, ow), ratio.Slice(oy * ow, ow), max: false);
            }
    }

    private static void SpreadAlongX(Pool2d p, ReadOnlySpan<float> rows, Span<float> spread, int h, int w, int ow)
    {
        spread.Clear();
        for (var kx = 0; kx < p.KernelWidth; kx++)
        {
            var (a, b) = Geometry.ValidOutputs(kx, p.Pads.Left, p.StrideWidth, w, ow);
            if (a >= b) continue;
            if (p.StrideWidth == 1 && ow == w)
            {
                // The adjoint of AlongX's shift: input i + d takes output i's value; the entries that would take a value
                // from across a row's end are put back.
                var d = kx - p.Pads.Left;
                ShiftedBack(spread, rows, d, h, w, a, b);
                continue;
            }
            for (var iy = 0; iy < h; iy++)
            {
                var src = rows.Slice(iy * ow + a, b - a);
                var start = iy * w + a * p.StrideWidth - p.Pads.Left + kx;
                if (p.StrideWidth == 1) Combine(spread.Slice(start, b - a), src, max: false);
                else
                {
                    var i = p.StrideWidth == 2 ? Lanes.AddEven(spread, start, src) : 0;
                    for (; i < src.Length; i++) spread[start + i * p.StrideWidth] += src[i];
                }
            }
        }
    }
}
