using System.Numerics.Tensors;

namespace Relevance.Engine;

/// <summary>Float32 pooling kernels: the forward reductions and the relevance redistributions of DTD.md §4.</summary>
internal static class Pooling
{
    public static void Forward(Pool2d p, Shape input, ReadOnlySpan<float> x, Span<float> y)
    {
        var (c, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = ((h - p.KernelHeight) / p.StrideHeight + 1, (w - p.KernelWidth) / p.StrideWidth + 1);
        for (var ch = 0; ch < c; ch++)
            for (var oy = 0; oy < oh; oy++)
                for (var ox = 0; ox < ow; ox++)
                {
                    double acc = p.Pool == PoolKind.Max ? double.NegativeInfinity : 0;
                    for (var ky = 0; ky < p.KernelHeight; ky++)
                        for (var kx = 0; kx < p.KernelWidth; kx++)
                        {
                            var v = x[(ch * h + oy * p.StrideHeight + ky) * w + ox * p.StrideWidth + kx];
                            acc = p.Pool switch
                            {
                                PoolKind.Max => Math.Max(acc, v),
                                PoolKind.Lp => acc + Math.Pow(Math.Abs(v), p.P),
                                _ => acc + v,
                            };
                        }
                    y[(ch * oh + oy) * ow + ox] = (float)(p.Pool switch
                    {
                        PoolKind.Average => acc / (p.KernelHeight * p.KernelWidth),
                        PoolKind.Lp => Math.Pow(acc, 1 / p.P),
                        _ => acc,
                    });
                }
    }

    /// <summary>Proportional (every pool, the paper's default) or winner-take-all (max-pooling only) redistribution.</summary>
    public static void Relevance(Pool2d p, Shape input, ReadOnlySpan<float> x, ReadOnlySpan<float> upper, Span<float> lower, PoolingRedistribution mode)
    {
        var (c, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = ((h - p.KernelHeight) / p.StrideHeight + 1, (w - p.KernelWidth) / p.StrideWidth + 1);
        var winnerTakesAll = p.Pool == PoolKind.Max && mode == PoolingRedistribution.WinnerTakeAll;
        lower.Clear();
        for (var ch = 0; ch < c; ch++)
            for (var oy = 0; oy < oh; oy++)
                for (var ox = 0; ox < ow; ox++)
                {
                    var r = upper[(ch * oh + oy) * ow + ox];
                    int Index(int ky, int kx) => (ch * h + oy * p.StrideHeight + ky) * w + ox * p.StrideWidth + kx;
                    var (total, best) = (0.0, Index(0, 0));
                    for (var ky = 0; ky < p.KernelHeight; ky++)
                        for (var kx = 0; kx < p.KernelWidth; kx++)
                        {
                            var i = Index(ky, kx);
                            total += x[i];
                            if (x[i] > x[best]) best = i;
                        }
                    if (winnerTakesAll)
                    {
                        lower[best] += r;
                        continue;
                    }
                    if (total == 0) continue;
                    var ratio = r / total;
                    for (var ky = 0; ky < p.KernelHeight; ky++)
                        for (var kx = 0; kx < p.KernelWidth; kx++)
                        {
                            var i = Index(ky, kx);
                            lower[i] += (float)(x[i] * ratio);
                        }
                }
    }

    /// <summary>lower_i = x_i / Σ x · r (zero when Σ x = 0).</summary>
    public static void Proportional(ReadOnlySpan<float> x, float r, Span<float> lower)
    {
        var total = 0.0;
        foreach (var v in x) total += v;
        if (total == 0)
        {
            lower.Clear();
            return;
        }
        TensorPrimitives.Multiply(x, (float)(r / total), lower);
    }
}
