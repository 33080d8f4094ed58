using Relevance.Engine;

namespace Relevance.Kernels;

/// <summary>Float32 building blocks of a convolution as Z [M×P] = V [M×K] · col(x) [K×P], for generated code.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ConvKernel
{
    /// <summary>Z = V · col(x) + b per channel; <paramref name="col"/> is scratch of K·P.</summary>
    public static void Forward(Geometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<float> bias, Span<float> z, Span<float> col)
    {
        ArgumentNullException.ThrowIfNull(g);
        g.Im2Col(x, col);
        FromColumns(g, col, v, bias, z);
    }

    /// <summary>Z = V · col + b per channel, for a col(x) already made (the forward pass's, reused by z⁺'s denominators).</summary>
    public static void FromColumns(Geometry g, ReadOnlySpan<float> col, ReadOnlySpan<float> v, ReadOnlySpan<float> bias, Span<float> z)
    {
        ArgumentNullException.ThrowIfNull(g);
        Multiply(v, col, z, g.M, g.K, g.P);
        if (bias.IsEmpty) return;
        for (var o = 0; o < g.M; o++)
            System.Numerics.Tensors.TensorPrimitives.Add(z.Slice(o * g.P, g.P), bias[o], z.Slice(o * g.P, g.P));
    }

    /// <summary>C = A · B on the calling thread: unpacked when B fits in L2 (<see cref="Gemm.MultiplyUnpacked"/>); otherwise
    /// row by row as sums of B's rows when A has fewer rows than the blocked kernel's 8-row tile (a first convolution's few
    /// channels), the blocked kernel else (measured faster there).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
    {
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && n >= 16 && k * n <= L2Floats)
        {
            Gemm.MultiplyUnpacked(a, b, c, m, k, n);
            return;
        }
        if (m >= 8 || n < 32)
        {
            Gemm.MultiplySerial(a, b, c, m, k, n);
            return;
        }
        for (var i = 0; i < m; i++)
        {
            var row = c.Slice(i * n, n);
            row.Clear();
            for (var t = 0; t < k; t++)
            {
                var at = a[i * k + t];
                if (at != 0) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.Slice(t * n, n), at, row, row);
            }
        }
    }

    // 256 KB of B: within any recent core's L2 (2 MB per core here), so every 4-row block rereads B from cache.
    private const int L2Floats = 1 << 16;

    /// <summary>Σ_k V[o, k] over the in-image taps of each output position: [M×P], computed once per binding.</summary>
    /// <remarks>A padded border sees fewer inputs, so denominators that do not depend on x (w², flat, the bounds of z^B)
    /// vary with the position.</remarks>
    public static float[] PositionSums(Geometry g, ReadOnlySpan<float> v)
    {
        ArgumentNullException.ThrowIfNull(g);
        var ones = new float[g.InputSize];
        ones.AsSpan().Fill(1);
        var col = new float[g.K * g.P];
        g.Im2Col(ones, col);
        var sums = new float[g.M * g.P];
        Gemm.MultiplySerial(v, col, sums, g.M, g.K, g.P);
        return sums;
    }
}
