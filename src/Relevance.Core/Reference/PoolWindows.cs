using System.Collections.Immutable;

namespace Relevance.Reference;

/// <summary>The input indices that each output of a pooling layer reduces over.</summary>
internal static class PoolWindows
{
    /// <summary>For each output k (row-major over [C, H', W']), the flat input indices of its window.</summary>
    public static ImmutableArray<ImmutableArray<int>> Of(Pool2d p, Shape input)
    {
        var (ch, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = p.OutputPlane(h, w);
        var windows = ImmutableArray.CreateBuilder<ImmutableArray<int>>(ch * oh * ow);
        for (var c = 0; c < ch; c++)
            for (var oy = 0; oy < oh; oy++)
                for (var ox = 0; ox < ow; ox++)
                {
                    var window = ImmutableArray.CreateBuilder<int>(p.KernelHeight * p.KernelWidth);
                    for (var ky = 0; ky < p.KernelHeight; ky++)
                        for (var kx = 0; kx < p.KernelWidth; kx++)
                        {
                            var (iy, ix) = (oy * p.StrideHeight - p.Pads.Top + ky, ox * p.StrideWidth - p.Pads.Left + kx);
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) window.Add((c * h + iy) * w + ix);
                        }
                    windows.Add(window.ToImmutable());
                }
        return windows.MoveToImmutable();
    }

    /// <summary>For GlobalAvgPool: each channel is one window.</summary>
    public static ImmutableArray<ImmutableArray<int>> Global(Shape input)
    {
        var plane = input[1] * input[2];
        return [.. Enumerable.Range(0, input[0]).Select(c => Enumerable.Range(c * plane, plane).ToImmutableArray())];
    }

    /// <summary>The position of the first maximum within a window.</summary>
    public static int ArgMax(ReadOnlySpan<double> x, ImmutableArray<int> window)
    {
        var best = window[0];
        foreach (var i in window)
            if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>(Σ |x|^p)^(1/p) over a window.</summary>
    public static double LpNorm(ReadOnlySpan<double> x, ImmutableArray<int> window, double p)
    {
        var s = 0.0;
        foreach (var i in window) s += Math.Pow(Math.Abs(x[i]), p);
        return Math.Pow(s, 1 / p);
    }
}
