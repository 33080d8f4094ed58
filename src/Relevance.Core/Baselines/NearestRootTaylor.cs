using Relevance.Reference;

namespace Relevance.Baselines;

/// <summary>Options of the nearest-root search.</summary>
/// <param name="StopFraction">Stop at the first point with f(ξ) &lt; StopFraction · f(x); the paper's experiments use 0.1.</param>
/// <param name="StepSize">The fraction of a Newton step towards the level set f = 0 taken per iteration, in (0, 1]. The default 0.5
/// approaches the level set geometrically; a full step lands exactly on a ReLU's kink, where its gradient (and so the heatmap) vanishes.</param>
/// <param name="MaxIterations">The most iterations before giving up (then <see cref="TaylorResult.Converged"/> is false).</param>
/// <param name="Low">Optional lower bounds of the input domain X; ξ is kept inside.</param>
/// <param name="High">Optional upper bounds of the input domain X; ξ is kept inside.</param>
public sealed record NearestRootOptions(double StopFraction = 0.1, double StepSize = 0.5, int MaxIterations = 1000, Bounds? Low = null, Bounds? High = null)
{
    /// <summary>The paper's setting: f(ξ) &lt; 0.1 f(x), unbounded domain.</summary>
    public static readonly NearestRootOptions Default = new();
}

/// <summary>A Taylor decomposition at a root: the root ξ, how many iterations found it, and the heatmap.</summary>
/// <param name="Root">ξ.</param>
/// <param name="Iterations">Newton steps taken.</param>
/// <param name="Heatmap">R_p = ∂f/∂x_p|_ξ · (x_p − ξ_p).</param>
/// <param name="Output">f(x).</param>
/// <param name="OutputAtRoot">f(ξ).</param>
/// <param name="Converged">Whether f(ξ) fell below the stop fraction.</param>
public sealed record TaylorResult(Tensor Root, int Iterations, Tensor Heatmap, double Output, double OutputAtRoot, bool Converged);

/// <summary>Nearest-root Taylor decomposition (docs/rules.md §2): an iterative search for a root near x, then a first-order expansion there.</summary>
/// <remarks>Each step moves ξ towards the level set f = 0 along the gradient: ξ ← ξ − η f(ξ) ∇f / ‖∇f‖², which for a
/// function linear on the way is the projection of x onto that set, i.e. the nearest root. It dissipates relevance
/// into the higher-order terms, as the paper reports.</remarks>
public static class NearestRootTaylor
{
    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) with a Taylor expansion at a nearby root.</summary>
    public static TaylorResult Explain(Network network, Tensor x, int? target = null, NearestRootOptions? options = null)
    {
        options ??= NearestRootOptions.Default;
        if (!(options.StepSize > 0 && options.StepSize <= 1)) throw new ArgumentException($"The step size must be in (0, 1], got {options.StepSize}.", nameof(options));
        if (options.MaxIterations < 0) throw new ArgumentException("MaxIterations must be non-negative.", nameof(options));
        options.Low?.RequireShape("input", x.Shape);
        options.High?.RequireShape("input", x.Shape);

        var start = Forward.Run(network, x);
        var k = target ?? Relevances.ArgMax(start.Output.Data.AsSpan());
        var f0 = start.Output[k];
        var xi = x.ToArray();
        var (f, gradient, iterations) = (f0, Gradient.Of(start, k), 0);
        if (f0 <= 0)
            return new TaylorResult(x, 0, Tensor.Zeros(x.Shape), f0, f0, true);

        while (f >= options.StopFraction * f0 && iterations < options.MaxIterations)
        {
            var norm2 = gradient.Data.Sum(g => g * g);
            if (norm2 == 0) break;
            var step = options.StepSize * f / norm2;
            for (var i = 0; i < xi.Length; i++)
            {
                var v = xi[i] - step * gradient[i];
                if (options.Low is not null) v = Math.Max(v, options.Low.At(i));
                if (options.High is not null) v = Math.Min(v, options.High.At(i));
                xi[i] = v;
            }
            var a = Forward.Run(network, Tensor.From(x.Shape, xi));
            (f, gradient, iterations) = (a.Output[k], Gradient.Of(a, k), iterations + 1);
        }
        var heatmap = new double[xi.Length];
        for (var i = 0; i < heatmap.Length; i++) heatmap[i] = gradient[i] * (x[i] - xi[i]);
        return new TaylorResult(Tensor.From(x.Shape, xi), iterations, Tensor.Own(x.Shape, heatmap), f0, f, f < options.StopFraction * f0);
    }
}
