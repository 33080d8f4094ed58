using FsCheck;
using FsCheck.Fluent;
using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests;

/// <summary>The paper's consistency propositions on random networks (docs/rules.md §1, §3–5).</summary>
public class PropositionTests
{
    private static Property Consistent(OneLayerSpec s, Rule rule)
    {
        var v = Verdict.Of(Propagation.Explain(s.Network, s.Input, Composite.Uniform(rule)));
        return v.Consistent.Label($"{rule.Name}: relative error {v.RelativeError:G3}, minimum {v.RelativeMinimum:G3}");
    }

    [SpecProperty]
    public Property Prop1_WSquare_is_consistent_on_class_G_for_any_input() =>
        Prop.ForAll(Arbitraries.OneLayer(InputDomain.Real), s => Consistent(s, Rules.WSquare));

    [SpecProperty]
    public Property Prop2_ZPlus_is_consistent_on_class_G_for_non_negative_input() =>
        Prop.ForAll(Arbitraries.OneLayer(InputDomain.NonNegative), s => Consistent(s, Rules.ZPlus));

    [SpecProperty]
    public Property Prop3_ZBox_is_consistent_on_class_G_inside_a_per_element_box() =>
        Prop.ForAll(Arbitraries.OneLayer(InputDomain.Box), s => Consistent(s, s.Box));

    [SpecProperty]
    public Property Top_layer_relevance_is_the_detection_activations() =>
        // R_k = x_k, then R_j = x_j (the sum's only admissible root is 0): the sum layer passes each neuron its activation.
        Prop.ForAll(Arbitraries.OneLayer(InputDomain.Real), s =>
        {
            var e = Propagation.Explain(s.Network, s.Input, Composite.Uniform(Rules.WSquare));
            var activations = Forward.Run(s.Network, s.Input).Of("ReLU1");
            return activations.Data.Zip(e.RelevanceOf("ReLU1").Data).All(p => Math.Abs(p.First - p.Second) <= Tolerances.Conservation * ConsistencyReport.Scale(e.Output));
        });

    private static bool AllZero(Explanation e) =>
        e.Heatmap.Data.All(v => v == 0) && e.Nodes.All(n => n.Relevance.Data.All(v => v == 0));

    [SpecProperty]
    public Property Zero_output_gives_zero_relevance_for_every_consistent_rule_on_class_G() =>
        Prop.ForAll(Arbitraries.OneLayer(InputDomain.Box, dead: true), s =>
        {
            var f = Forward.Output(s.Network, s.Input)[0];
            // Shrinking may revive a neuron; then the implication holds vacuously and the shrink is not kept.
            var nonNegative = s with { X = [.. s.X.Select(v => Math.Max(0, v))] };
            return (f != 0 || (AllZero(Propagation.Explain(s.Network, s.Input, Composite.Uniform(Rules.WSquare)))
                              && AllZero(Propagation.Explain(s.Network, s.Input, Composite.Uniform(s.Box)))))
                   && (Forward.Output(nonNegative.Network, nonNegative.Input)[0] != 0
                       || AllZero(Propagation.Explain(nonNegative.Network, nonNegative.Input, Composite.Uniform(Rules.ZPlus))));
        });

    [SpecProperty]
    public Property Zero_output_gives_zero_relevance_for_training_free_DTD_on_deep_graphs() =>
        Prop.ForAll(Arbitraries.Deep(dead: true), spec =>
        {
            var c = spec.Build();
            var f = Forward.Output(c.Network, c.Input)[0];
            return f != 0
                || (AllZero(Propagation.Explain(c.Network, c.Input, Composite.TrainingFreeDtd(c.Box)))
                    && AllZero(Propagation.Explain(c.Network, c.Input, Composite.TrainingFreeDtd(Rules.WSquare))));
        });

    [Fact]
    public void The_dead_generators_really_hit_zero_output()
    {
        var oneLayer = Arbitraries.OneLayer(InputDomain.Box, dead: true).Generator.Sample(SpecPropertyAttribute.Cases, 50);
        Assert.All(oneLayer, s => Assert.Equal(0, Forward.Output(s.Network, s.Input)[0]));
        var deep = Arbitraries.Deep(dead: true).Generator.Sample(SpecPropertyAttribute.Cases, 50);
        Assert.All(deep, s =>
        {
            var c = s.Build();
            Assert.Equal(0, Forward.Output(c.Network, c.Input)[0]);
        });
    }

    [SpecProperty]
    public Property Training_free_DTD_with_ZBox_first_is_consistent_at_every_layer_of_deep_graphs() =>
        Prop.ForAll(Arbitraries.Deep(), spec =>
        {
            var c = spec.Build();
            var e = Propagation.Explain(c.Network, c.Input, Composite.TrainingFreeDtd(c.Box));
            return e.Consistency.IsConsistent(Tolerances.Conservation).Label(string.Join("\n", e.Consistency.Layers));
        });

    [SpecProperty]
    public Property Training_free_DTD_with_WSquare_first_is_consistent_at_every_layer_of_deep_graphs() =>
        Prop.ForAll(Arbitraries.Deep(), spec =>
        {
            var c = spec.Build();
            var e = Propagation.Explain(c.Network, c.Input, Composite.TrainingFreeDtd(Rules.WSquare));
            return e.Consistency.IsConsistent(Tolerances.Conservation).Label(string.Join("\n", e.Consistency.Layers));
        });

    [SpecProperty]
    public Property Positive_biases_as_neurons_take_the_missing_relevance_and_everything_stays_non_negative() =>
        Prop.ForAll(Arbitraries.Deep(nonPositiveBias: false), spec =>
        {
            var c = spec.Build();
            var e = Propagation.Explain(c.Network, c.Input, Composite.TrainingFreeDtd(c.Box));
            var r = e.Consistency;
            var balance = Math.Abs(r.HeatmapSum + r.BiasRelevance - e.Output) / ConsistencyReport.Scale(e.Output);
            return (balance <= Tolerances.Conservation && r.IsPositive && r.BiasRelevance >= 0 && r.Layers.All(l => l.BiasRelevance >= 0))
                .Label($"input {r.HeatmapSum} + biases {r.BiasRelevance} vs f = {e.Output}");
        });

    [Fact]
    public void Positive_biases_do_take_relevance_in_the_generated_cases()
    {
        // Guards the property above against a generator that never produces a positive bias on an active neuron.
        var taken = Arbitraries.Deep(nonPositiveBias: false).Generator.Sample(SpecPropertyAttribute.Cases, 50)
            .Select(s => s.Build())
            .Count(c => Propagation.Explain(c.Network, c.Input, Composite.TrainingFreeDtd(c.Box)).Consistency.BiasRelevance > 0);
        Assert.True(taken >= SpecPropertyAttribute.Cases / 10, $"only {taken} cases had relevance absorbed by biases");
    }
}
