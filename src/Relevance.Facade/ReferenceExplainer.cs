using Relevance.Reference;

namespace Relevance;

/// <summary>The oracle: explains with the double-precision reference implementation, written as the paper writes each rule.</summary>
/// <remarks>Slow and memory-hungry by design (one object per connection; an ImageNet network takes minutes and gigabytes): it is
/// what the engine behind <see cref="Explainer"/> is tested against, and keeps every node's relevance (<see cref="Explanation.Nodes"/>).
/// Use <see cref="Explainer"/> to explain; use this to check. Immutable and thread-safe.</remarks>
public sealed class ReferenceExplainer
{
    private ReferenceExplainer(Network network, Composite composite, ExplainOptions options)
    {
        Network = network;
        Composite = composite;
        Options = options;
    }

    /// <summary>The canonized network that is explained (BatchNorm folded, Identity/Dropout removed).</summary>
    public Network Network { get; }

    /// <summary>The composite that maps each linear layer to a rule.</summary>
    public Composite Composite { get; }

    /// <summary>Pooling and bias options.</summary>
    public ExplainOptions Options { get; }

    /// <summary>An oracle for a network; fails now (not at the first input) if a layer has no rule.</summary>
    /// <exception cref="UncoveredLayerException">A linear layer has no rule in the composite.</exception>
    public static ReferenceExplainer Create(Network network, Composite composite, ExplainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(composite);
        var canonical = Canonizers.Canonize(network);
        _ = composite.Resolve(canonical);
        return new ReferenceExplainer(canonical, composite, options ?? ExplainOptions.Default);
    }

    /// <summary>The paper's training-free deep Taylor decomposition: z^B (or w²) on the first layer, z⁺ on the rest.</summary>
    public static ReferenceExplainer TrainingFreeDtd(Network network, Rule firstLayer, ExplainOptions? options = null) =>
        Create(network, Composite.TrainingFreeDtd(firstLayer), options);

    /// <summary>The network's outputs f(x).</summary>
    public Tensor Forward(Tensor input) => Reference.Forward.Output(Network, input);

    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) for one input.</summary>
    /// <exception cref="InvalidInputException">The input has the wrong shape or non-finite values.</exception>
    /// <exception cref="RuleDomainException">The input is outside a rule's domain (e.g. outside z^B's box).</exception>
    public Explanation Explain(Tensor input, int? target = null) => Propagation.Explain(Network, input, Composite, Options, target);
}
