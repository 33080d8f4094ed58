using System.Buffers;

namespace Relevance.Engine;

/// <summary>The product of two computed tensors (<see cref="MatMul"/>): per leading index, C = A · B by the product kernel,
/// gradients G Bᵀ and Aᵀ G, and AttnLRP's relevance, half to each factor (or CP-LRP's, all to the factor not held constant).</summary>
internal sealed class MatMulNode((int Heads, int T, int K, int N) size, int held) : NodeKernel
{
    private readonly int _heads = size.Heads, _t = size.T, _k = size.K, _n = size.N;

    public override string Describe => held < 0 ? MatMul.RedistributionName : MatMul.ValuesOnlyName;

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        var a = inputs[0];
        var b = inputs[1];
        for (var h = 0; h < _heads; h++)
            Gemm.Multiply(a.Slice(h * _t * _k, _t * _k), b.Slice(h * _k * _n, _k * _n), y.Slice(h * _t * _n, _t * _n), _t, _k, _n);
    }

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) =>
        Gradient(m, inputs[0], inputs[1], upper, lower);

    // lower = G Bᵀ (m = 0) or Aᵀ G (m = 1), per leading index, for G shaped like C: the product kernel on the other factor's
    // transpose.
    private void Gradient(int m, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> g, Span<float> lower)
    {
        var (rows, cols) = m == 0 ? (_k, _n) : (_t, _k);
        var transposed = ArrayPool<float>.Shared.Rent(rows * cols);
        try
        {
            var t = transposed.AsSpan(0, rows * cols);
            for (var h = 0; h < _heads; h++)
            {
                var other = m == 0 ? b.Slice(h * _k * _n, _k * _n) : a.Slice(h * _t * _k, _t * _k);
                Kernels.Weights.Transpose(other, rows, cols, t);
                if (m == 0) Gemm.Multiply(g.Slice(h * _t * _n, _t * _n), t, lower.Slice(h * _t * _k, _t * _k), _t, _n, _k);
                else Gemm.Multiply(t, g.Slice(h * _t * _n, _t * _n), lower.Slice(h * _k * _n, _k * _n), _k, _t, _n);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(transposed);
        }
    }

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo) =>
        throw new InvalidOperationException("MatMul's relevance reads both factors.");

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, NodeInputs inputs, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        // S = R ⊘ (2C ± ε) (or R ⊘ (C ± ε) when the other factor is held constant), then the gradient of the factor against
        // S, times the factor; a factor held constant takes nothing.
        if (m == held)
        {
            if (!addTo) lower.Clear();
            return null;
        }
        var scale = 1 / MatMul.Share(held);
        var s = ArrayPool<float>.Shared.Rent(upper.Length);
        var share = ArrayPool<float>.Shared.Rent(lower.Length);
        try
        {
            for (var i = 0; i < upper.Length; i++)
                s[i] = (float)(upper[i] / (scale * y[i] + (y[i] >= 0 ? MatMul.RelevanceEpsilon : -MatMul.RelevanceEpsilon)));
            var factor = inputs[m];
            var r = share.AsSpan(0, lower.Length);
            Gradient(m, inputs[0], inputs[1], s.AsSpan(0, upper.Length), r);
            for (var i = 0; i < r.Length; i++) lower[i] = addTo ? lower[i] + r[i] * factor[i] : r[i] * factor[i];
        }
        finally
        {
            ArrayPool<float>.Shared.Return(s);
            ArrayPool<float>.Shared.Return(share);
        }
        return null;
    }
}
