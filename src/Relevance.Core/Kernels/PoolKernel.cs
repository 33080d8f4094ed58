using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Relevance.Kernels;

/// <summary>Float32 pooling over [C×H×W] planes without padding, forward and proportional relevance, for generated code.</summary>
/// <remarks>Windows are read through one base offset each, and a window's relevance is spread without testing whether it
/// is zero: half the windows above a ReLU carry none, and a branch on that mispredicts more often than the multiply costs.
/// The 2×2, stride-2 window of LeNet-style networks is unrolled.</remarks>
public static class PoolKernel
{
    /// <summary>y = the maximum (<paramref name="max"/>) or the sum of each window, times <paramref name="scale"/>.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int channels, int height, int width, int outHeight, int outWidth, int stride, int size, bool max, float scale)
    {
        Check(x.Length, y.Length, channels, height, width, outHeight, outWidth, stride, size);
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var o = 0;
        for (var ch = 0; ch < channels; ch++)
            for (var oy = 0; oy < outHeight; oy++)
                for (var ox = 0; ox < outWidth; ox++, o++)
                {
                    ref var w0 = ref Unsafe.Add(ref rx, (ch * height + oy * stride) * width + ox * stride);
                    float v;
                    if (size == 2)
                        v = max
                            ? MathF.Max(MathF.Max(w0, Unsafe.Add(ref w0, 1)), MathF.Max(Unsafe.Add(ref w0, width), Unsafe.Add(ref w0, width + 1)))
                            : w0 + Unsafe.Add(ref w0, 1) + Unsafe.Add(ref w0, width) + Unsafe.Add(ref w0, width + 1);
                    else
                    {
                        v = max ? float.NegativeInfinity : 0f;
                        for (var ky = 0; ky < size; ky++)
                            for (var kx = 0; kx < size; kx++)
                            {
                                var e = Unsafe.Add(ref w0, ky * width + kx);
                                v = max ? MathF.Max(v, e) : v + e;
                            }
                    }
                    Unsafe.Add(ref ry, o) = v * scale;
                }
    }

    /// <summary>lower_i += x_i / Σ_window x · R_window for every window containing i (nothing where the window sums to 0).</summary>
    public static void Proportional(ReadOnlySpan<float> x, ReadOnlySpan<float> upper, Span<float> lower, int channels, int height, int width, int outHeight, int outWidth, int stride, int size)
    {
        Check(x.Length, upper.Length, channels, height, width, outHeight, outWidth, stride, size);
        InputChecks.RequireLength(lower.Length, x.Length, "lower relevance");
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ru = ref MemoryMarshal.GetReference(upper);
        ref var rl = ref MemoryMarshal.GetReference(lower);
        var o = 0;
        for (var ch = 0; ch < channels; ch++)
            for (var oy = 0; oy < outHeight; oy++)
                for (var ox = 0; ox < outWidth; ox++, o++)
                {
                    var at = (ch * height + oy * stride) * width + ox * stride;
                    ref var w0 = ref Unsafe.Add(ref rx, at);
                    ref var l0 = ref Unsafe.Add(ref rl, at);
                    if (size == 2)
                    {
                        var (a, b, c, d) = (w0, Unsafe.Add(ref w0, 1), Unsafe.Add(ref w0, width), Unsafe.Add(ref w0, width + 1));
                        var total = a + b + c + d;
                        var ratio = total == 0f ? 0f : Unsafe.Add(ref ru, o) / total;
                        l0 += a * ratio;
                        Unsafe.Add(ref l0, 1) += b * ratio;
                        Unsafe.Add(ref l0, width) += c * ratio;
                        Unsafe.Add(ref l0, width + 1) += d * ratio;
                        continue;
                    }
                    var sum = 0f;
                    for (var ky = 0; ky < size; ky++)
                        for (var kx = 0; kx < size; kx++) sum += Unsafe.Add(ref w0, ky * width + kx);
                    var share = sum == 0f ? 0f : Unsafe.Add(ref ru, o) / sum;
                    for (var ky = 0; ky < size; ky++)
                        for (var kx = 0; kx < size; kx++) Unsafe.Add(ref l0, ky * width + kx) += Unsafe.Add(ref w0, ky * width + kx) * share;
                }
    }

    // Every window inside the plane, and buffers long enough for the planes: the unchecked reads above rely on it.
    private static void Check(int inputs, int outputs, int channels, int height, int width, int outHeight, int outWidth, int stride, int size)
    {
        if (size < 1 || stride < 1 || (outHeight - 1) * stride + size > height || (outWidth - 1) * stride + size > width)
            throw new ArgumentException($"A {size}×{size} pool with stride {stride} does not give {outHeight}×{outWidth} windows inside {height}×{width}.");
        InputChecks.RequireLength(inputs, channels * height * width, "pooling input");
        InputChecks.RequireLength(outputs, channels * outHeight * outWidth, "pooling output");
    }
}
