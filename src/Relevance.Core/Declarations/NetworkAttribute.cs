namespace Relevance.Declarations;

/// <summary>Declares a network on a <c>partial record</c>: the input shape here, the layers as the attributes that follow, in order.</summary>
/// <remarks>The source generator emits a specialised forward and relevance pass for the declared architecture; weights are bound at run time.</remarks>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class NetworkAttribute(params int[] inputShape) : Attribute
{
    /// <summary>The shape of one input sample: [N] for a vector, [C, H, W] for an image.</summary>
    public int[] InputShape { get; } = inputShape;

    /// <summary>The lower bound l of every input element (z^B on the first layer; z⁺ there when l = 0).</summary>
    public double Low { get; set; }

    /// <summary>The upper bound h of every input element (z^B on the first layer).</summary>
    public double High { get; set; }

    /// <summary>The rule of the first linear layer unless it names its own; default z^B, the paper's training-free DTD.</summary>
    public LayerRule FirstRule { get; set; } = LayerRule.ZBox;

    /// <summary>The rule of every other linear layer unless it names its own; default z⁺.</summary>
    public LayerRule Rule { get; set; } = LayerRule.ZPlus;

    /// <summary>How positive biases take relevance; default as neurons (docs/rules.md §5).</summary>
    public BiasTreatment BiasRelevance { get; set; } = BiasTreatment.Neuron;

    /// <summary>How max-pooling redistributes relevance; default proportional (docs/rules.md §4).</summary>
    public PoolingRedistribution MaxPool { get; set; } = PoolingRedistribution.Proportional;
}
