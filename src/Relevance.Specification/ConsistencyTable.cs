using System.Collections.Immutable;
using Relevance.Baselines;
using Relevance.Reference;

namespace Relevance.Specification;

/// <summary>The paper's claim for a table cell: yes, no, or not in the paper's table.</summary>
public enum Claim
{
    /// <summary>Not claimed by the paper (shown for information).</summary>
    None,
    /// <summary>The paper proves the property holds.</summary>
    Yes,
    /// <summary>The paper says the property fails in general: a counterexample must be found.</summary>
    No,
}

/// <summary>One method of the Section III table with its claims and what was measured on random networks.</summary>
/// <param name="Method">The method's name.</param>
/// <param name="Domain">The input domain the cases are drawn from.</param>
/// <param name="Conservative">The paper's claim on conservation.</param>
/// <param name="Positive">The paper's claim on positivity.</param>
/// <param name="Cases">How many random cases were measured.</param>
/// <param name="WorstError">The worst relative conservation error.</param>
/// <param name="WorstNegativeMass">The most negative Σ_p min(0, R_p).</param>
/// <param name="WorstMinimum">The smallest relevance, / max(1, |f|).</param>
public sealed record MethodRow(string Method, string Domain, Claim Conservative, Claim Positive, int Cases,
    double WorstError, double WorstNegativeMass, double WorstMinimum)
{
    /// <summary>Consistent is claimed when both are, refuted when either is.</summary>
    public Claim Consistent => Conservative == Claim.Yes && Positive == Claim.Yes ? Claim.Yes
        : Conservative == Claim.No || Positive == Claim.No ? Claim.No : Claim.None;

    /// <summary>Measured conservative on every case.</summary>
    public bool MeasuredConservative => WorstError <= Tolerances.Conservation;

    /// <summary>Measured positive on every case.</summary>
    public bool MeasuredPositive => WorstMinimum >= -Tolerances.Positivity;

    /// <summary>Whether each claim agrees with the measurement ("no" needs a clear counterexample, not rounding).</summary>
    public bool Agrees =>
        Holds(Conservative, MeasuredConservative, WorstError >= Tolerances.Counterexample)
        && Holds(Positive, MeasuredPositive, WorstMinimum <= -Tolerances.Counterexample);

    private static bool Holds(Claim claim, bool measuredYes, bool clearlyNo) => claim switch
    {
        Claim.Yes => measuredYes,
        Claim.No => clearlyNo,
        _ => true,
    };
}

/// <summary>Measures the paper's Section III table (and the deep training-free model) live on random networks.</summary>
public static class ConsistencyTable
{
    private sealed record Method(string Name, string Domain, Claim Conservative, Claim Positive, Func<Random, int, Verdict> Measure);

    private static readonly ImmutableArray<Method> Methods =
    [
        new("sensitivity (∂f/∂x)²", "ℝ^d", Claim.No, Claim.Yes, (rng, size) => Baseline(rng, size, Sensitivity.Explain)),
        new("nearest-root Taylor", "ℝ^d", Claim.None, Claim.None, (rng, size) => Baseline(rng, size, (n, x, t) => NearestRootTaylor.Explain(n, x, t).Heatmap)),
        new("gradient × input", "ℝ^d", Claim.None, Claim.None, (rng, size) => Baseline(rng, size, GradientTimesInput.Explain)),
        new("deep Taylor w²", "ℝ^d", Claim.Yes, Claim.Yes, (rng, size) => OneLayer(rng, size, InputDomain.Real, _ => Rules.WSquare)),
        new("deep Taylor z", "ℝ^d", Claim.Yes, Claim.No, (rng, size) => OneLayer(rng, size, InputDomain.Real, _ => Rules.Z)),
        new("deep Taylor z⁺", "ℝ₊^d", Claim.Yes, Claim.Yes, (rng, size) => OneLayer(rng, size, InputDomain.NonNegative, _ => Rules.ZPlus)),
        new("deep Taylor z^B", "box l≤x≤h", Claim.Yes, Claim.Yes, (rng, size) => OneLayer(rng, size, InputDomain.Box, s => s.Box)),
        new("LRP ε (ε = 0.01)", "ℝ^d", Claim.No, Claim.No, (rng, size) => OneLayer(rng, size, InputDomain.Real, _ => Rules.Epsilon(0.01))),
        new("LRP α2β1", "ℝ^d", Claim.None, Claim.No, (rng, size) => OneLayer(rng, size, InputDomain.Real, _ => Rules.AlphaBeta(2, 1))),
        new("flat", "ℝ^d", Claim.None, Claim.None, (rng, size) => OneLayer(rng, size, InputDomain.Real, _ => Rules.Flat)),
        new("training-free DTD, z^B first (deep graphs)", "box l≤x≤h", Claim.Yes, Claim.Yes, (rng, size) => Deep(rng, size, true, c => c.Box)),
        new("training-free DTD, w² first (deep graphs)", "box l≤x≤h", Claim.Yes, Claim.Yes, (rng, size) => Deep(rng, size, true, _ => Rules.WSquare)),
        new("training-free DTD, positive biases as neurons (Σ R + bias share = f)", "box l≤x≤h", Claim.Yes, Claim.Yes, (rng, size) => Deep(rng, size, false, c => c.Box)),
    ];

    /// <summary>The names of the rows, in order.</summary>
    public static ImmutableArray<string> MethodNames => [.. Methods.Select(m => m.Name)];

    /// <summary>Measures every row on <paramref name="cases"/> random networks each; case n uses seed <paramref name="seed"/> + n and size n mod 100, as FsCheck grows sizes.</summary>
    public static ImmutableArray<MethodRow> Measure(int cases, int seed = 0, IProgress<(string Method, int Done)>? progress = null) =>
        [.. Methods.Select(m => MeasureRow(m, cases, seed, progress))];

    /// <summary>Measures one row by name.</summary>
    public static MethodRow Measure(string method, int cases, int seed = 0) =>
        MeasureRow(Methods.Single(m => m.Name == method), cases, seed, null);

    private static MethodRow MeasureRow(Method m, int cases, int seed, IProgress<(string, int)>? progress)
    {
        if (cases <= 0) throw new ArgumentOutOfRangeException(nameof(cases), "Measure at least one case.");
        var (error, mass, minimum) = (0.0, 0.0, double.PositiveInfinity);
        for (var n = 0; n < cases; n++)
        {
            var v = m.Measure(new Random(seed + n), n % 100);
            (error, mass, minimum) = (Math.Max(error, v.RelativeError), Math.Min(mass, v.NegativeMass), Math.Min(minimum, v.RelativeMinimum));
            progress?.Report((m.Name, n + 1));
        }
        return new MethodRow(m.Name, m.Domain, m.Conservative, m.Positive, cases, error, mass, minimum);
    }

    private static Verdict Baseline(Random rng, int size, Func<Network, Tensor, int?, Tensor> explain)
    {
        var spec = OneLayerSpec.Random(rng, size, InputDomain.Real);
        var f = Forward.Output(spec.Network, spec.Input)[0];
        return Verdict.OfHeatmap(f, explain(spec.Network, spec.Input, 0));
    }

    private static Verdict OneLayer(Random rng, int size, InputDomain domain, Func<OneLayerSpec, Rule> rule)
    {
        var spec = OneLayerSpec.Random(rng, size, domain);
        return Verdict.Of(Propagation.Explain(spec.Network, spec.Input, Composite.Uniform(rule(spec))));
    }

    private static Verdict Deep(Random rng, int size, bool nonPositiveBias, Func<DeepCase, Rule> first)
    {
        var c = DeepSpec.Random(rng, size, nonPositiveBias).Build();
        return Verdict.Of(Propagation.Explain(c.Network, c.Input, Composite.TrainingFreeDtd(first(c))));
    }
}
