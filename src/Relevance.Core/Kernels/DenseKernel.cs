using System.Numerics.Tensors;

namespace Relevance.Kernels;

/// <summary>Float32 building blocks of a fully connected layer with W stored inputs × outputs, for generated code.</summary>
public static class DenseKernel
{
    /// <summary>z += Wᵀx, one row of W per input, skipping zero inputs (common after a ReLU).</summary>
    public static void Accumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> z, int inputs, int outputs)
    {
        for (var i = 0; i < inputs; i++)
        {
            var xi = x[i];
            if (xi != 0) TensorPrimitives.MultiplyAdd(w.Slice(i * outputs, outputs), xi, z[..outputs], z[..outputs]);
        }
    }

    /// <summary>t_i = Σ_j W[i, j] s_j: what the relevance ratios s send back to each input.</summary>
    public static void Back(ReadOnlySpan<float> w, ReadOnlySpan<float> s, Span<float> t, int inputs, int outputs)
    {
        for (var i = 0; i < inputs; i++) t[i] = TensorPrimitives.Dot(w.Slice(i * outputs, outputs), s[..outputs]);
    }

    /// <summary>Column sums Σ_i W[i, j] of a transformed copy of W (e.g. w², w⁺), computed once per binding.</summary>
    public static float[] ColumnSums(ReadOnlySpan<float> w, int inputs, int outputs, Func<float, float> transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        var sums = new double[outputs];
        for (var i = 0; i < inputs; i++)
            for (var j = 0; j < outputs; j++) sums[j] += transform(w[i * outputs + j]);
        return [.. sums.Select(s => (float)s)];
    }
}
