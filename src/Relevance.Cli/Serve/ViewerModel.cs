using System.Collections.Immutable;
using Relevance.IO;
using Relevance.Onnx;

namespace Relevance.Cli.Serve;

/// <summary>A composite the viewer offers: an id for the page and URLs, a title, and the rules as the command line names them.</summary>
internal sealed record ViewerComposite(string Id, string Title, string Description, RuleChoice? Choice)
{
    /// <summary>The composites offered side by side, the paper's first; "custom" takes a rule per linear layer.</summary>
    public static ImmutableArray<ViewerComposite> All { get; } =
    [
        new("dtd", "Deep Taylor, z^B first", "the paper's training-free DTD: z^B on the pixels, z⁺ above (w² where a layer's input can be negative)", Rules("dtd", "zbox")),
        new("dtd-w2", "Deep Taylor, w² first", "w² on the first layer, then deep Taylor by input domain", Rules("dtd", "w2")),
        new("epsilon", "ε 0.25", "z^B on the pixels, ε = 0.25 above", Rules("epsilon:0.25", "zbox")),
        new("alpha2-beta1", "α2β1", "z^B on the pixels, α = 2, β = 1 above", Rules("alphabeta:2:1", "zbox")),
        new("epsilon-gamma-box", "ε-γ-box", "Zennit's EpsilonGammaBox: z^B first, γ 0.25 on convolutions, ε on dense layers", Preset("epsilon-gamma-box")),
        new("epsilon-plus-flat", "ε-z⁺-flat", "Zennit's EpsilonPlusFlat: flat first, z⁺ on convolutions, ε on dense layers", Preset("epsilon-plus-flat")),
        new("epsilon-alpha2-beta1", "ε-α2β1-flat", "Zennit's EpsilonAlpha2Beta1: flat first, α2β1 on convolutions, ε on dense layers", Preset("epsilon-alpha2-beta1")),
        new("custom", "Custom", "a rule per linear layer, as you choose it", null),
    ];

    private static RuleChoice Rules(string rule, string first) => new(rule, first, null, ExplainOptions.Default, null, true, true);

    private static RuleChoice Preset(string name) => new("dtd", "zbox", null, ExplainOptions.Default, name, false, false);
}

/// <summary>A model the viewer serves: loaded once from a path given on the command line, compiled per composite on first use.</summary>
/// <remarks>Thread-safe: compiled explainers are kept in a small least-recently-used cache under a lock; an explainer pushed out
/// of it is left to the collector, so a request still using it finishes.</remarks>
internal sealed class ViewerModel(string name, string file, ImportedModel model, ImageInput image, ImmutableArray<string> labels, int keep)
{
    private readonly LinkedList<(string Key, Lazy<Explainer> Explainer)> _compiled = new();

    /// <summary>The name the page and the API use.</summary>
    public string Name { get; } = name;

    /// <summary>The ONNX file, as given.</summary>
    public string File { get; } = file;

    /// <summary>The imported network (taken channels first when it reads a channels-last image).</summary>
    public ImportedModel Model { get; } = model.Network.TakesChannelsLastImage ? model with { Network = model.Network.WithChannelsFirstInput() } : model;

    /// <summary>How photos become this model's input.</summary>
    public ImageInput Image { get; } = image;

    /// <summary>Class names of the outputs; empty when there are none.</summary>
    public ImmutableArray<string> Labels { get; } = labels;

    /// <summary>Whether the model takes a 1- or 3-channel image.</summary>
    public bool TakesImages => InputFile.TakesImages(Model.Network.InputShape);

    /// <summary>The linear layers in order, with the rule a composite gives each (for the per-layer editor).</summary>
    public ImmutableArray<(string Node, string Kind, Rule Rule)> LinearLayers(Composite composite)
    {
        var rules = composite.Resolve(Model.Network);
        return [.. Model.Network.Nodes.Where(n => rules.ContainsKey(n.Name)).Select(n => (n.Name, n.Layer.Kind.ToString(), rules[n.Name]))];
    }

    /// <summary>The explainer for a composite (compiled on first use; <paramref name="key"/> names the composite, its box and options).</summary>
    public Explainer Explainer(string key, ExplainerSettings settings)
    {
        Lazy<Explainer> entry;
        lock (_compiled)
        {
            var node = _compiled.First;
            while (node is not null && node.Value.Key != key) node = node.Next;
            if (node is not null) _compiled.Remove(node);
            else node = new LinkedListNode<(string, Lazy<Explainer>)>((key, new Lazy<Explainer>(() => Relevance.Explainer.Create(Model, settings, Labels))));
            _compiled.AddFirst(node);
            while (_compiled.Count > keep) _compiled.RemoveLast();
            entry = node.Value.Explainer;
        }
        try
        {
            return entry.Value;
        }
        catch
        {
            // A composite that does not compile for this model is not kept: the next request gets the same error afresh.
            lock (_compiled)
            {
                var node = _compiled.First;
                while (node is not null && !ReferenceEquals(node.Value.Explainer, entry)) node = node.Next;
                if (node is not null) _compiled.Remove(node);
            }
            throw;
        }
    }

    /// <summary>Loads a model given on the command line: a shipped name (squeezenet, resnet18) or an ONNX path with the given preprocessing.</summary>
    public static ViewerModel Load(string given, ImageInput custom, int keep)
    {
        var shipped = Shipped.Model(given);
        var (file, image) = shipped ?? (given, custom);
        var name = shipped is not null ? given : Path.GetFileNameWithoutExtension(given);
        return new ViewerModel(name, file, OnnxImporter.Load(file), image, ClassLabels.Near(file), keep);
    }
}
