namespace Relevance;

/// <summary>A relevance propagation rule for a linear layer (Dense or Conv2d): a closed hierarchy of records.</summary>
/// <remarks>Each rule redistributes an upper neuron's relevance R_j to its inputs in proportion to q_ij (docs/rules.md §3 and §6).</remarks>
public abstract record Rule
{
    private protected Rule() { }

    /// <summary>The rule's name as the paper writes it.</summary>
    public abstract string Name { get; }
}

/// <summary>w²-rule: R_i = Σ_j w_ij² / Σ_i' w_i'j² · R_j (docs/rules.md §3).</summary>
public sealed record WSquareRule : Rule
{
    /// <inheritdoc />
    public override string Name => "w²";
}

/// <summary>z-rule: R_i = Σ_j x_i w_ij / Σ_i' x_i' w_i'j · R_j; the bias is not used (supplement).</summary>
public sealed record ZRule : Rule
{
    /// <inheritdoc />
    public override string Name => "z";
}

/// <summary>z⁺-rule: R_i = Σ_j x_i w_ij⁺ / Σ_i' x_i' w_i'j⁺ · R_j, for non-negative inputs.</summary>
public sealed record ZPlusRule : Rule
{
    /// <inheritdoc />
    public override string Name => "z⁺";
}

/// <summary>z^B-rule: q_ij = x_i w_ij − l_i w_ij⁺ − h_i w_ij⁻ for inputs in the box l ≤ x ≤ h, with l ≤ 0 ≤ h.</summary>
public sealed record ZBoxRule : Rule
{
    /// <summary>Creates the rule, checking l ≤ 0 ≤ h for every element and that both bounds are finite.</summary>
    public ZBoxRule(Bounds low, Bounds high)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        foreach (var l in low.Values)
            if (!(l <= 0) || !double.IsFinite(l)) throw new ArgumentException($"z^B needs finite lower bounds l ≤ 0, got {l}.", nameof(low));
        foreach (var h in high.Values)
            if (!(h >= 0) || !double.IsFinite(h)) throw new ArgumentException($"z^B needs finite upper bounds h ≥ 0, got {h}.", nameof(high));
        if (low is ElementBounds a && high is ElementBounds b && !a.Tensor.Shape.Equals(b.Tensor.Shape))
            throw new ArgumentException($"z^B lower bounds have shape {a.Tensor.Shape} but upper bounds {b.Tensor.Shape}.", nameof(high));
        Low = low;
        High = high;
    }

    /// <summary>l_i.</summary>
    public Bounds Low { get; }
    /// <summary>h_i.</summary>
    public Bounds High { get; }
    /// <inheritdoc />
    public override string Name => $"z^B[{Low}, {High}]";
}

/// <summary>ε-rule: R_i = Σ_j z_ij / s(z_j) · R_j with s(t) = t + ε·sign(t) and z_j including the bias.</summary>
public sealed record EpsilonRule : Rule
{
    /// <summary>Creates the rule; ε must be positive and finite.</summary>
    public EpsilonRule(double epsilon)
    {
        Epsilon = epsilon > 0 && double.IsFinite(epsilon) ? epsilon : throw new ArgumentException($"ε must be positive and finite, got {epsilon}.", nameof(epsilon));
    }

    /// <summary>ε.</summary>
    public double Epsilon { get; }
    /// <inheritdoc />
    public override string Name => $"ε({Epsilon:G3})";
}

/// <summary>αβ-rule: R_i = Σ_j (α z_ij⁺ / Σ z⁺ − β z_ij⁻ / Σ z⁻) · R_j with α − β = 1 and β ≥ 0.</summary>
public sealed record AlphaBetaRule : Rule
{
    /// <summary>Creates the rule, checking α − β = 1 (to 1e-12) and β ≥ 0.</summary>
    public AlphaBetaRule(double alpha, double beta)
    {
        if (!double.IsFinite(alpha) || !double.IsFinite(beta) || beta < 0 || Math.Abs(alpha - beta - 1) > 1e-12)
            throw new ArgumentException($"αβ needs α − β = 1 and β ≥ 0, got α = {alpha}, β = {beta}.");
        Alpha = alpha;
        Beta = beta;
    }

    /// <summary>α.</summary>
    public double Alpha { get; }
    /// <summary>β.</summary>
    public double Beta { get; }
    /// <inheritdoc />
    public override string Name => $"α{Alpha:G3}β{Beta:G3}";
}

/// <summary>γ-rule: R_i = Σ_j x_i (w_ij + γ w_ij⁺) / s(Σ_i' x_i' (w_i'j + γ w_i'j⁺)) · R_j with s(t) = t + ε·sign(t); the bias
/// is not used, so γ = 0 (with ε = 0) is the z-rule, and γ → ∞ tends to z⁺ on non-negative inputs (docs/rules.md §6).</summary>
public sealed record GammaRule : Rule
{
    /// <summary>Creates the rule; γ and ε must be finite and ≥ 0 (ε = 0: a zero denominator gives zero, as for z).</summary>
    public GammaRule(double gamma, double epsilon)
    {
        Gamma = gamma >= 0 && double.IsFinite(gamma) ? gamma : throw new ArgumentException($"γ must be finite and ≥ 0, got {gamma}.", nameof(gamma));
        Epsilon = epsilon >= 0 && double.IsFinite(epsilon) ? epsilon : throw new ArgumentException($"ε must be finite and ≥ 0, got {epsilon}.", nameof(epsilon));
    }

    /// <summary>γ, the weight given to the positive part of w.</summary>
    public double Gamma { get; }
    /// <summary>ε, the denominators' stabiliser.</summary>
    public double Epsilon { get; }
    /// <inheritdoc />
    public override string Name => $"γ({Gamma:G3}{(Epsilon > 0 ? $", ε {Epsilon:G3}" : "")})";
}

/// <summary>flat rule: R_i = Σ_j R_j / n_j, n_j the number of (in-bounds) inputs of neuron j.</summary>
public sealed record FlatRule : Rule
{
    /// <inheritdoc />
    public override string Name => "flat";
}

/// <summary>The rules by name, as the paper writes them.</summary>
public static partial class Rules
{
    /// <summary>w²-rule: q_ij = w_ij²; consistent for any input (Prop. 1).</summary>
    public static readonly WSquareRule WSquare = new();
    /// <summary>z-rule: q_ij = x_i w_ij; conservative, not positive in general.</summary>
    public static readonly ZRule Z = new();
    /// <summary>z⁺-rule: q_ij = x_i w_ij⁺; consistent for x ≥ 0 (Prop. 2).</summary>
    public static readonly ZPlusRule ZPlus = new();
    /// <summary>flat rule: every input of neuron j gets an equal share.</summary>
    public static readonly FlatRule Flat = new();

    /// <summary>z^B-rule with the same bounds for every element.</summary>
    public static ZBoxRule ZBox(double low, double high) => new(Bounds.Scalar(low), Bounds.Scalar(high));
    /// <summary>ε-rule (LRP-ε).</summary>
    public static EpsilonRule Epsilon(double epsilon = 1e-6) => new(epsilon);
    /// <summary>γ-rule (LRP-γ): z with w + γ w⁺, its denominators stabilised by ε; Zennit's <c>Gamma</c> defaults, γ = 0.25, ε = 1e-6.</summary>
    public static GammaRule Gamma(double gamma = 0.25, double epsilon = 1e-6) => new(gamma, epsilon);
    /// <summary>αβ-rule (LRP-αβ) with α − β = 1.</summary>
    public static AlphaBetaRule AlphaBeta(double alpha = 2, double beta = 1) => new(alpha, beta);
}
