using System.Numerics.Tensors;

namespace Relevance.Engine;

/// <summary>Float32 pooling kernels: the forward reductions and the relevance redistributions of docs/rules.md §4.</summary>
internal static class Pooling
{
    // The in-bounds window of output (oy, ox): padded positions are not part of it.
    private static (int Y0, int Y1, int X0, int X1) Window(Pool2d p, int h, int w, int oy, int ox)
    {
        var (y, x) = (oy * p.StrideHeight - p.Pads.Top, ox * p.StrideWidth - p.Pads.Left);
        return (Math.Max(0, y), Math.Min(h, y + p.KernelHeight), Math.Max(0, x), Math.Min(w, x + p.KernelWidth));
    }

    // Square, non-overlapping windows without padding (VGG's and LeNet's 2×2, stride 2) go window by window through
    // PoolKernel, which reads each input once; the separable passes would walk strided rows twice.
    private static bool Tiled(Pool2d p) => SeparablePooling.Covers(p) && p.KernelHeight == p.KernelWidth && p.StrideHeight == p.KernelHeight
        && p.StrideWidth == p.KernelWidth && p.Pads == default;

    /// <summary>Whether an explanation's forward pass leaves this pooling's window sums for its relevance (max-pooling
    /// redistributed in proportion, on the stride-2 route; see <see cref="StrideTwoPooling.Forward"/>).</summary>
    public static bool PairsSums(Pool2d p, PoolingRedistribution mode) =>
        p.Pool == PoolKind.Max && mode == PoolingRedistribution.Proportional && !Tiled(p) && StrideTwoPooling.Covers(p);

    /// <summary>y = the pooling of x, and the window sums into <paramref name="sums"/> when it is not empty (see <see cref="PairsSums"/>).</summary>
    public static void Forward(Pool2d p, Shape input, ReadOnlySpan<float> x, Span<float> y, Span<float> sums = default)
    {
        if (Tiled(p))
        {
            var (th, tw) = p.OutputPlane(input[1], input[2]);
            Kernels.PoolKernel.Forward(x, y, input[0], input[1], input[2], th, tw, p.StrideHeight, p.KernelHeight, p.Pool == PoolKind.Max,
                p.Pool == PoolKind.Average ? 1f / (p.KernelHeight * p.KernelWidth) : 1f);
            return;
        }
        if (StrideTwoPooling.Covers(p))
        {
            StrideTwoPooling.Forward(p, input, x, y, sums);
            return;
        }
        if (SeparablePooling.Covers(p))
        {
            SeparablePooling.Forward(p, input, x, y);
            return;
        }
        // Lp pooling, the one kind left: (Σ_window |x|^p)^(1/p) per output.
        var (c, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = p.OutputPlane(h, w);
        for (var ch = 0; ch < c; ch++)
            for (var oy = 0; oy < oh; oy++)
                for (var ox = 0; ox < ow; ox++)
                {
                    var (y0, y1, x0, x1) = Window(p, h, w, oy, ox);
                    var acc = 0.0;
                    for (var iy = y0; iy < y1; iy++)
                        for (var ix = x0; ix < x1; ix++) acc += Math.Pow(Math.Abs(x[(ch * h + iy) * w + ix]), p.P);
                    y[(ch * oh + oy) * ow + ox] = (float)Math.Pow(acc, 1 / p.P);
                }
    }

    /// <summary>Proportional (every pool, the paper's default) or winner-take-all (max-pooling only) redistribution, from the
    /// window sums the forward pass left when <paramref name="sums"/> is not empty.</summary>
    public static void Relevance(Pool2d p, Shape input, ReadOnlySpan<float> x, ReadOnlySpan<float> upper, Span<float> lower, PoolingRedistribution mode,
        ReadOnlySpan<float> sums = default)
    {
        var (c, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = p.OutputPlane(h, w);
        var winnerTakesAll = p.Pool == PoolKind.Max && mode == PoolingRedistribution.WinnerTakeAll;
        if (!winnerTakesAll && Tiled(p))
        {
            lower.Clear();
            Kernels.PoolKernel.Proportional(x, upper, lower, c, h, w, oh, ow, p.StrideHeight, p.KernelHeight);
            return;
        }
        if (!winnerTakesAll && StrideTwoPooling.Covers(p))
        {
            StrideTwoPooling.Proportional(p, input, x, upper, lower, sums);
            return;
        }
        if (!winnerTakesAll && SeparablePooling.Covers(p))
        {
            SeparablePooling.Proportional(p, input, x, upper, lower);
            return;
        }
        lower.Clear();
        for (var ch = 0; ch < c; ch++)
            for (var oy = 0; oy < oh; oy++)
                for (var ox = 0; ox < ow; ox++)
                {
                    var r = upper[(ch * oh + oy) * ow + ox];
                    if (r == 0) continue;
                    var (y0, y1, x0, x1) = Window(p, h, w, oy, ox);
                    if (winnerTakesAll)
                    {
                        var best = (ch * h + y0) * w + x0;
                        for (var iy = y0; iy < y1; iy++)
                            for (var ix = x0; ix < x1; ix++)
                                if (x[(ch * h + iy) * w + ix] > x[best]) best = (ch * h + iy) * w + ix;
                        lower[best] += r;
                        continue;
                    }
                    var total = 0.0;
                    for (var iy = y0; iy < y1; iy++) total += TensorPrimitives.Sum(x.Slice((ch * h + iy) * w + x0, x1 - x0));
                    if (total == 0) continue;
                    var ratio = r / total;
                    for (var iy = y0; iy < y1; iy++)
                        for (var ix = x0; ix < x1; ix++)
                        {
                            var i = (ch * h + iy) * w + ix;
                            lower[i] += (float)(x[i] * ratio);
                        }
                }
    }

    /// <summary>The gradient of pooling: to the (first) maximum, evenly for sum and average, (|x|/‖x‖_p)^(p−1)·sign(x) for Lp.</summary>
    public static void Backward(Pool2d p, Shape input, ReadOnlySpan<float> x, ReadOnlySpan<float> upper, Span<float> lower)
    {
        var (c, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = p.OutputPlane(h, w);
        lower.Clear();
        for (var ch = 0; ch < c; ch++)
            for (var oy = 0; oy < oh; oy++)
                for (var ox = 0; ox < ow; ox++)
                {
                    var g = upper[(ch * oh + oy) * ow + ox];
                    var (y0, y1, x0, x1) = Window(p, h, w, oy, ox);
                    if (p.Pool == PoolKind.Max)
                    {
                        var best = (ch * h + y0) * w + x0;
                        for (var iy = y0; iy < y1; iy++)
                            for (var ix = x0; ix < x1; ix++)
                                if (x[(ch * h + iy) * w + ix] > x[best]) best = (ch * h + iy) * w + ix;
                        lower[best] += g;
                        continue;
                    }
                    var norm = 0.0;
                    if (p.Pool == PoolKind.Lp)
                    {
                        for (var iy = y0; iy < y1; iy++)
                            for (var ix = x0; ix < x1; ix++) norm += Math.Pow(Math.Abs(x[(ch * h + iy) * w + ix]), p.P);
                        norm = Math.Pow(norm, 1 / p.P);
                    }
                    for (var iy = y0; iy < y1; iy++)
                        for (var ix = x0; ix < x1; ix++)
                        {
                            var i = (ch * h + iy) * w + ix;
                            lower[i] += p.Pool switch
                            {
                                PoolKind.Sum => g,
                                PoolKind.Average => g / ((y1 - y0) * (x1 - x0)),
                                _ => norm == 0 ? 0 : (float)(g * Math.Sign(x[i]) * Math.Pow(Math.Abs(x[i]) / norm, p.P - 1)),
                            };
                        }
                }
    }

    /// <summary>lower_i = x_i / Σ x · r (zero when Σ x = 0).</summary>
    public static void Proportional(ReadOnlySpan<float> x, float r, Span<float> lower)
    {
        var total = Relevances.Measure(x).Sum;
        if (total == 0)
        {
            lower.Clear();
            return;
        }
        TensorPrimitives.Multiply(x, (float)(r / total), lower);
    }
}
