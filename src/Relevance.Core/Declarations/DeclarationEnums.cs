// Compiled into Relevance.Core and, as a linked file, into the source generator: both read the same values.
// The generator's copy is internal, so an assembly that references both sees one type.
namespace Relevance.Declarations
{
#if RELEVANCE_GENERATOR
#pragma warning disable CS1591
#endif
    /// <summary>The relevance rule of a declared Dense or Conv2d layer.</summary>
#if RELEVANCE_GENERATOR
    internal
#else
    public
#endif
    enum LayerRule
    {
        /// <summary>The network's composite decides: <c>FirstRule</c> on the first linear layer, <c>Rule</c> above.</summary>
        Default = 0,
        /// <summary>w²: q_ij = w_ij², for inputs anywhere in ℝ (Prop. 1).</summary>
        WSquare = 1,
        /// <summary>z: q_ij = x_i w_ij; conservative, not positive in general.</summary>
        Z = 2,
        /// <summary>z⁺: q_ij = x_i w_ij⁺, for non-negative inputs (Prop. 2).</summary>
        ZPlus = 3,
        /// <summary>z^B: q_ij = x_i w_ij − l w_ij⁺ − h w_ij⁻, for inputs in the box [l, h] given on the network.</summary>
        ZBox = 4,
        /// <summary>flat: every input of a neuron gets an equal share.</summary>
        Flat = 5,
        /// <summary>γ: q_ij = x_i (w_ij + γ w⁺_ij) with γ = 0.25, denominators stabilised by ε = 10⁻⁶ (<c>Rules.Gamma()</c>'s defaults).</summary>
        Gamma = 6,
    }

    /// <summary>A constraint on a declared layer's bias, checked when weights are bound.</summary>
#if RELEVANCE_GENERATOR
    internal
#else
    public
#endif
    enum BiasConstraint
    {
        /// <summary>Any finite bias.</summary>
        Any = 0,
        /// <summary>b ≤ 0, as in the paper's MNIST detectors (the relevance model is then exact).</summary>
        NonPositive = 1,
        /// <summary>No bias: the layer is bound with weights only.</summary>
        None = 2,
    }
}
