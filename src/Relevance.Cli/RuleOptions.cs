using System.CommandLine;

namespace Relevance.Cli;

/// <summary>The rule options explain and batch share: --rule, --first-rule, --bounds, --composite, --maxpool, --bias, --gate.</summary>
internal sealed class RuleOptions
{
    private readonly Option<string> _rule = new("--rule") { Description = $"The rule of the Dense/Conv layers above the first: dtd (deep Taylor by input domain: z⁺ where a layer's input is ≥ 0 by construction, which is the paper's training-free model on ReLU networks, and w² where it can be negative), or one rule for all of them: {RuleSpec.Help}.", DefaultValueFactory = _ => "dtd" };
    private readonly Option<string> _firstRule = new("--first-rule") { Description = "The rule of the first Dense/Conv layer; a bare 'zbox' takes its bounds from the preprocessing or --bounds.", DefaultValueFactory = _ => "zbox" };
    private readonly Option<string?> _bounds = new("--bounds") { Description = "LOW:HIGH, the input box of a bare zbox (overrides the bounds derived from preprocessing)." };
    private readonly Option<string> _maxpool = new("--maxpool") { Description = "proportional (the paper's) or wta (winner-take-all).", DefaultValueFactory = _ => "proportional" };
    private readonly Option<string> _bias = new("--bias") { Description = "neuron (positive biases take relevance, the paper's), ignore, or zennit (Zennit's conventions, to compare with it: z^B without biases, γ with b + γb^± and w² with b² in the denominator).", DefaultValueFactory = _ => "neuron" };
    private readonly Option<string> _gate = new("--gate") { Description = "value (a squeeze-and-excitation gate held constant: all relevance to the value) or uniform (half to the value, half to the gate).", DefaultValueFactory = _ => "value" };
    private readonly Option<string?> _preset = new("--composite")
    {
        Description = "A preset of rules by layer: Zennit's epsilon-gamma-box (z^B on the first layer, γ 0.25 on convolutions, ε 1e-6 on dense layers), epsilon-plus-flat (flat first, z⁺ on convolutions, ε on dense layers) or epsilon-alpha2-beta1 (flat first, α2β1 on convolutions, ε on dense layers); for transformers attnlrp (ε 1e-6 on every linear layer, half of an attention product's relevance to each factor) or cp-lrp (the same, with attention weights held constant); replaces --rule and --first-rule.",
    };

    private readonly Option<double?> _gamma = new("--gamma") { Description = "With --composite attnlrp or cp-lrp: the γ-rule with this γ (> 0) on every linear layer instead of ε (LXT's choice for vision transformers)." };

    public static RuleOptions Create()
    {
        var o = new RuleOptions();
        o._maxpool.AcceptOnlyFromAmong("proportional", "wta");
        o._bias.AcceptOnlyFromAmong("neuron", "ignore", "zennit");
        o._gate.AcceptOnlyFromAmong("value", "uniform");
        o._preset.AcceptOnlyFromAmong([.. Composite.PresetNames]);
        return o;
    }

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _rule, _firstRule, _bounds, _maxpool, _bias, _gate, _preset, _gamma }) command.Options.Add(o);
    }

    /// <summary>The rules as the command line gives them.</summary>
    public RuleChoice Read(ParseResult parse)
    {
        var options = new ExplainOptions(parse.GetValue(_maxpool) == "wta" ? PoolingRedistribution.WinnerTakeAll : PoolingRedistribution.Proportional,
            parse.GetValue(_bias) switch { "ignore" => BiasTreatment.Ignore, "zennit" => BiasTreatment.Zennit, _ => BiasTreatment.Neuron },
            parse.GetValue(_gate) == "uniform" ? GateRedistribution.Uniform : GateRedistribution.ToValue);
        var preset = parse.GetValue(_preset);
        return new(parse.GetValue(_rule)!, parse.GetValue(_firstRule)!, parse.GetValue(_bounds), preset is null ? options : Composite.PresetOptions(preset, options),
            preset, parse.GetResult(_rule) is { Implicit: false }, parse.GetResult(_firstRule) is { Implicit: false }) { Gamma = parse.GetValue(_gamma) };
    }
}

/// <summary>The rules of an explanation as given on the command line, before the input's box is known.</summary>
internal sealed record RuleChoice(string Rule, string FirstRule, string? Bounds, ExplainOptions Options, string? Preset, bool RuleGiven, bool FirstRuleGiven)
{
    /// <summary>The γ of the transformer presets' linear layers (--gamma), if given.</summary>
    public double? Gamma { get; init; }

    /// <summary>Refuses combinations that do not make sense, before anything is read.</summary>
    public void Check()
    {
        if (Bounds is not null && RuleSpec.Parse(FirstRule) is { } explicitFirst)
            throw new UsageException($"--bounds sets the box of a bare --first-rule zbox; the first rule given is {explicitFirst.Name}.");
        if (Preset is not null && (RuleGiven || FirstRuleGiven))
            throw new UsageException($"--composite {Preset} sets every layer's rule; it does not take --rule or --first-rule.");
        if (!ByDomain && Preset is null && RuleSpec.Parse(Rule) is null) throw new UsageException("--rule zbox needs explicit bounds: zbox:LOW:HIGH.");
        if (Gamma is { } g && (Preset is not ("attnlrp" or "cp-lrp") || !(g > 0 && double.IsFinite(g))))
            throw new UsageException($"--gamma {g}: a positive γ for --composite attnlrp or cp-lrp{(Preset is null ? "" : $", not {Preset}")}.");
    }

    private bool ByDomain => Preset is null && Rule.Trim().Equals("dtd", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first rule, the rule above, the composite (null: first rule and rule above) and their names for reports;
    /// <paramref name="box"/> gives a bare zbox its bounds (from --bounds or the input).</summary>
    public ResolvedRules Resolve(Func<ZBoxRule> box)
    {
        var byDomain = ByDomain;
        var rest = byDomain || Preset is not null ? Rules.ZPlus : RuleSpec.Parse(Rule)!;
        // A preset's first rule is its own (z^B with the box, or flat).
        var preset = Preset is null ? null : Composite.Preset(Preset, Preset == "epsilon-gamma-box" ? box() : null, Gamma ?? 0);
        var first = preset switch
        {
            SelectorComposite { Entries: [var firstEntry, ..] } => firstEntry.Rule,
            UniformComposite u => u.Rule,
            _ => RuleSpec.Parse(FirstRule) ?? box(),
        };
        if (preset is UniformComposite everywhere) rest = everywhere.Rule;
        if (byDomain && first is not (ZBoxRule or WSquareRule))
        {
            if (RuleGiven) throw new UsageException($"--rule dtd takes zbox or w2 as --first-rule, got {first.Name}.");
            // By default: deep Taylor's domains start from a z^B or w² first layer; after another first rule, z⁺ above.
            byDomain = false;
        }
        var chosen = preset ?? (byDomain ? Composite.DeepTaylor(first) : null);
        var restName = chosen is SelectorComposite { Entries: [_, var convolutions, var dense] }
            ? $"{convolutions.Rule.Name} on convolutions and {dense.Rule.Name} on dense layers ({Preset})"
            : chosen is UniformComposite ? $"{rest.Name} on every linear layer ({Preset})"
            : byDomain ? "z⁺ where the input is ≥ 0, w² where it can be negative" : rest.Name;
        return new ResolvedRules(first, rest, chosen, Preset ?? (byDomain ? "dtd" : rest.Name), restName);
    }
}

/// <summary>Rules resolved against an input: what <see cref="ExplainerSettings"/> takes, and the names reports give them.</summary>
internal sealed record ResolvedRules(Rule First, Rule Rest, Composite? Composite, string Name, string RestName)
{
    /// <summary>Explainer settings with these rules.</summary>
    public ExplainerSettings Settings(ImageInput image, ExplainOptions options, int maxMemoryMiB) => new()
    {
        Image = image, FirstRule = First, Rule = Rest, Composite = Composite, Options = options, MaxWorkspaceBytes = (long)maxMemoryMiB << 20,
    };
}
