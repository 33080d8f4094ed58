using Relevance.Reference;

namespace Relevance.Tests;

/// <summary>Construction-time validation: bad shapes, rules outside their domain, and layers no rule covers are typed errors that say where.</summary>
public class ModelTests
{
    private static Dense Dense(int i, int o, double b = 0) => new(i, o, [.. Enumerable.Repeat(0.5, i * o)], [.. Enumerable.Repeat(b, o)]);

    [Fact]
    public void A_shape_mismatch_names_the_layer_and_both_shapes()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => Network.Sequential(Shape.Of(4), Dense(4, 3), new ReLU(), Dense(5, 1)));
        Assert.Equal("Dense2", e.Node);
        Assert.Contains("expects 5 inputs", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void A_convolution_on_the_wrong_channels_names_both_shapes()
    {
        var conv = new Conv2d(3, 2, 3, 3, [.. new double[54]], [0, 0]);
        var e = Assert.Throws<ShapeMismatchException>(() => Network.Sequential(Shape.Of(1, 8, 8), conv));
        Assert.Contains("[3×H×W]", e.Message);
        Assert.Contains("[1×8×8]", e.Message);
    }

    [Fact]
    public void Graph_errors_are_reported()
    {
        Assert.Throws<NetworkException>(() => new Network(Shape.Of(2), []));
        Assert.Throws<NetworkException>(() => new Network(Shape.Of(2), [new Node("a", new ReLU(), ["b"])]));
        Assert.Throws<NetworkException>(() => new Network(Shape.Of(2), [new Node("a", new ReLU(), ["input"]), new Node("a", new ReLU(), ["input"])]));
        Assert.Throws<ShapeMismatchException>(() => new Network(Shape.Of(2), [new Node("a", Dense(2, 3), ["input"]), new Node("b", new Add(), ["a", "input"])]));
        Assert.Throws<ArgumentException>(() => new Dense(2, 2, [1, 2, 3], [0, 0]));
        Assert.Throws<ArgumentException>(() => new Dense(1, 1, [double.NaN], [0]));
    }

    [Fact]
    public void Rule_parameters_are_validated()
    {
        Assert.Throws<ArgumentException>(() => Rules.ZBox(0.1, 1));
        Assert.Throws<ArgumentException>(() => Rules.ZBox(-1, -0.1));
        Assert.Throws<ArgumentException>(() => Rules.AlphaBeta(2, 2));
        Assert.Throws<ArgumentException>(() => Rules.Epsilon(0));
        Assert.Throws<ArgumentException>(() => Composite.TrainingFreeDtd(Rules.ZPlus));
    }

    [Fact]
    public void ZBox_bounds_of_the_wrong_shape_are_an_error_never_broadcast()
    {
        var net = Network.Sequential(Shape.Of(1, 2, 2), new Flatten(), Dense(4, 2), new ReLU(), new Sum());
        var bounds = new ZBoxRule(Bounds.PerElement(Tensor.Filled(Shape.Of(2), -1)), Bounds.PerElement(Tensor.Filled(Shape.Of(2), 1)));
        var e = Assert.Throws<ShapeMismatchException>(() => Propagation.Explain(net, Tensor.Zeros(Shape.Of(1, 2, 2)), Composite.TrainingFreeDtd(bounds)));
        Assert.Equal("Dense1", e.Node);
        Assert.Contains("never broadcast", e.Message);
    }

    [Fact]
    public void Inputs_outside_a_rule_domain_are_an_error()
    {
        var net = Network.Sequential(Shape.Of(2), Dense(2, 1), new ReLU(), new Sum());
        var zplus = Assert.Throws<RuleDomainException>(() => Propagation.Explain(net, Tensor.Vector(1, -0.5), Composite.Uniform(Rules.ZPlus)));
        Assert.Contains("input 1 is -0.5", zplus.Message);
        var box = Assert.Throws<RuleDomainException>(() => Propagation.Explain(net, Tensor.Vector(2, 0), Composite.Uniform(Rules.ZBox(-1, 1))));
        Assert.Contains("outside [-1, 1]", box.Message);
    }

    [Fact]
    public void Bad_inputs_are_an_error()
    {
        var net = Network.Sequential(Shape.Of(2), Dense(2, 1), new ReLU(), new Sum());
        Assert.Throws<InvalidInputException>(() => Forward.Run(net, Tensor.Vector(1, 2, 3)));
        Assert.Throws<InvalidInputException>(() => Forward.Run(net, Tensor.Vector(1, double.NaN)));
        Assert.Throws<InvalidInputException>(() => Forward.Run(net, Tensor.Vector(double.PositiveInfinity, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Propagation.Explain(net, Tensor.Vector(1, 1), Composite.Uniform(Rules.WSquare), target: 3));
    }

    [Fact]
    public void A_layer_without_a_rule_is_an_error_not_a_gradient_fallback()
    {
        var net = Network.Sequential(Shape.Of(2), Dense(2, 2), new ReLU(), Dense(2, 1));
        var e = Assert.Throws<UncoveredLayerException>(() =>
            Propagation.Explain(net, Tensor.Vector(1, 1), Composite.PerLayer(new Dictionary<string, Rule> { ["Dense0"] = Rules.WSquare })));
        Assert.Equal("Dense2", e.Node);
        var bn = Network.Sequential(Shape.Of(2), new BatchNorm([1, 1], [0, 0], [0, 0], [1, 1]), Dense(2, 1));
        Assert.Throws<UncoveredLayerException>(() => Propagation.Explain(bn, Tensor.Vector(1, 1), Composite.Uniform(Rules.WSquare)));
        Assert.Throws<NetworkException>(() => Composite.PerLayer(new Dictionary<string, Rule> { ["nope"] = Rules.Z }).Resolve(net));
    }
}

public class SelectorCompositeTests
{
    [Fact]
    public void Layers_are_addressed_by_name_type_and_position_first_match_winning()
    {
        var conv = new Conv2d(1, 2, 1, 1, [1, -1], [0, 0]);
        var net = Network.Sequential(Shape.Of(1, 2, 2), conv, new ReLU(), new Flatten(), new Dense(8, 3, [.. new double[24]], [0, 0, 0]), new ReLU(),
            new Dense(3, 1, [1, 1, 1], [0]));
        var rules = Composite.Select(
            (LayerSelector.Position(-1), Rules.Flat),
            (LayerSelector.Name("Dense3"), Rules.Epsilon()),
            (LayerSelector.Type<Conv2d>(), Rules.WSquare)).Resolve(net);
        Assert.Equal(Rules.WSquare, rules["Conv2d0"]);
        Assert.IsType<EpsilonRule>(rules["Dense3"]);
        Assert.Equal(Rules.Flat, rules["Dense5"]);
        var uncovered = Assert.Throws<UncoveredLayerException>(() => Composite.Select((LayerSelector.Type<Dense>(), Rules.Z)).Resolve(net));
        Assert.Equal("Conv2d0", uncovered.Node);
        Assert.Equal(3, Composite.Select((LayerSelector.Any, Rules.Z)).Resolve(net).Count);
    }

    // Zennit's presets assign by depth and type: the first linear layer its own rule, every other convolution one rule,
    // every dense layer ε.
    [Fact]
    public void The_presets_give_the_first_layer_convolutions_and_dense_layers_their_rules()
    {
        var net = Network.Sequential(Shape.Of(1, 3, 3), new Conv2d(1, 2, 1, 1, [1, -1], [0, 0]), new ReLU(), new Conv2d(2, 2, 1, 1, [1, 0, 0, 1], [0, 0]),
            new ReLU(), new Flatten(), new Dense(18, 3, [.. new double[54]], [0, 0, 0]));
        var box = Rules.ZBox(-1, 1);
        var gammaBox = Composite.EpsilonGammaBox(box, gamma: 0.5, epsilon: 1e-3).Resolve(net);
        Assert.Equal(box, gammaBox["Conv2d0"]);
        Assert.Equal(Rules.Gamma(0.5, 1e-3), gammaBox["Conv2d2"]);
        Assert.Equal(Rules.Epsilon(1e-3), gammaBox["Dense5"]);
        var plusFlat = Composite.EpsilonPlusFlat().Resolve(net);
        Assert.Equal([Rules.Flat, Rules.ZPlus, Rules.Epsilon(1e-6)], new[] { plusFlat["Conv2d0"], plusFlat["Conv2d2"], plusFlat["Dense5"] });
        var alphaBeta = Composite.EpsilonAlpha2Beta1().Resolve(net);
        Assert.Equal([Rules.Flat, Rules.AlphaBeta(2, 1), Rules.Epsilon(1e-6)], new[] { alphaBeta["Conv2d0"], alphaBeta["Conv2d2"], alphaBeta["Dense5"] });

        // By name, as the CLI's --composite takes them: the same presets; a wrong name says which exist.
        Assert.Equal(Composite.EpsilonGammaBox(box).Resolve(net), Composite.Preset("epsilon-gamma-box", box).Resolve(net));
        Assert.Equal(plusFlat, Composite.Preset("epsilon-plus-flat").Resolve(net));
        Assert.Equal(alphaBeta, Composite.Preset("epsilon-alpha2-beta1").Resolve(net));
        Assert.Contains("epsilon-plus-flat", Assert.Throws<ArgumentException>(() => Composite.Preset("epsilon-flat")).Message);
        Assert.Throws<ArgumentException>(() => Composite.Preset("epsilon-gamma-box"));

        // The transformer presets: ε everywhere, and the attention setting that tells them apart.
        Assert.All(Composite.Preset("attnlrp").Resolve(net).Values, r => Assert.Equal(Rules.Epsilon(1e-6), r));
        Assert.Equal(Composite.Preset("attnlrp").Resolve(net), Composite.Preset("cp-lrp").Resolve(net));
        Assert.Equal(AttentionRedistribution.ValuesOnly, Composite.PresetOptions("cp-lrp", ExplainOptions.Default).Attention);
        Assert.Equal(AttentionRedistribution.Uniform, Composite.PresetOptions("attnlrp", ExplainOptions.Default with { Attention = AttentionRedistribution.ValuesOnly }).Attention);
        Assert.Equal(ExplainOptions.Default, Composite.PresetOptions("epsilon-plus-flat", ExplainOptions.Default));
        // With γ, LXT's choice for vision transformers: the γ-rule (with the preset's ε) on every linear layer; other presets
        // have their own rules and refuse it.
        Assert.All(Composite.Preset("cp-lrp", gamma: 0.25).Resolve(net).Values, r => Assert.Equal(Rules.Gamma(0.25, 1e-6), r));
        Assert.Contains("attnlrp and cp-lrp", Assert.Throws<ArgumentException>(() => Composite.Preset("epsilon-plus-flat", gamma: 0.25)).Message);

        // z⁺ holds on every input where it reads rectified values; after a Tanh it does not, and the composite says so.
        Assert.True(Composite.EpsilonPlusFlat().HoldsOnEveryInput(net));
        var tanh = Network.Sequential(Shape.Of(1, 3, 3), new Conv2d(1, 2, 1, 1, [1, -1], [0, 0]), new Tanh(), new Conv2d(2, 2, 1, 1, [1, 0, 0, 1], [0, 0]));
        Assert.False(Composite.EpsilonPlusFlat().HoldsOnEveryInput(tanh));
        Assert.True(Composite.EpsilonAlpha2Beta1().HoldsOnEveryInput(tanh));
    }
}

public class DeepTaylorCompositeTests
{
    // Conv → ReLU → Conv (a linear bottleneck: its output is not rectified) → Conv → HardSwish → Flatten → Dense → ReLU → Dense.
    private static Network Bottleneck(Random rng)
    {
        static Conv2d Conv(Random rng, int cin, int cout) =>
            new(cin, cout, 3, 3, [.. Enumerable.Range(0, cout * cin * 9).Select(_ => rng.NextDouble() - 0.5)], [.. Enumerable.Range(0, cout).Select(_ => rng.NextDouble() * 0.1)], 1, Padding2d.Uniform(1));
        static Dense Fc(Random rng, int i, int o) => new(i, o, [.. Enumerable.Range(0, i * o).Select(_ => rng.NextDouble() - 0.5)], [.. new double[o]]);
        return Network.Sequential(Shape.Of(2, 5, 5), Conv(rng, 2, 3), new ReLU(), Conv(rng, 3, 3), Conv(rng, 3, 4), new HardSwish(), new Flatten(),
            Fc(rng, 100, 6), new ReLU(), Fc(rng, 6, 3));
    }

    [Fact]
    public void Z_plus_goes_where_the_input_is_rectified_and_w_square_where_it_can_be_negative()
    {
        var rules = Composite.DeepTaylor(Rules.WSquare).Resolve(Bottleneck(new Random(1)));
        Assert.Equal(Rules.WSquare, rules["Conv2d0"]);
        Assert.Equal(Rules.ZPlus, rules["Conv2d2"]);
        Assert.Equal(Rules.WSquare, rules["Conv2d3"]);
        Assert.Equal(Rules.WSquare, rules["Dense6"]);
        Assert.Equal(Rules.ZPlus, rules["Dense8"]);
        Assert.Throws<ArgumentException>(() => Composite.DeepTaylor(Rules.ZPlus));
    }

    // Where training-free DTD refuses the network (z⁺ on a negative input), the composite by domain explains it, in the
    // engine as in the reference, and conserves: every rule it picks is conservative, so Σ R + bias share = f.
    [Fact]
    public void It_explains_a_network_that_training_free_DTD_refuses_and_conserves()
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var network = Bottleneck(new Random(seed));
            var c = Relevance.Tests.Engine.TwoConvolutions.Uniform(network, new Random(seed));
            var composite = Composite.DeepTaylor(new ZBoxRule(Bounds.PerElement(c.Low), Bounds.PerElement(c.High)));
            Assert.Throws<RuleDomainException>(() => Propagation.Explain(network, c.Input, Composite.TrainingFreeDtd(Rules.WSquare)));
            var (ok, why) = Relevance.Tests.Engine.EngineParityTests.Agree(c, composite, ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
            var e = Propagation.Explain(network, c.Input, composite);
            Assert.Equal(e.Output, e.Heatmap.Data.Sum() + e.Consistency.BiasRelevance, 1e-9 * Math.Max(1, Math.Abs(e.Output)));
        }
    }
}
