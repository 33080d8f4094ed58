namespace Relevance.Engine;

/// <summary>Layer normalisation over the last axis (<see cref="LayerNorm"/>): the same forward pass, gradient and
/// relevance through its linearisation as the reference, in float32 with each run's statistics summed in double.</summary>
internal sealed class LayerNormNode(LayerNorm layer) : NodeKernel
{
    private readonly float[] _scale = [.. layer.Scale.Select(v => (float)v)];
    private readonly float[] _shift = [.. layer.Shift.Select(v => (float)v)];
    private int D => _scale.Length;

    public override string Describe => LayerNorm.RedistributionName;

    private (double Mean, double Scale) Statistics(ReadOnlySpan<float> x) => layer.Statistics(x);

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        var x = inputs[0];
        for (var at = 0; at < x.Length; at += D)
        {
            var (mean, s) = Statistics(x.Slice(at, D));
            for (var i = 0; i < D; i++) y[at + i] = (float)(_scale[i] * (x[at + i] - mean) / s + _shift[i]);
        }
    }

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws)
    {
        var x = inputs[0];
        Span<double> g = D <= 1024 ? stackalloc double[D] : new double[D];
        for (var at = 0; at < x.Length; at += D)
        {
            var (mean, s) = Statistics(x.Slice(at, D));
            var (gMean, ghMean) = (0.0, 0.0);
            for (var i = 0; i < D; i++)
            {
                g[i] = _scale[i] * upper[at + i];
                gMean += g[i];
                ghMean += g[i] * (x[at + i] - mean) / s;
            }
            (gMean, ghMean) = (gMean / D, ghMean / D);
            for (var i = 0; i < D; i++) lower[at + i] = (float)((g[i] - gMean - (x[at + i] - mean) / s * ghMean) / s);
        }
    }

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        Span<double> t = D <= 1024 ? stackalloc double[D] : new double[D];
        for (var at = 0; at < x.Length; at += D)
        {
            var (_, s) = Statistics(x.Slice(at, D));
            var mean = 0.0;
            for (var i = 0; i < D; i++)
            {
                var z = (double)y[at + i];
                var ratio = upper[at + i] / (z + (z >= 0 ? LayerNorm.RelevanceEpsilon : -LayerNorm.RelevanceEpsilon));
                t[i] = _scale[i] * ratio / s;
                mean += t[i];
                bias += _shift[i] * ratio;
            }
            mean /= D;
            for (var j = 0; j < D; j++)
            {
                var r = (float)(x[at + j] * (t[j] - mean));
                lower[at + j] = addTo ? lower[at + j] + r : r;
            }
        }
        return null;
    }
}
