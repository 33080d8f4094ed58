using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>A composite maps each linear layer (Dense, Conv2d) of a network to a rule: a closed hierarchy of records.</summary>
public abstract record Composite
{
    private protected Composite() { }

    /// <summary>The paper's training-free deep Taylor decomposition: z^B or w² on the first linear layer, z⁺ on every other (docs/rules.md §4–5).</summary>
    public static Composite TrainingFreeDtd(Rule firstLayer) =>
        firstLayer is ZBoxRule or WSquareRule
            ? new FirstLayerComposite(firstLayer, Rules.ZPlus)
            : throw new ArgumentException($"Training-free DTD takes z^B or w² on the first layer, got {firstLayer.Name}.", nameof(firstLayer));

    /// <summary>Deep Taylor decomposition with each layer's rule chosen by its input domain (docs/rules.md §4–5): z^B or w² on
    /// the first linear layer, z⁺ where every value a layer reads is ≥ 0 by construction (after a ReLU), w² where it can be
    /// negative (MobileNet's linear bottlenecks, SiLU); the same as <see cref="TrainingFreeDtd"/> on ReLU networks.</summary>
    public static Composite DeepTaylor(Rule firstLayer) =>
        firstLayer is ZBoxRule or WSquareRule
            ? new DeepTaylorComposite(firstLayer)
            : throw new ArgumentException($"Deep Taylor decomposition takes z^B or w² on the first layer, got {firstLayer.Name}.", nameof(firstLayer));

    /// <summary>One rule on the first linear layer and another on every other.</summary>
    public static Composite FirstLayer(Rule first, Rule rest) => new FirstLayerComposite(first, rest);

    /// <summary>The same rule on every linear layer (e.g. ε everywhere, or α2β1).</summary>
    public static Composite Uniform(Rule rule) => new UniformComposite(rule);

    /// <summary>ε on every linear layer.</summary>
    public static Composite EpsilonEverywhere(double epsilon = 1e-6) => Uniform(Rules.Epsilon(epsilon));

    /// <summary>α2β1 on every linear layer.</summary>
    public static Composite AlphaBeta21 => Uniform(Rules.AlphaBeta(2, 1));

    /// <summary>A rule per linear layer by node name; a linear layer that is not named is an error.</summary>
    public static Composite PerLayer(IReadOnlyDictionary<string, Rule> rules) => new PerLayerComposite(rules.ToImmutableDictionary());

    /// <summary>Rules for layers picked by name, by type or by position among the linear layers; the first selector that matches a layer gives its rule.</summary>
    public static Composite Select(params (LayerSelector Selector, Rule Rule)[] entries) => new SelectorComposite([.. entries]);

    /// <summary>Zennit's <c>EpsilonGammaBox</c>: z^B on the first linear layer, γ on the other convolutions, ε on dense layers.</summary>
    public static Composite EpsilonGammaBox(ZBoxRule box, double gamma = 0.25, double epsilon = 1e-6) =>
        Select((LayerSelector.Position(0), box), (LayerSelector.Type<Conv2d>(), Rules.Gamma(gamma, epsilon)), (LayerSelector.Type<Dense>(), Rules.Epsilon(epsilon)));

    /// <summary>Zennit's <c>EpsilonPlusFlat</c>: flat on the first linear layer, z⁺ on the other convolutions, ε on dense layers.</summary>
    public static Composite EpsilonPlusFlat(double epsilon = 1e-6) =>
        Select((LayerSelector.Position(0), Rules.Flat), (LayerSelector.Type<Conv2d>(), Rules.ZPlus), (LayerSelector.Type<Dense>(), Rules.Epsilon(epsilon)));

    /// <summary>Zennit's <c>EpsilonAlpha2Beta1</c>: flat on the first linear layer, α2β1 on the other convolutions, ε on dense layers.</summary>
    public static Composite EpsilonAlpha2Beta1(double epsilon = 1e-6) =>
        Select((LayerSelector.Position(0), Rules.Flat), (LayerSelector.Type<Conv2d>(), Rules.AlphaBeta(2, 1)), (LayerSelector.Type<Dense>(), Rules.Epsilon(epsilon)));

    /// <summary>AttnLRP's linear layers (Achtibat et al. 2024): ε on every one, or with <paramref name="gamma"/> &gt; 0 the γ-rule
    /// (LXT's choice for vision transformers); its Softmax, LayerNorm, GELU and attention products follow their layers' own
    /// rules (docs/rules.md), with <see cref="AttentionRedistribution.Uniform"/>.</summary>
    /// <exception cref="ArgumentException">ε or γ is negative or not finite.</exception>
    public static Composite AttnLrp(double epsilon = 1e-6, double gamma = 0) =>
        Uniform(gamma == 0 ? Rules.Epsilon(epsilon) : Rules.Gamma(gamma, epsilon));

    /// <summary>The names <see cref="Preset"/> takes: Zennit's presets and the transformer ones, as <c>relevance explain --composite</c> names them.</summary>
    public static ImmutableArray<string> PresetNames { get; } = ["epsilon-gamma-box", "epsilon-plus-flat", "epsilon-alpha2-beta1", "attnlrp", "cp-lrp"];

    /// <summary>The options a preset implies beside its rules: cp-lrp holds attention weights constant
    /// (<see cref="AttentionRedistribution.ValuesOnly"/>), attnlrp gives each factor half; the others leave <paramref name="options"/> as they are.</summary>
    public static ExplainOptions PresetOptions(string name, ExplainOptions options) => name switch
    {
        "cp-lrp" => options with { Attention = AttentionRedistribution.ValuesOnly },
        "attnlrp" => options with { Attention = AttentionRedistribution.Uniform },
        _ => options,
    };

    /// <summary>A preset by name (<see cref="PresetNames"/>), with <see cref="PresetOptions"/> for what it sets beyond rules;
    /// <paramref name="box"/> is epsilon-gamma-box's first layer and not used by the others; <paramref name="gamma"/> &gt; 0
    /// puts the γ-rule on the linear layers of attnlrp and cp-lrp (<see cref="AttnLrp"/>).</summary>
    /// <exception cref="ArgumentException">The name is not a preset, epsilon-gamma-box is given no box, or γ is given to a preset without it.</exception>
    public static Composite Preset(string name, ZBoxRule? box = null, double gamma = 0) => name switch
    {
        "attnlrp" or "cp-lrp" => AttnLrp(gamma: gamma),
        _ when gamma != 0 => throw new ArgumentException($"γ sets the linear layers' rule of attnlrp and cp-lrp; '{name}' has its own.", nameof(gamma)),
        "epsilon-gamma-box" => EpsilonGammaBox(box ?? throw new ArgumentException("epsilon-gamma-box needs the z^B box of its first layer.", nameof(box))),
        "epsilon-plus-flat" => EpsilonPlusFlat(),
        "epsilon-alpha2-beta1" => EpsilonAlpha2Beta1(),
        _ => throw new ArgumentException($"'{name}' is not a preset; the presets are {string.Join(", ", PresetNames)}.", nameof(name)),
    };

    /// <summary>Whether every layer this composite gives z⁺ reads values that are ≥ 0 by construction (after a ReLU), so that
    /// no input can make z⁺ refuse them; false for a transformer's token-wise layers after GELU under a z⁺ preset.</summary>
    public bool HoldsOnEveryInput(Network network)
    {
        var rules = Resolve(network);
        var nonNegative = Engine.NonNegativity.OfInputs(network);
        return network.Nodes.Select((n, i) => !rules.TryGetValue(n.Name, out var r) || r is not ZPlusRule || nonNegative[i]).All(ok => ok);
    }

    /// <summary>The rule of every linear node; throws <see cref="UncoveredLayerException"/> for a linear node without one.</summary>
    public ImmutableDictionary<string, Rule> Resolve(Network network)
    {
        var linear = network.Nodes.Where(n => LinearMap.IsLinear(n.Layer)).ToList();
        if (this is PerLayerComposite p)
            foreach (var name in p.Rules.Keys)
            {
                var node = network.Nodes.FirstOrDefault(n => n.Name == name)
                    ?? throw new NetworkException($"The composite names '{name}', which is not a node of the network.");
                if (!LinearMap.IsLinear(node.Layer))
                    throw new NetworkException($"The composite gives a rule to '{name}', a {node.Layer.Kind} layer; rules apply to Dense and Conv2d layers.");
            }
        var nonNegative = this is DeepTaylorComposite
            ? network.Nodes.Zip(Engine.NonNegativity.OfInputs(network)).ToDictionary(p => p.First.Name, p => p.Second)
            : null;
        return linear.Select((node, position) => KeyValuePair.Create(node.Name, this switch
        {
            FirstLayerComposite f => position == 0 ? f.First : f.Rest,
            DeepTaylorComposite d => position == 0 ? d.First : nonNegative![node.Name] ? Rules.ZPlus : Rules.WSquare,
            UniformComposite u => u.Rule,
            PerLayerComposite p => p.Rules.TryGetValue(node.Name, out var r) ? r
                : throw new UncoveredLayerException(node.Name, $"the {node.Layer.Kind} layer has no rule in the composite."),
            SelectorComposite s => s.Entries.FirstOrDefault(e => e.Selector.Matches(node, position, linear.Count)).Rule
                ?? throw new UncoveredLayerException(node.Name, $"no selector of the composite matches this {node.Layer.Kind} layer (position {position} of {linear.Count})."),
            _ => throw new System.Diagnostics.UnreachableException(GetType().Name),
        })).ToImmutableDictionary();
    }
}

/// <summary>One rule on the first linear layer (in topological order), another on the rest.</summary>
public sealed record FirstLayerComposite(Rule First, Rule Rest) : Composite
{
    /// <summary>first rule / rest rule.</summary>
    public override string ToString() => $"{First.Name} on the first layer, {Rest.Name} elsewhere";
}

/// <summary>A first-layer rule, then z⁺ on layers whose input is ≥ 0 by construction and w² on the others.</summary>
public sealed record DeepTaylorComposite(Rule First) : Composite
{
    /// <summary>first rule / z⁺ or w² by domain.</summary>
    public override string ToString() => $"{First.Name} on the first layer, z⁺ where the input is ≥ 0, w² where it can be negative";
}

/// <summary>The same rule everywhere.</summary>
public sealed record UniformComposite(Rule Rule) : Composite
{
    /// <summary>The rule.</summary>
    public override string ToString() => $"{Rule.Name} everywhere";
}

/// <summary>A rule per node name.</summary>
public sealed record PerLayerComposite(ImmutableDictionary<string, Rule> Rules) : Composite
{
    /// <summary>name: rule, ….</summary>
    public override string ToString() => string.Join(", ", Rules.Select(kv => $"{kv.Key}: {kv.Value.Name}"));
}

/// <summary>Picks linear layers for a rule: by node name, by layer type, or by position among the linear layers.</summary>
public abstract record LayerSelector
{
    private protected LayerSelector() { }

    /// <summary>The node with this name.</summary>
    public static LayerSelector Name(string name) => new NameSelector(name);

    /// <summary>Every layer of this type (Dense or Conv2d).</summary>
    public static LayerSelector Type<T>() where T : Layer => new TypeSelector(typeof(T));

    /// <summary>The linear layer at this position in topological order; negative counts from the end (−1 is the last).</summary>
    public static LayerSelector Position(int index) => new PositionSelector(index);

    /// <summary>Every linear layer.</summary>
    public static LayerSelector Any { get; } = new AnySelector();

    /// <summary>Whether this selector picks a linear node at a position among <paramref name="count"/> linear layers.</summary>
    public bool Matches(Node node, int position, int count) => this switch
    {
        NameSelector n => n.Node == node.Name,
        TypeSelector t => t.LayerType.IsInstanceOfType(node.Layer),
        PositionSelector p => p.At >= 0 ? p.At == position : count + p.At == position,
        AnySelector => true,
        _ => throw new System.Diagnostics.UnreachableException(GetType().Name),
    };
}

/// <summary>Selects a node by name.</summary>
public sealed record NameSelector(string Node) : LayerSelector;

/// <summary>Selects layers by type.</summary>
public sealed record TypeSelector(System.Type LayerType) : LayerSelector;

/// <summary>Selects a linear layer by position (negative from the end).</summary>
public sealed record PositionSelector(int At) : LayerSelector;

/// <summary>Selects every linear layer.</summary>
public sealed record AnySelector : LayerSelector;

/// <summary>Rules by selector, first match wins.</summary>
public sealed record SelectorComposite(ImmutableArray<(LayerSelector Selector, Rule Rule)> Entries) : Composite
{
    /// <summary>selector: rule, ….</summary>
    public override string ToString() => string.Join(", ", Entries.Select(e => $"{e.Selector}: {e.Rule.Name}"));
}
