using FsCheck;
using FsCheck.Fluent;
using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests;

/// <summary>Proposition 8: finite in, finite out — zero denominators give zero relevance, never NaN or Inf (docs/rules.md §3).</summary>
public class FiniteTests
{
    private static readonly Func<DeepCase, Composite>[] Composites =
    [
        c => Composite.TrainingFreeDtd(c.Box),
        _ => Composite.TrainingFreeDtd(Rules.WSquare),
        _ => Composite.FirstLayer(Rules.WSquare, Rules.ZPlus),
        _ => Composite.Uniform(Rules.Z),
        _ => Composite.Uniform(Rules.Epsilon()),
        _ => Composite.Uniform(Rules.AlphaBeta(2, 1)),
        _ => Composite.Uniform(Rules.Flat),
    ];

    private static bool Finite(Explanation e) =>
        e.Heatmap.Data.All(double.IsFinite) && e.Nodes.All(n => n.Relevance.Data.All(double.IsFinite))
        && e.Consistency.Layers.All(l => double.IsFinite(l.AbsoluteError) && double.IsFinite(l.BiasRelevance));

    [SpecProperty]
    public Property Every_rule_gives_finite_relevance_for_finite_inputs_including_zero_weights_and_inputs() =>
        Prop.ForAll(Arbitraries.Degenerate(), spec =>
        {
            var c = spec.Build();
            return Composites.All(make =>
                Finite(Propagation.Explain(c.Network, c.Input, make(c)))
                && Finite(Propagation.Explain(c.Network, c.Input, make(c), new ExplainOptions(PoolingRedistribution.WinnerTakeAll, BiasTreatment.Ignore))));
        });

    [Fact]
    public void The_degenerate_generator_produces_zero_weights_and_zero_inputs()
    {
        var specs = Arbitraries.Degenerate().Generator.Sample(SpecPropertyAttribute.Cases, 50);
        Assert.Contains(specs, s => s.ZeroWeights);
        Assert.Contains(specs, s => s.ZeroInput);
    }

    [Fact]
    public void All_zero_network_and_input_give_an_all_zero_heatmap()
    {
        var net = Network.Sequential(Shape.Of(3), new Dense(3, 2, [0, 0, 0, 0, 0, 0], [0, 0]), new ReLU(), new Sum());
        foreach (var rule in new Rule[] { Rules.WSquare, Rules.Z, Rules.ZPlus, Rules.ZBox(-1, 1), Rules.Epsilon(), Rules.AlphaBeta(2, 1), Rules.Flat })
        {
            var e = Propagation.Explain(net, Tensor.Zeros(Shape.Of(3)), Composite.Uniform(rule));
            Assert.All(e.Heatmap.Data, v => Assert.Equal(0, v));
        }
    }
}

public class MeasureTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(72)]
    [InlineData(1001)]
    public void The_vectorised_measure_equals_the_scalar_definitions(int length)
    {
        var rng = new Random(length);
        var r = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 4 - 1)).ToArray();
        var (sum, negative, minimum) = Relevances.Measure(r);
        Assert.Equal(r.Sum(v => (double)v), sum, 9);
        Assert.Equal(r.Sum(v => Math.Min(0, (double)v)), negative, 9);
        Assert.Equal(length == 0 ? 0 : r.Min(), minimum);
    }
}
