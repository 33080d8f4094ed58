namespace Relevance.Specification;

/// <summary>The input domains of the rules (docs/rules.md §3).</summary>
public enum InputDomain
{
    /// <summary>ℝ^d: w², z, ε, αβ, flat, sensitivity.</summary>
    Real,
    /// <summary>ℝ₊^d: z⁺.</summary>
    NonNegative,
    /// <summary>A box l ≤ x ≤ h with l ≤ 0 ≤ h per element: z^B.</summary>
    Box,
}
