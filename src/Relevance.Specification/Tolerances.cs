namespace Relevance.Specification;

/// <summary>The tolerances the propositions are checked with, and why.</summary>
public static class Tolerances
{
    /// <summary>Conservation: |f(x) − Σ R| ≤ 1e-9 · max(1, |f(x)|).</summary>
    /// <remarks>The reference works in double precision (unit round-off 1.1e-16). A layer's Σ_i R_i is a sum of at most
    /// ~10⁴ products per neuron; for the consistent rules every term is non-negative, so the relative rounding error of a
    /// layer is below n·u ≈ 1e-12, and over the ≤ 20 layers the generators build it stays below 1e-10. 1e-9 leaves a
    /// factor of ten, yet a single lost neuron's relevance (≥ 1e-6 of f in every generated case) is caught. The scale
    /// max(1, |f|) keeps the bound meaningful when f(x) is tiny or zero.</remarks>
    public const double Conservation = 1e-9;

    /// <summary>Positivity is exact: the consistent rules multiply and divide non-negative numbers only, so R ≥ 0 holds bit for bit.</summary>
    public const double Positivity = 0;

    /// <summary>A "no" cell needs a counterexample that is clearly not rounding: an error of at least 1e-3 · max(1, |f|).</summary>
    public const double Counterexample = 1e-3;
}
