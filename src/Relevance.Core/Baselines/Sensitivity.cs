using Relevance.Reference;

namespace Relevance.Baselines;

/// <summary>Sensitivity analysis, R_p = (∂f/∂x_p)²: positive, not conservative (docs/rules.md §2).</summary>
public static class Sensitivity
{
    /// <summary>The sensitivity heatmap of output <paramref name="target"/> (default: the arg-max).</summary>
    public static Tensor Explain(Network network, Tensor x, int? target = null)
    {
        var g = Gradient.Of(network, x, target);
        return Tensor.Own(g.Shape, [.. g.Data.Select(v => v * v)]);
    }
}

/// <summary>Gradient × input, R_p = x_p ∂f/∂x_p: an extra baseline (not in the paper).</summary>
public static class GradientTimesInput
{
    /// <summary>The gradient × input heatmap of output <paramref name="target"/> (default: the arg-max).</summary>
    public static Tensor Explain(Network network, Tensor x, int? target = null)
    {
        var g = Gradient.Of(network, x, target);
        return Tensor.Own(g.Shape, [.. g.Data.Select((v, i) => v * x[i])]);
    }
}
