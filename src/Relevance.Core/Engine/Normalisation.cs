using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Float32 local response normalisation (forward only: the relevance pass bypasses it).</summary>
internal static class Normalisation
{
    /// <summary>g_e = g_e d_e^−β − (2αβ/n) x_e Σ_{c : e ∈ window(c)} g_c x_c d_c^(−β−1), with d_c = k + α/n Σ x².</summary>
    public static void Backward(LocalResponseNorm n, Shape input, ReadOnlySpan<float> x, ReadOnlySpan<float> upper, Span<float> lower)
    {
        var (channels, plane) = (input[0], input[1] * input[2]);
        var d = new double[x.Length];
        for (var c = 0; c < channels; c++)
        {
            var (first, last) = n.Window(c, channels);
            for (var p = 0; p < plane; p++)
            {
                var s = 0.0;
                for (var q = first; q <= last; q++) s += (double)x[q * plane + p] * x[q * plane + p];
                d[c * plane + p] = n.Bias + n.Alpha / n.Size * s;
            }
        }
        lower.Clear();
        for (var c = 0; c < channels; c++)
        {
            var (first, last) = n.Window(c, channels);
            for (var p = 0; p < plane; p++)
            {
                var i = c * plane + p;
                lower[i] += (float)(upper[i] * Math.Pow(d[i], -n.Beta));
                var common = 2 * n.Alpha * n.Beta / n.Size * upper[i] * x[i] * Math.Pow(d[i], -n.Beta - 1);
                for (var q = first; q <= last; q++) lower[q * plane + p] -= (float)(common * x[q * plane + p]);
            }
        }
    }

    // d = d^−β for d > 0. The usual β = 3/4 is 1 / (√d · ⁴√d), two square roots (a general power per element was the cost
    // of AlexNet's two LRN layers: 6 ms of its 25 ms forward); any other β goes through exp(−β ln d).
    private static void InversePower(Span<float> d, double beta)
    {
        if (beta == 0.75)
        {
            var rented = System.Buffers.ArrayPool<float>.Shared.Rent(d.Length);
            try
            {
                var root = rented.AsSpan(0, d.Length);
                TensorPrimitives.Sqrt(d, root);
                TensorPrimitives.Sqrt(root, d);
                TensorPrimitives.Multiply(d, root, d);
                TensorPrimitives.Reciprocal(d, d);
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(rented);
            }
            return;
        }
        TensorPrimitives.Log(d, d);
        TensorPrimitives.Multiply(d, (float)-beta, d);
        TensorPrimitives.Exp(d, d);
    }

    /// <summary>y_c = x_c (k + α/n Σ_{q ∈ window(c)} x_q²)^−β, a plane at a time with vector operations.</summary>
    public static void Forward(LocalResponseNorm n, Shape input, ReadOnlySpan<float> x, Span<float> y)
    {
        var (channels, plane) = (input[0], input[1] * input[2]);
        var rented = System.Buffers.ArrayPool<float>.Shared.Rent(channels * plane + plane);
        try
        {
            var squares = rented.AsSpan(0, channels * plane);
            var d = rented.AsSpan(channels * plane, plane);
            TensorPrimitives.Multiply(x, x, squares);
            for (var c = 0; c < channels; c++)
            {
                var (first, last) = n.Window(c, channels);
                if (n.Beta == 0.75 && Vector512.IsHardwareAccelerated)
                {
                    Fused(squares, x, y, c, first, last, plane, (float)(n.Alpha / n.Size), (float)n.Bias);
                    continue;
                }
                squares.Slice(first * plane, plane).CopyTo(d);
                for (var q = first + 1; q <= last; q++) TensorPrimitives.Add(d, squares.Slice(q * plane, plane), d);
                TensorPrimitives.Multiply(d, (float)(n.Alpha / n.Size), d);
                TensorPrimitives.Add(d, (float)n.Bias, d);
                InversePower(d, n.Beta);
                TensorPrimitives.Multiply(x.Slice(c * plane, plane), d, y.Slice(c * plane, plane));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    // One channel's plane with β = 3/4 in one pass, 16 positions at a time: the window's sum of squares, d = k + α/n · sum,
    // y = x / (√d · ⁴√d), the same operations in the same order as the plane-at-a-time passes; a ragged end value by
    // value.
    private static void Fused(ReadOnlySpan<float> squares, ReadOnlySpan<float> x, Span<float> y, int c, int first, int last, int plane, float scale, float bias)
    {
        ref var rs = ref MemoryMarshal.GetReference(squares);
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var (a, k) = (Vector512.Create(scale), Vector512.Create(bias));
        var p = 0;
        for (; p + 16 <= plane; p += 16)
        {
            var sum = Vector512.LoadUnsafe(ref rs, (nuint)(first * plane + p));
            for (var q = first + 1; q <= last; q++) sum += Vector512.LoadUnsafe(ref rs, (nuint)(q * plane + p));
            var d = sum * a + k;
            var root = Vector512.Sqrt(d);
            var inverse = Vector512<float>.One / (Vector512.Sqrt(root) * root);
            (Vector512.LoadUnsafe(ref rx, (nuint)(c * plane + p)) * inverse).StoreUnsafe(ref ry, (nuint)(c * plane + p));
        }
        for (; p < plane; p++)
        {
            var sum = squares[first * plane + p];
            for (var q = first + 1; q <= last; q++) sum += squares[q * plane + p];
            var d = sum * scale + bias;
            var root = MathF.Sqrt(d);
            y[c * plane + p] = x[c * plane + p] * (1f / (MathF.Sqrt(root) * root));
        }
    }
}
