namespace Relevance.Engine;

/// <summary>Softmax over the last axis (<see cref="Softmax"/>): the same forward pass, gradient and AttnLRP relevance as the
/// reference, in float32 with each run's sums taken in double.</summary>
internal sealed class SoftmaxNode(int d) : NodeKernel
{
    public override string Describe => Softmax.RedistributionName;

    // s = softmax(x) of one run of d values, shifted by its maximum, the sum taken in double.
    private static void Run(ReadOnlySpan<float> x, Span<float> s)
    {
        var max = float.NegativeInfinity;
        foreach (var v in x) max = Math.Max(max, v);
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++) sum += s[i] = MathF.Exp(x[i] - max);
        for (var i = 0; i < x.Length; i++) s[i] = (float)(s[i] / sum);
    }

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        var x = inputs[0];
        for (var at = 0; at < x.Length; at += d) Run(x.Slice(at, d), y.Slice(at, d));
    }

    // ∂s_i/∂x_j = s_i (δ_ij − s_j): g_x = s ⊙ (g − Σ g ⊙ s), with s recomputed from x.
    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws)
    {
        var x = inputs[0];
        Span<float> s = d <= 4096 ? stackalloc float[d] : new float[d];
        for (var at = 0; at < x.Length; at += d)
        {
            Run(x.Slice(at, d), s);
            var dot = 0.0;
            for (var i = 0; i < d; i++) dot += upper[at + i] * s[i];
            for (var i = 0; i < d; i++) lower[at + i] = (float)(s[i] * (upper[at + i] - dot));
        }
    }

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        var (into, passed) = (0.0, 0.0);
        for (var at = 0; at < x.Length; at += d)
        {
            var total = 0.0;
            for (var i = 0; i < d; i++) total += upper[at + i];
            into += total;
            for (var j = 0; j < d; j++)
            {
                var r = (float)(x[at + j] * (upper[at + j] - y[at + j] * total));
                passed += r;
                lower[at + j] = addTo ? lower[at + j] + r : r;
            }
        }
        // What the expansion's bias term keeps.
        bias += into - passed;
        return null;
    }
}
