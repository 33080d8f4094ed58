namespace Relevance;

/// <summary>How pooling layers redistribute relevance.</summary>
public enum PoolingRedistribution
{
    /// <summary>R_j = x_j / Σ_j' x_j' · R_k over each window, max-pooling included: the paper's training-free derivation (docs/rules.md §4). The default.</summary>
    Proportional,
    /// <summary>Max-pooling gives all of R_k to the window's maximum (other toolboxes' common variant); other pools stay proportional.</summary>
    WinnerTakeAll,
}

/// <summary>What biases do in the rules' denominators (docs/rules.md §6, the bias table).</summary>
public enum BiasTreatment
{
    /// <summary>Each positive bias is an extra neuron that takes relevance: max(0, b_j) joins the denominator (docs/rules.md §5). The default.</summary>
    Neuron,
    /// <summary>Biases are not used by z⁺, z^B and αβ.</summary>
    Ignore,
    /// <summary>Biases as Zennit uses them, to compare with it one to one: z^B leaves them out, γ adds b_j + γ max(0, b_j) and w²
    /// adds b_j² to the denominator, the other rules as <see cref="Neuron"/>; what a bias takes is reported as bias relevance.</summary>
    Zennit,
}

/// <summary>How a product of a value and a gate (squeeze-and-excitation, <see cref="Gating"/>) redistributes relevance.</summary>
public enum GateRedistribution
{
    /// <summary>The gate is held constant: all relevance goes to the value, none to the gate's branch (docs/rules.md §9). The default.</summary>
    ToValue,
    /// <summary>Half to the value and half to the gate, each gate element taking the half of the elements it scales (LXT's uniform rule).</summary>
    Uniform,
}

/// <summary>How a product of attention weights and values (<see cref="MatMul"/> with an <see cref="MatMul.AttentionInput"/>) redistributes relevance.</summary>
public enum AttentionRedistribution
{
    /// <summary>AttnLRP (Achtibat et al. 2024): the ε-rule with each factor taking half, so relevance reaches the queries and keys through the Softmax too. The default.</summary>
    Uniform,
    /// <summary>CP-LRP (Ali et al. 2022): the attention weights are held constant, so all relevance takes the value path and none reaches the Softmax.</summary>
    ValuesOnly,
}

/// <summary>Options of the relevance pass beyond the composite's rules.</summary>
/// <param name="Pooling">Pooling redistribution; default proportional.</param>
/// <param name="Bias">Positive-bias treatment; default as neurons.</param>
/// <param name="Gating">Gate products' redistribution; default all to the value.</param>
/// <param name="Attention">Attention products' redistribution; default half to each factor (AttnLRP).</param>
public sealed record ExplainOptions(PoolingRedistribution Pooling = PoolingRedistribution.Proportional, BiasTreatment Bias = BiasTreatment.Neuron,
    GateRedistribution Gating = GateRedistribution.ToValue, AttentionRedistribution Attention = AttentionRedistribution.Uniform)
{
    /// <summary>The documented defaults.</summary>
    public static readonly ExplainOptions Default = new();
}
