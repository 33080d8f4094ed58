using System.Collections.Concurrent;
using System.Collections.Immutable;
using Relevance.Engine;
using Relevance.IO;
using Relevance.Onnx;

namespace Relevance;

/// <summary>How <see cref="Explainer.Load(string, ExplainerSettings?)"/> explains a model: input mapping, rules, options and cores.</summary>
public sealed record ExplainerSettings
{
    /// <summary>How photos become inputs (default: RGB scaled to [0, 1]); its pixel range gives the first layer's z^B box.</summary>
    public ImageInput Image { get; init; } = ImageInput.UnitRange;

    /// <summary>The first linear layer's rule; null (the default): z^B with the box of <see cref="Image"/>'s pixel range.</summary>
    public Rule? FirstRule { get; init; }

    /// <summary>The rule of every other linear layer; null (the default): by each layer's input domain, z⁺ where it is ≥ 0 by
    /// construction and w² where it can be negative (<see cref="Composite.DeepTaylor"/>; on ReLU networks, with z^B first,
    /// the paper's training-free deep Taylor decomposition), or z⁺ after a first rule other than z^B or w².</summary>
    public Rule? Rule { get; init; }

    /// <summary>A composite of your own, which replaces <see cref="FirstRule"/> and <see cref="Rule"/>.</summary>
    public Composite? Composite { get; init; }

    /// <summary>Pooling and bias options (default: proportional pooling, positive biases as neurons).</summary>
    public ExplainOptions Options { get; init; } = ExplainOptions.Default;

    /// <summary>The most cores one explanation uses (0, the default: every core; 1: the calling thread alone).</summary>
    public int Parallelism { get; init; }

    /// <summary>The most memory one explanation's buffers may take (default 4 GiB), checked from the shapes before anything is allocated.</summary>
    public long MaxWorkspaceBytes { get; init; } = EngineNetwork.DefaultMaxWorkspaceBytes;
}

/// <summary>Explains a network's decisions with the fast float32 engine: load once, explain many inputs, from any number of threads.</summary>
/// <remarks>The network is canonized and compiled once (BatchNorm folded, rules resolved, weight-only matrices precomputed).
/// Thread-safe: each call takes a workspace from a pool of buffers and gives it back, so concurrent calls each hold one
/// workspace and sequential calls reuse the same. <see cref="Dispose"/> releases the pooled buffers. The double-precision
/// oracle it is tested against is <see cref="Oracle"/>.</remarks>
public sealed class Explainer : IDisposable
{
    private readonly EngineNetwork _engine;
    private readonly ConcurrentBag<Workspace> _workspaces = [];
    private volatile bool _disposed;

    private Explainer(EngineNetwork engine, Composite composite, ImageInput? image, ImmutableArray<string> labels)
    {
        _engine = engine;
        Composite = composite;
        Image = image;
        Labels = labels.IsDefault ? [] : labels;
    }

    /// <summary>The canonized network that is explained (BatchNorm folded, Identity and Dropout removed, a final Softmax stripped on import).</summary>
    public Network Network => _engine.Network;

    /// <summary>The composite that maps each linear layer to a rule.</summary>
    public Composite Composite { get; }

    /// <summary>Pooling and bias options.</summary>
    public ExplainOptions Options => _engine.Options;

    /// <summary>How photos become inputs, when the explainer was made for an image model; null otherwise.</summary>
    public ImageInput? Image { get; }

    /// <summary>Class names of the outputs (from a Labels.txt beside the model); empty when there are none.</summary>
    public ImmutableArray<string> Labels { get; }

    /// <summary>The most cores one call uses (0: every core).</summary>
    public int Parallelism => _engine.Parallelism;

    /// <summary>An explainer for a network and a composite; fails now, not at the first input, if a layer has no rule.</summary>
    /// <exception cref="UncoveredLayerException">A linear layer has no rule.</exception>
    /// <exception cref="ShapeMismatchException">z^B bounds do not have the shape of their layer's input.</exception>
    public static Explainer Create(Network network, Composite composite, ExplainOptions? options = null, int parallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(composite);
        return new Explainer(EngineNetwork.Compile(network, composite, options, parallelism), composite, null, []);
    }

    /// <summary>The paper's training-free deep Taylor decomposition: z^B (or w²) on the first layer, z⁺ on the rest.</summary>
    public static Explainer TrainingFreeDtd(Network network, Rule firstLayer, ExplainOptions? options = null) =>
        Create(network, Composite.TrainingFreeDtd(firstLayer), options);

    /// <summary>Loads an ONNX model and compiles it for explanation (default: training-free DTD with z^B's box from the photo preprocessing).</summary>
    /// <exception cref="ModelFormatException">The file is not a readable ONNX model.</exception>
    /// <exception cref="UnsupportedModelException">The model uses an operator or attribute that is not supported; the message names the node.</exception>
    /// <exception cref="InvalidInputException">No rule is given for the first layer and the model does not take an image to derive z^B's box from.</exception>
    public static Explainer Load(string onnxPath, ExplainerSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(onnxPath);
        return Create(OnnxImporter.Load(onnxPath), settings, ClassLabels.Near(onnxPath));
    }

    /// <summary>Compiles an imported ONNX model for explanation, as <see cref="Load(string, ExplainerSettings?)"/> does.</summary>
    /// <exception cref="InvalidInputException">No rule is given for the first layer and the model does not take an image to derive z^B's box from.</exception>
    /// <exception cref="ResourceLimitException">One explanation's buffers would pass <see cref="ExplainerSettings.MaxWorkspaceBytes"/>.</exception>
    public static Explainer Create(ImportedModel model, ExplainerSettings? settings = null, ImmutableArray<string> labels = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        settings ??= new ExplainerSettings();
        var network = model.Network;
        var takesImages = network.InputShape is { Rank: 3 } s && s[0] is 1 or 3;
        var first = settings.Composite is not null ? null : settings.FirstRule ?? (takesImages
            ? InputBox(network, settings.Image.For(network.InputShape))
            : throw new InvalidInputException($"The model takes inputs of shape {network.InputShape}, not an image, so no z^B box can be derived from a photo's pixel range; give a FirstRule (e.g. Rules.ZBox(low, high)) or a Composite."));
        var composite = settings.Composite ?? (settings.Rule is null && first is ZBoxRule or WSquareRule
            ? Composite.DeepTaylor(first)
            : Composite.FirstLayer(first!, settings.Rule ?? Rules.ZPlus));
        return new Explainer(EngineNetwork.Compile(network, composite, settings.Options, settings.Parallelism, settings.MaxWorkspaceBytes), composite,
            takesImages ? settings.Image : null, labels);
    }

    /// <summary>z^B with the box implied by a preprocessing's pixel range, carried to the input of the network's first linear
    /// layer (through normalisation written into the graph, padding, reshapes: <see cref="Rules.InputBox"/>).</summary>
    /// <exception cref="UncoveredLayerException">The network has no Dense or Conv2d layer.</exception>
    /// <exception cref="ShapeMismatchException">The first linear layer does not read an input the box can be carried to.</exception>
    public static ZBoxRule InputBox(Network network, Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preprocessing);
        var (low, high) = preprocessing.Bounds();
        return Rules.InputBox(network, low, high);
    }

    /// <summary>The double-precision reference over the same network, composite and options: the oracle to check an explanation against.</summary>
    public ReferenceExplainer Oracle() => ReferenceExplainer.Create(Network, Composite, Options);

    /// <summary>The class name of an output, or null when there is none.</summary>
    public string? Label(int output) => output >= 0 && output < Labels.Length ? Labels[output] : null;

    /// <summary>A photo as this model's input (central crop with the model's aspect ratio, resized, mapped by <see cref="Image"/>).</summary>
    /// <exception cref="InvalidOperationException">The model does not take images.</exception>
    /// <exception cref="ImageFormatException">The file cannot be decoded as an image.</exception>
    public Tensor ReadImage(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var image = Image ?? throw new InvalidOperationException($"This explainer's network takes {Network.InputShape}, not an image; explain tensors instead.");
        return Images.ToTensor(path, image.For(Network.InputShape));
    }

    /// <summary>The network's outputs f(x) for one input.</summary>
    /// <exception cref="InvalidInputException">The input has the wrong size or a non-finite value.</exception>
    public float[] Forward(ReadOnlySpan<float> input)
    {
        var ws = Rent();
        try
        {
            return _engine.Forward(input, ws).ToArray();
        }
        finally
        {
            Return(ws);
        }
    }

    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) of one input, laid out row-major with the network's input shape.</summary>
    /// <exception cref="InvalidInputException">The input has the wrong size or a non-finite value.</exception>
    /// <exception cref="RuleDomainException">The input is outside a rule's domain (e.g. outside z^B's box); the message names the layer and element.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The target is not an output of the network.</exception>
    /// <exception cref="NumericFaultException">f(x) or the relevance overflowed float32; the message names the first node where it did.</exception>
    public Explanation Explain(ReadOnlySpan<float> input, int? target = null)
    {
        var ws = Rent();
        try
        {
            return _engine.Explain(input, ws, target);
        }
        finally
        {
            Return(ws);
        }
    }

    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) of one input tensor.</summary>
    /// <exception cref="InvalidInputException">The input does not have the network's input shape, or holds a non-finite value.</exception>
    public Explanation Explain(Tensor input, int? target = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!input.Shape.Equals(Network.InputShape))
            throw new InvalidInputException($"The network takes inputs of shape {Network.InputShape}, got {input.Shape}.");
        return Explain(input.ToSingles(), target);
    }

    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) for a photo, read by <see cref="ReadImage"/>.</summary>
    public Explanation ExplainImage(string path, int? target = null) => Explain(ReadImage(path), target);

    /// <summary>∂f_target/∂x by backpropagation (target default: the arg-max): the gradient behind sensitivity analysis and gradient × input.</summary>
    /// <exception cref="InvalidInputException">The input has the wrong size or a non-finite value.</exception>
    public float[] Gradient(ReadOnlySpan<float> input, int? target = null)
    {
        var ws = Rent();
        try
        {
            return _engine.Gradient(input, ws, target);
        }
        finally
        {
            Return(ws);
        }
    }

    /// <summary>Explains a batch of inputs laid end to end, each core explaining inputs of its own in a pooled workspace.</summary>
    /// <exception cref="InvalidInputException">The length is not a whole number of inputs, or an input holds a non-finite value.</exception>
    public ImmutableArray<Explanation> ExplainBatch(ReadOnlyMemory<float> inputs, int? target = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var size = Network.InputShape.Size;
        if (inputs.Length == 0 || inputs.Length % size != 0)
            throw new InvalidInputException($"A batch of inputs of shape {Network.InputShape} holds a multiple of {size} values, got {inputs.Length}.");
        var batch = inputs.Length / size;
        int cores;
        using (Kernels.Parallelism.Limit(_engine.Parallelism)) cores = Kernels.Parallelism.Cores;
        var rented = Enumerable.Range(0, Math.Min(batch, cores)).Select(_ => Rent()).ToList();
        try
        {
            return _engine.ExplainBatch(inputs, batch, rented, target);
        }
        finally
        {
            rented.ForEach(Return);
        }
    }

    /// <summary>Releases the pooled workspaces; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        _workspaces.Clear();
    }

    private Workspace Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _workspaces.TryTake(out var ws) ? ws : _engine.CreateWorkspace();
    }

    private void Return(Workspace ws)
    {
        if (!_disposed) _workspaces.Add(ws);
    }
}
