using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Relevance.Engine;
using Relevance.Specification;

namespace Relevance.Tests.Engine;

/// <summary>The propositions hold for the engine too: consistent at every layer, in float32.</summary>
public class EngineConsistencyTests
{
    // float32 sums of ≤ ~10³ non-negative terms per neuron: relative rounding ≤ 10³·6e-8 = 6e-5 per layer in the worst case.
    private const double FloatConservation = 1e-4;

    private static float[] Floats(Tensor t) => [.. t.Data.Select(v => (float)v)];

    [SpecProperty]
    public Property Training_free_DTD_in_the_engine_is_consistent_at_every_layer() =>
        Prop.ForAll(Arbitraries.Deep(nonPositiveBias: false), spec =>
        {
            var c = spec.Build();
            var e = EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(c.Box)).Explain(Floats(c.Input));
            var r = e.Consistency;
            return (r.IsPositive && r.Layers.All(l => l.RelativeError <= FloatConservation) && r.RelativeError <= FloatConservation)
                .Label(string.Join("\n", r.Layers));
        });

    [Fact]
    public void A_batch_gives_the_same_explanations_as_one_at_a_time()
    {
        var cases = Arbitraries.Deep().Generator.Sample(20, 5).Select(s => s.Build()).ToList();
        var c = cases[0];
        var engine = EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(c.Box));
        var rng = new Random(3);
        var inputs = Enumerable.Range(0, 5).Select(_ => Floats(c.Input).Select(v => v * (float)rng.NextDouble()).ToArray()).ToList();
        var batch = engine.ExplainBatch(inputs.SelectMany(v => v).ToArray(), inputs.Count);
        for (var b = 0; b < inputs.Count; b++)
            Assert.Equal(engine.Explain(inputs[b]).Heatmap.ToArray(), batch[b].Heatmap.ToArray());
        // In workspaces given (fewer than the cores: the others make their own), and the forward pass alone.
        var again = engine.ExplainBatch(inputs.SelectMany(v => v).ToArray(), inputs.Count, [engine.CreateWorkspace()]);
        Assert.Equal(batch.Select(e => e.Heatmap.ToArray()), again.Select(e => e.Heatmap.ToArray()));
        var outputs = engine.ForwardBatch(inputs.SelectMany(v => v).ToArray(), inputs.Count, []);
        Assert.Equal(inputs.SelectMany(x => engine.Forward(x)), outputs);
    }

    [Fact]
    public void Bad_inputs_and_domains_are_typed_errors()
    {
        var net = Network.Sequential(Shape.Of(2), new Dense(2, 1, [1, 1], [0]), new ReLU(), new Sum());
        var zplus = EngineNetwork.Compile(net, Composite.Uniform(Rules.ZPlus));
        Assert.Throws<RuleDomainException>(() => zplus.Explain([1f, -1f]));
        Assert.Throws<InvalidInputException>(() => zplus.Explain([1f]));
        Assert.Throws<InvalidInputException>(() => zplus.Explain([1f, float.NaN]));
        var box = EngineNetwork.Compile(net, Composite.Uniform(Rules.ZBox(-1, 1)));
        Assert.Throws<RuleDomainException>(() => box.Explain([2f, 0f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => box.Explain([0.5f, 0f], target: 1));
        Assert.Throws<InvalidInputException>(() => box.ExplainBatch(new float[3], 2));
        // One input of a batch outside the box: the batch fails with that input's own error.
        Assert.Throws<RuleDomainException>(() => box.ExplainBatch(new float[] { 0.5f, 0f, 2f, 0f, 0.1f, 0f, 0.2f, 0.3f }, 4));
        Assert.Throws<InvalidInputException>(() => box.ForwardBatch(new float[3], 2, []));
    }

    // The input is checked 16 values at a time and then value by value: a non-finite value in a whole vector, in the tail,
    // first or last, is reported with its index.
    [Theory]
    [InlineData(0, float.NaN)]
    [InlineData(17, float.PositiveInfinity)]
    [InlineData(63, float.NegativeInfinity)]
    [InlineData(99, float.NaN)]
    public void A_non_finite_input_value_is_reported_where_it_is(int index, float value)
    {
        var net = Network.Sequential(Shape.Of(100), new Dense(100, 1, [.. Enumerable.Repeat(0.01, 100)], [0]), new ReLU(), new Sum());
        var engine = EngineNetwork.Compile(net, Composite.Uniform(Rules.Z));
        var input = Enumerable.Repeat(0.5f, 100).ToArray();
        Assert.Equal(0.5f, engine.Forward(input)[0], 4);
        input[index] = value;
        var e = Assert.Throws<InvalidInputException>(() => engine.Forward(input));
        Assert.Contains($"at index {index}", e.Message);
    }

    // z^B's bounds are checked 16 values at a time and then value by value: a value outside them is reported with its
    // index wherever it is.
    [Theory]
    [InlineData(0, 1.5f)]
    [InlineData(17, -1.5f)]
    [InlineData(63, 2f)]
    [InlineData(99, -3f)]
    public void A_value_outside_z_box_bounds_is_reported_where_it_is(int index, float value)
    {
        var net = Network.Sequential(Shape.Of(100), new Dense(100, 1, [.. Enumerable.Repeat(0.01, 100)], [0]), new ReLU(), new Sum());
        var engine = EngineNetwork.Compile(net, Composite.Uniform(Rules.ZBox(-1, 1)));
        var input = Enumerable.Repeat(0.5f, 100).ToArray();
        Assert.Equal(0.5, engine.Explain(input).Consistency.HeatmapSum, 4);
        input[index] = value;
        var e = Assert.Throws<RuleDomainException>(() => engine.Explain(input));
        Assert.Contains($"input {index} is {value}", e.Message);
    }

    // z⁺ skips its domain check only where the input is ≥ 0 by construction: after a ReLU (directly or through pooling,
    // concatenation and sums of such values), not after a linear layer, nor where a sum mixes both.
    [Theory]
    [InlineData("relu", false)]
    [InlineData("pooled relu", false)]
    [InlineData("linear", true)]
    [InlineData("relu + linear", true)]
    public void Z_plus_checks_its_input_unless_it_is_non_negative_by_construction(string feed, bool throws)
    {
        // Dense(1 → 2) with weights +1 and −1 gives one negative output for the input 1; w² takes the input layer.
        var first = new Dense(1, 2, [1, -1], [0, 0]);
        var second = new Dense(2, 1, [1, 1], [0]);
        ImmutableArray<Node> nodes = feed switch
        {
            "relu" => [new("a", first, [Network.InputName]), new("r", new ReLU(), ["a"]), new("b", second, ["r"])],
            "pooled relu" => [new("a", first, [Network.InputName]), new("r", new ReLU(), ["a"]), new("s", new Reshape(Shape.Of(2, 1, 1)), ["r"]),
                new("p", Pool2d.MaxPool(1), ["s"]), new("f", new Flatten(), ["p"]), new("b", second, ["f"])],
            "linear" => [new("a", first, [Network.InputName]), new("b", second, ["a"])],
            _ => [new("a", first, [Network.InputName]), new("r", new ReLU(), ["a"]), new("m", new Add(), ["r", "a"]), new("b", second, ["m"])],
        };
        var engine = EngineNetwork.Compile(new Network(Shape.Of(1), nodes), Composite.FirstLayer(Rules.WSquare, Rules.ZPlus));
        if (throws) Assert.Contains("Node 'b': z⁺ needs non-negative inputs", Assert.Throws<RuleDomainException>(() => engine.Explain([1f], target: 0)).Message);
        else Assert.Equal(1, engine.Explain([1f], target: 0).Output, 6);
    }
}
