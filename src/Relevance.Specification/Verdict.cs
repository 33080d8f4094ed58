namespace Relevance.Specification;

/// <summary>What one explanation shows of the paper's definitions, all relative to max(1, |f(x)|).</summary>
/// <param name="Output">f(x).</param>
/// <param name="RelativeError">The worst |relevance in − out − bias relevance| over the heatmap and every layer, / max(1, |f|).</param>
/// <param name="NegativeMass">Σ_p min(0, R_p) of the heatmap.</param>
/// <param name="RelativeMinimum">The smallest relevance anywhere (heatmap and layers), / max(1, |f|).</param>
public sealed record Verdict(double Output, double RelativeError, double NegativeMass, double RelativeMinimum)
{
    /// <summary>Def. 1 within <see cref="Tolerances.Conservation"/>.</summary>
    public bool Conservative => RelativeError <= Tolerances.Conservation;

    /// <summary>Def. 2, exactly.</summary>
    public bool Positive => RelativeMinimum >= -Tolerances.Positivity;

    /// <summary>Def. 3.</summary>
    public bool Consistent => Conservative && Positive;

    /// <summary>The verdict of a full explanation: heatmap and every layer.</summary>
    public static Verdict Of(Explanation e)
    {
        var scale = ConsistencyReport.Scale(e.Output);
        var r = e.Consistency;
        var error = r.Layers.Select(l => l.RelativeError).Append(r.RelativeError).Max();
        var minimum = r.Layers.Select(l => l.Minimum).Append(r.Minimum).Min();
        return new Verdict(e.Output, error, r.NegativeMass, minimum / scale);
    }

    /// <summary>The verdict of a bare heatmap (a baseline) against f(x).</summary>
    public static Verdict OfHeatmap(double output, Tensor heatmap)
    {
        var scale = ConsistencyReport.Scale(output);
        var data = heatmap.Data.AsSpan();
        return new Verdict(output, Math.Abs(output - Relevances.Sum(data)) / scale, Relevances.NegativeMass(data), Relevances.Minimum(data) / scale);
    }
}
