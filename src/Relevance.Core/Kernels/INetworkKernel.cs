using System.Collections.Immutable;

namespace Relevance.Kernels;

/// <summary>A network whose forward and relevance passes were generated for its declared architecture.</summary>
/// <remarks>Implemented by the source generator on every <c>[Network]</c> record, so generic code reaches the static
/// members without reflection. An instance holds bound weights and one workspace: it is not safe to share between threads;
/// <see cref="WithNewWorkspace"/> gives another instance over the same weights.</remarks>
public interface INetworkKernel<TSelf> where TSelf : class, INetworkKernel<TSelf>
{
    /// <summary>The shape of one input sample.</summary>
    static abstract Shape InputShape { get; }
    /// <summary>The number of outputs f(x).</summary>
    static abstract int OutputLength { get; }
    /// <summary>The layer names, in order; <see cref="LayerRelevance"/> is aligned with them.</summary>
    static abstract ImmutableArray<string> LayerNames { get; }
    /// <summary>What <see cref="Bind"/> takes: one entry per Dense/Conv2d layer, in order.</summary>
    static abstract ImmutableArray<ParameterSize> ParameterSizes { get; }
    /// <summary>The declared rules as a composite over <see cref="ToNetwork"/>'s nodes.</summary>
    static abstract Composite Composite { get; }
    /// <summary>The declared pooling and bias options.</summary>
    static abstract ExplainOptions Options { get; }
    /// <summary>Binds weights: one <see cref="LayerParameters"/> per Dense/Conv2d layer, in order; they are checked and copied.</summary>
    static abstract TSelf Bind(ReadOnlySpan<LayerParameters> parameters);
    /// <summary>Binds the weights of a reference network with the same linear layers (e.g. one imported from ONNX).</summary>
    static abstract TSelf FromNetwork(Network network);

    /// <summary>The bound network as a reference layer graph in double precision, the oracle of the generated code.</summary>
    Network ToNetwork();
    /// <summary>Another instance over the same weights with its own workspace (one per thread).</summary>
    TSelf WithNewWorkspace();
    /// <summary>f(x) for one input: writes <see cref="OutputLength"/> outputs.</summary>
    void Forward(ReadOnlySpan<float> input, Span<float> output);
    /// <summary>Explains output <paramref name="target"/> (−1: the arg-max): writes the heatmap and returns f_target(x).</summary>
    float Explain(ReadOnlySpan<float> input, Span<float> heatmap, int target = -1);
    /// <summary>f(x) for a batch of inputs laid end to end: <see cref="OutputLength"/> values per input.</summary>
    void ForwardBatch(ReadOnlySpan<float> inputs, Span<float> outputs);
    /// <summary>Explains a batch of inputs laid end to end: one heatmap per input and f_target(x) per input; targets default to each arg-max.</summary>
    /// <remarks>Uses both cores; <see cref="LayerRelevance"/>, <see cref="BiasRelevance"/> and <see cref="Target"/> describe single explanations only.</remarks>
    void ExplainBatch(ReadOnlySpan<float> inputs, Span<float> heatmaps, Span<float> outputs, ReadOnlySpan<int> targets = default);
    /// <summary>Σ R at each layer's output after the last <see cref="Explain"/>.</summary>
    ReadOnlySpan<float> LayerRelevance { get; }
    /// <summary>Relevance taken by positive biases (as neurons) in the last <see cref="Explain"/>.</summary>
    float BiasRelevance { get; }
    /// <summary>Relevance taken by each layer's positive biases (as neurons) in the last <see cref="Explain"/>, aligned with <see cref="LayerNames"/>.</summary>
    ReadOnlySpan<float> LayerBiasRelevance { get; }
    /// <summary>What each layer received and passed down in the last <see cref="Explain"/>, aligned with <see cref="LayerNames"/>.</summary>
    ReadOnlySpan<LayerMeasure> LayerMeasures { get; }
    /// <summary>f(x) of the last <see cref="Forward"/> or <see cref="Explain"/>: <see cref="OutputLength"/> values.</summary>
    ReadOnlySpan<float> Outputs { get; }
    /// <summary>The output explained by the last <see cref="Explain"/>.</summary>
    int Target { get; }
}

/// <summary>What one layer of a generated explainer received and passed down in its last explanation, summed in double precision.</summary>
/// <param name="RelevanceIn">Σ R at the layer's output.</param>
/// <param name="RelevanceOut">Σ R the layer passed to its inputs.</param>
/// <param name="NegativeMass">Σ min(0, R) over what it passed down.</param>
/// <param name="Minimum">The smallest relevance it passed down.</param>
public readonly record struct LayerMeasure(double RelevanceIn, double RelevanceOut, double NegativeMass, double Minimum)
{
    /// <summary>The measure of a layer that passed <paramref name="passed"/> (see <see cref="Relevances.Measure"/>) down, or that and <paramref name="alsoPassed"/> (an Add's skip share).</summary>
    public static LayerMeasure Of(double relevanceIn, (double Sum, double NegativeMass, double Minimum) passed,
        (double Sum, double NegativeMass, double Minimum)? alsoPassed = null) =>
        alsoPassed is { } also
            ? new(relevanceIn, passed.Sum + also.Sum, passed.NegativeMass + also.NegativeMass, Math.Min(passed.Minimum, also.Minimum))
            : new(relevanceIn, passed.Sum, passed.NegativeMass, passed.Minimum);
}
