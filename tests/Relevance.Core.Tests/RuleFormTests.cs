using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests;

/// <summary>Proposition 7: the supplement's matrix forms equal the per-neuron definitions, and the rule identities hold.</summary>
public class RuleFormTests
{
    // Both forms add the same non-negative terms in different orders; 1e-9 relative to the largest magnitude
    // involved (and at least 1) bounds that reordering with room to spare (see Tolerances.Conservation).
    private static bool Close(IEnumerable<double> a, IEnumerable<double> b)
    {
        var (x, y) = (a.ToArray(), b.ToArray());
        var scale = Math.Max(1, x.Concat(y).Select(Math.Abs).DefaultIfEmpty(0).Max());
        return x.Length == y.Length && x.Zip(y).All(p => Math.Abs(p.First - p.Second) <= Tolerances.Conservation * scale);
    }

    private static LinearMap MapOf(LayerCase c) => LinearMap.Of(c.Layer, c.Input.Shape);

    private static double[] PerNeuron(LayerCase c, Rule rule, BiasTreatment bias = BiasTreatment.Ignore) =>
        LinearRules.Propagate("layer", rule, MapOf(c), c.Input, [.. c.Upper], bias).Lower;

    private static Vector<double> V(IEnumerable<double> v) => Vector<double>.Build.DenseOfEnumerable(v);

    [SpecProperty]
    public Property WSquare_matrix_form_equals_the_per_neuron_form() =>
        Prop.ForAll(Arbitraries.Layer(), c =>
        {
            var n = MatrixForms.WSquare.Precompute(MatrixForms.MatrixOf(MapOf(c)));
            return Close(n.Apply(V(c.Upper)), PerNeuron(c, Rules.WSquare));
        });

    [SpecProperty]
    public Property Z_matrix_form_equals_the_per_neuron_form() =>
        Prop.ForAll(Arbitraries.Layer(), c =>
            Close(MatrixForms.Z(MatrixForms.MatrixOf(MapOf(c)), V(c.Input.Data), V(c.Upper)), PerNeuron(c, Rules.Z)));

    [SpecProperty]
    public Property ZPlus_matrix_form_equals_the_per_neuron_form_with_and_without_bias_neurons() =>
        Prop.ForAll(Arbitraries.Layer(), c =>
        {
            var map = MapOf(c);
            var form = MatrixForms.ZPlus.Precompute(MatrixForms.MatrixOf(map));
            var biasPlus = V(map.Bias.Select(b => Math.Max(0, b)));
            return Close(form.Apply(V(c.Input.Data), V(c.Upper)), PerNeuron(c, Rules.ZPlus))
                && Close(form.Apply(V(c.Input.Data), V(c.Upper), biasPlus), PerNeuron(c, Rules.ZPlus, BiasTreatment.Neuron));
        });

    [SpecProperty]
    public Property ZBox_matrix_form_equals_the_per_neuron_form_with_and_without_bias_neurons() =>
        Prop.ForAll(Arbitraries.Layer(), c =>
        {
            var map = MapOf(c);
            var rule = new ZBoxRule(Bounds.PerElement(c.Low), Bounds.PerElement(c.High));
            var form = MatrixForms.ZBox.Precompute(MatrixForms.MatrixOf(map));
            var biasPlus = V(map.Bias.Select(b => Math.Max(0, b)));
            var (x, l, h, r) = (V(c.Input.Data), V(c.Low.Data), V(c.High.Data), V(c.Upper));
            return Close(form.Apply(x, l, h, r), PerNeuron(c, rule))
                && Close(form.Apply(x, l, h, r, biasPlus), PerNeuron(c, rule, BiasTreatment.Neuron));
        });

    [SpecProperty]
    public Property ZPlus_equals_AlphaBeta_1_0_on_non_negative_input() =>
        Prop.ForAll(Arbitraries.Layer(), c =>
            Close(PerNeuron(c, Rules.ZPlus, BiasTreatment.Neuron), PerNeuron(c, Rules.AlphaBeta(1, 0), BiasTreatment.Neuron))
            && Close(PerNeuron(c, Rules.ZPlus), PerNeuron(c, Rules.AlphaBeta(1, 0))));

    // γ = 0 with ε = 0 is the z-rule: the same terms x w and the same denominators, so the same relevance to the bit.
    [SpecProperty]
    public Property Gamma_0_is_the_z_rule() =>
        Prop.ForAll(Arbitraries.Layer(), c => PerNeuron(c, Rules.Gamma(0, 0)).SequenceEqual(PerNeuron(c, Rules.Z)));

    // As γ grows, x_i (w + γw⁺) / Σ x (w + γw⁺) tends to x_i w⁺ / Σ x w⁺ (z⁺) on non-negative inputs, at the outputs of the
    // γ-rule's positive branch (S = Σ x w ≥ 0). With P = Σ x w⁺ the difference over an output's inputs sums to at most
    // (Σ|x w| + |S|) / |S + γP| ≤ 4 Σ|x w| / (γP) once γP ≥ 2|S|; outputs where that does not hold yet, the negative branch's
    // (which tends to z⁻ instead), and P = 0 (where z⁺ has no denominator) are left out.
    [SpecProperty]
    public Property Gamma_tends_to_z_plus_on_non_negative_input() =>
        Prop.ForAll(Arbitraries.Layer(), c =>
        {
            const double gamma = 1e6;
            var map = MapOf(c);
            var (plus, sum, magnitude) = (new double[map.Outputs], new double[map.Outputs], new double[map.Outputs]);
            foreach (var e in map.Connections)
            {
                var q = c.Input[e.Input] * map.W(e);
                (plus[e.Output], sum[e.Output], magnitude[e.Output]) = (plus[e.Output] + c.Input[e.Input] * Math.Max(0, map.W(e)), sum[e.Output] + q, magnitude[e.Output] + Math.Abs(q));
            }
            var kept = Enumerable.Range(0, map.Outputs).Select(j => plus[j] > 0 && sum[j] >= 0 && gamma * plus[j] >= 2 * Math.Abs(sum[j])).ToArray();
            var upper = c.Upper.Select((r, j) => kept[j] ? r : 0).ToArray();
            var zPlus = LinearRules.Propagate("layer", Rules.ZPlus, map, c.Input, upper, BiasTreatment.Ignore).Lower;
            var near = LinearRules.Propagate("layer", Rules.Gamma(gamma, 0), map, c.Input, upper, BiasTreatment.Ignore).Lower;
            var bound = upper.Select((r, j) => kept[j] ? 4 * magnitude[j] / (gamma * plus[j]) * Math.Abs(r) : 0).Sum();
            var worst = zPlus.Zip(near, (a, b) => Math.Abs(a - b)).DefaultIfEmpty(0).Max();
            return (worst <= bound + Tolerances.Conservation * Math.Max(1, upper.Sum(Math.Abs))).Label($"worst {worst}, bound {bound}");
        });

    // Zennit's conventions (BiasTreatment.Zennit) change only which bias joins a denominator: z^B is as without biases, z⁺
    // and αβ as with bias neurons, to the bit; w² and γ (ε = 0) take b² and b + γb⁺, and report that share, so
    // Σ R_i + bias share = Σ R_j over the outputs whose denominator is not 0 (the others' relevance is dropped by definition).
    [SpecProperty]
    public Property Zennits_bias_conventions_move_biases_and_account_for_them() =>
        Prop.ForAll(Arbitraries.Layer(), c =>
        {
            var map = MapOf(c);
            var box = new ZBoxRule(Bounds.PerElement(c.Low), Bounds.PerElement(c.High));
            LinearRules.Result Run(Rule rule, BiasTreatment bias, double[]? upper = null) =>
                LinearRules.Propagate("layer", rule, map, c.Input, upper ?? [.. c.Upper], bias);
            bool Same(Rule rule, BiasTreatment other) => Run(rule, BiasTreatment.Zennit).Lower.SequenceEqual(Run(rule, other).Lower);
            bool Accounted(Rule rule, Func<Connection, double> q, Func<int, double> bias)
            {
                var d = map.Bias.Select((_, j) => bias(j)).ToArray();
                foreach (var e in map.Connections) d[e.Output] += q(e);
                var upper = c.Upper.Select((r, j) => d[j] == 0 ? 0 : r).ToArray();
                var r = Run(rule, BiasTreatment.Zennit, upper);
                var scale = Math.Max(1, r.Lower.Sum(Math.Abs) + Math.Abs(r.BiasRelevance) + upper.Sum(Math.Abs));
                return Math.Abs(r.Lower.Sum() + r.BiasRelevance - upper.Sum()) <= Tolerances.Conservation * scale;
            }
            const double gamma = 0.25;
            return (Same(box, BiasTreatment.Ignore) && Same(Rules.ZPlus, BiasTreatment.Neuron) && Same(Rules.AlphaBeta(2, 1), BiasTreatment.Neuron)).Label("moved")
                .And(Accounted(Rules.WSquare, e => map.W(e) * map.W(e), j => map.Bias[j] * map.Bias[j]).Label("w²"))
                .And(Accounted(Rules.Gamma(gamma, 0), e => c.Input[e.Input] * (map.W(e) + gamma * Math.Max(0, map.W(e))),
                    j => map.Bias[j] + gamma * Math.Max(0, map.Bias[j])).Label("γ"));
        });

    [SpecProperty]
    public Property WSquare_and_flat_do_not_depend_on_the_input_given_the_upper_relevance() =>
        Prop.ForAll(Arbitraries.Layer(), c =>
        {
            var other = c with { Input = c.OtherInput };
            return PerNeuron(c, Rules.WSquare).SequenceEqual(PerNeuron(other, Rules.WSquare))
                && PerNeuron(c, Rules.Flat).SequenceEqual(PerNeuron(other, Rules.Flat));
        });

    [Fact]
    public void Flat_counts_only_the_in_bounds_inputs_of_a_padded_convolution()
    {
        // A 3×3 kernel with padding 1 on a 2×2 image: every output sees exactly the 4 pixels, never the padding.
        var conv = new Conv2d(1, 1, 3, 3, [.. Enumerable.Repeat(1.0, 9)], [0.0], stride: 1, padding: 1);
        var map = LinearMap.Of(conv, Shape.Of(1, 2, 2));
        var lower = LinearRules.Propagate("conv", Rules.Flat, map, Tensor.Filled(Shape.Of(1, 2, 2), 1), [4, 0, 0, 0], BiasTreatment.Neuron).Lower;
        Assert.Equal([1.0, 1, 1, 1], lower);
    }

    [Fact]
    public void WSquare_on_a_hand_computed_layer()
    {
        // W = [[1, 0], [2, 3]] (inputs × outputs), R = [5, 3]: column 0 splits 1:4, column 1 goes to input 1.
        var dense = new Dense(2, 2, [1, 0, 2, 3], [0, 0]);
        var lower = LinearRules.Propagate("d", Rules.WSquare, LinearMap.Of(dense, Shape.Of(2)), Tensor.Vector(7, -7), [5, 3], BiasTreatment.Neuron).Lower;
        Assert.Equal(1.0, lower[0], 12);
        Assert.Equal(7.0, lower[1], 12);
    }

    [Fact]
    public void ZBox_on_a_hand_computed_layer()
    {
        // One neuron, w = [1, −1], x = [0.5, 0.5], l = −1, h = 2: q = [0.5·1 + 1·1, −0.5 + 2·1] = [1.5, 1.5].
        var dense = new Dense(2, 1, [1, -1], [0]);
        var lower = LinearRules.Propagate("d", Rules.ZBox(-1, 2), LinearMap.Of(dense, Shape.Of(2)), Tensor.Vector(0.5, 0.5), [6], BiasTreatment.Neuron).Lower;
        Assert.Equal([3.0, 3.0], lower);
    }

    [Fact]
    public void Epsilon_absorbs_the_bias_share()
    {
        // z = 2·1 + 1 = 3, s = 3 + ε: the input gets 2/(3+ε)·R, the rest stays with the bias.
        var dense = new Dense(1, 1, [1], [1]);
        var lower = LinearRules.Propagate("d", Rules.Epsilon(1), LinearMap.Of(dense, Shape.Of(1)), Tensor.Vector(2), [8], BiasTreatment.Neuron).Lower;
        Assert.Equal(4.0, lower[0], 12);
    }
}
