using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Kernels;

/// <summary>Float32 pooling over [C×H×W] planes without padding, forward and proportional relevance, for generated code.</summary>
/// <remarks>Windows are read through one base offset each, and a window's relevance is spread without testing whether it
/// is zero: half the windows above a ReLU carry none, and a branch on that mispredicts more often than the multiply costs.
/// The 2×2, stride-2 window of LeNet- and VGG-style networks is unrolled, and runs 16 windows at a time as vectors where a
/// row has 16 left (pairs of columns split and joined by <see cref="Engine.Lanes"/>).</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class PoolKernel
{
    /// <summary>y = the maximum (<paramref name="max"/>) or the sum of each window, times <paramref name="scale"/>.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int channels, int height, int width, int outHeight, int outWidth, int stride, int size, bool max, float scale)
    {
        Check(x.Length, y.Length, channels, height, width, outHeight, outWidth, stride, size);
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var vectors = size == 2 && stride == 2 && Vector512.IsHardwareAccelerated;
        for (var ch = 0; ch < channels; ch++)
            for (var oy = 0; oy < outHeight; oy++)
            {
                var (o, ox) = ((ch * outHeight + oy) * outWidth, 0);
                if (vectors)
                    for (; ox + 16 <= outWidth; ox += 16)
                    {
                        ref var w = ref Unsafe.Add(ref rx, (ch * height + 2 * oy) * width + 2 * ox);
                        var (a0, a1) = (Vector512.LoadUnsafe(ref w), Vector512.LoadUnsafe(ref w, 16));
                        var (b0, b1) = (Vector512.LoadUnsafe(ref w, (nuint)width), Vector512.LoadUnsafe(ref w, (nuint)width + 16));
                        var (even, odd) = max ? Engine.Lanes.Split(Vector512.Max(a0, b0), Vector512.Max(a1, b1)) : Engine.Lanes.Split(a0 + b0, a1 + b1);
                        ((max ? Vector512.Max(even, odd) : even + odd) * scale).StoreUnsafe(ref ry, (nuint)(o + ox));
                    }
                for (; ox < outWidth; ox++)
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
                    Unsafe.Add(ref ry, o + ox) = v * scale;
                }
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
        var vectors = size == 2 && stride == 2 && Vector512.IsHardwareAccelerated;
        for (var ch = 0; ch < channels; ch++)
            for (var oy = 0; oy < outHeight; oy++)
            {
                var (row, ox) = ((ch * outHeight + oy) * outWidth, 0);
                if (vectors)
                    for (; ox + 16 <= outWidth; ox += 16)
                    {
                        var at = (nuint)((ch * height + 2 * oy) * width + 2 * ox);
                        var below = at + (nuint)width;
                        var (a0, a1) = (Vector512.LoadUnsafe(ref rx, at), Vector512.LoadUnsafe(ref rx, at + 16));
                        var (b0, b1) = (Vector512.LoadUnsafe(ref rx, below), Vector512.LoadUnsafe(ref rx, below + 16));
                        var (even, odd) = Engine.Lanes.Split(a0 + b0, a1 + b1);
                        var total = even + odd;
                        var ratio = Vector512.ConditionalSelect(Vector512.Equals(total, Vector512<float>.Zero), Vector512<float>.Zero,
                            Vector512.LoadUnsafe(ref ru, (nuint)(row + ox)) / total);
                        // Each window's ratio on both of its columns: lanes 2k and 2k + 1 of r0 are ratio k (k < 8), of r1 ratio 8 + k.
                        var (r0, r1) = Engine.Lanes.Interleave(ratio, ratio);
                        (Vector512.LoadUnsafe(ref rl, at) + a0 * r0).StoreUnsafe(ref rl, at);
                        (Vector512.LoadUnsafe(ref rl, at + 16) + a1 * r1).StoreUnsafe(ref rl, at + 16);
                        (Vector512.LoadUnsafe(ref rl, below) + b0 * r0).StoreUnsafe(ref rl, below);
                        (Vector512.LoadUnsafe(ref rl, below + 16) + b1 * r1).StoreUnsafe(ref rl, below + 16);
                    }
                for (; ox < outWidth; ox++)
                {
                    var o = row + ox;
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
