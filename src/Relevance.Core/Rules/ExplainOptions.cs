namespace Relevance;

/// <summary>How pooling layers redistribute relevance.</summary>
public enum PoolingRedistribution
{
    /// <summary>R_j = x_j / Σ_j' x_j' · R_k over each window, max-pooling included: the paper's training-free derivation (docs/rules.md §4). The default.</summary>
    Proportional,
    /// <summary>Max-pooling gives all of R_k to the window's maximum (other toolboxes' common variant); other pools stay proportional.</summary>
    WinnerTakeAll,
}

/// <summary>What positive biases do in z⁺, z^B and αβ.</summary>
public enum BiasTreatment
{
    /// <summary>Each positive bias is an extra neuron that takes relevance: max(0, b_j) joins the denominator (docs/rules.md §5). The default.</summary>
    Neuron,
    /// <summary>Biases are not used by z⁺, z^B and αβ.</summary>
    Ignore,
}

/// <summary>Options of the relevance pass beyond the composite's rules.</summary>
/// <param name="Pooling">Pooling redistribution; default proportional.</param>
/// <param name="Bias">Positive-bias treatment; default as neurons.</param>
public sealed record ExplainOptions(PoolingRedistribution Pooling = PoolingRedistribution.Proportional, BiasTreatment Bias = BiasTreatment.Neuron)
{
    /// <summary>The documented defaults.</summary>
    public static readonly ExplainOptions Default = new();
}
