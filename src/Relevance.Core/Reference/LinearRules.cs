namespace Relevance.Reference;

/// <summary>The per-neuron definitions of every rule: R_i = Σ_j q_ij / d_j · R_j, written as in docs/rules.md §3 and §6.</summary>
internal static class LinearRules
{
    /// <summary>Relevance passed to the inputs, and the relevance taken by positive biases treated as neurons.</summary>
    public readonly record struct Result(double[] Lower, double BiasRelevance);

    /// <summary>Redistributes the upper relevance R_j of a linear layer to its inputs x_i with a rule.</summary>
    /// <exception cref="RuleDomainException">x is outside the rule's domain (z⁺: x ≥ 0; z^B: l ≤ x ≤ h).</exception>
    public static Result Propagate(string node, Rule rule, LinearMap map, Tensor x, ReadOnlySpan<double> upper, BiasTreatment bias)
    {
        var xs = x.ToArray();
        if (xs.Length != map.Inputs) throw new ArgumentException($"Node '{node}': the layer takes {map.Inputs} inputs, got {xs.Length}.", nameof(x));
        double BiasNeuron(int j) => bias != BiasTreatment.Ignore ? Math.Max(0, map.Bias[j]) : 0;
        // Zennit's conventions (BiasTreatment.Zennit): z^B without the bias, w² with b², γ with b + γb⁺.
        double BoxBias(int j) => bias == BiasTreatment.Neuron ? BiasNeuron(j) : 0;
        double SquaredBias(int j) => bias == BiasTreatment.Zennit ? map.Bias[j] * map.Bias[j] : 0;
        switch (rule)
        {
            case WSquareRule:
                return Redistribute(map, upper, c => map.W(c) * map.W(c), (j, s) => s + SquaredBias(j), SquaredBias);
            case ZRule:
                return Redistribute(map, upper, c => xs[c.Input] * map.W(c), (_, s) => s, _ => 0);
            case ZPlusRule:
                RequireNonNegative(node, xs);
                return Redistribute(map, upper, c => xs[c.Input] * Math.Max(0, map.W(c)), (j, s) => s + BiasNeuron(j), BiasNeuron);
            case ZBoxRule box:
                RequireInBox(node, box, x);
                return Redistribute(map, upper,
                    c => xs[c.Input] * map.W(c) - box.Low.At(c.Input) * Math.Max(0, map.W(c)) - box.High.At(c.Input) * Math.Min(0, map.W(c)),
                    (j, s) => s + BoxBias(j), BoxBias);
            case GammaRule g:
            {
                // Each output takes the branch of the sign of a_j = Σ_i x_i w_ij (+ b_j under Zennit's conventions), sign(0) = +1:
                // where a_j ≥ 0 the contributions that push it up are amplified, x⁺ (w + γw⁺) + x⁻ (w + γw⁻), and where
                // a_j < 0 those that push it down, x⁺ (w + γw⁻) + x⁻ (w + γw⁺) (docs/rules.md §6).
                var zennit = bias == BiasTreatment.Zennit;
                var a = new double[map.Outputs];
                for (var j = 0; j < a.Length; j++) a[j] = zennit ? map.Bias[j] : 0;
                foreach (var c in map.Connections) a[c.Output] += xs[c.Input] * map.W(c);
                static double Amplified(double v, bool up) => up ? Math.Max(0, v) : Math.Min(0, v);
                double GammaBias(int j) => zennit ? map.Bias[j] + g.Gamma * Amplified(map.Bias[j], a[j] >= 0) : 0;
                return Redistribute(map, upper, c => xs[c.Input] * (map.W(c) + g.Gamma * Amplified(map.W(c), a[c.Output] >= 0 == xs[c.Input] >= 0)),
                    (j, s) => g.Epsilon > 0 ? Stabilise(s + GammaBias(j), g.Epsilon) : s + GammaBias(j), GammaBias);
            }
            case EpsilonRule eps:
                // The bias and ε absorb relevance by definition; it is not counted as a bias neuron's share.
                return Redistribute(map, upper, c => xs[c.Input] * map.W(c), (j, s) => Stabilise(s + map.Bias[j], eps.Epsilon), _ => 0);
            case AlphaBetaRule ab:
            {
                double NegativeBias(int j) => bias != BiasTreatment.Ignore ? Math.Min(0, map.Bias[j]) : 0;
                var positive = Redistribute(map, upper, c => Math.Max(0, xs[c.Input] * map.W(c)), (j, s) => s + BiasNeuron(j), BiasNeuron);
                var negative = Redistribute(map, upper, c => Math.Min(0, xs[c.Input] * map.W(c)), (j, s) => s + NegativeBias(j), NegativeBias);
                var lower = new double[map.Inputs];
                for (var i = 0; i < lower.Length; i++) lower[i] = ab.Alpha * positive.Lower[i] - ab.Beta * negative.Lower[i];
                return new Result(lower, ab.Alpha * positive.BiasRelevance - ab.Beta * negative.BiasRelevance);
            }
            case FlatRule:
                return Redistribute(map, upper, _ => 1, (_, s) => s, _ => 0);
            default:
                throw new System.Diagnostics.UnreachableException(rule.GetType().Name);
        }
    }

    /// <summary>s(t) = t + ε·sign(t), with sign(0) = +1 (docs/rules.md §6).</summary>
    public static double Stabilise(double t, double epsilon) => t >= 0 ? t + epsilon : t - epsilon;

    /// <summary>q / d, with 0/0 (and any zero denominator) taken as 0: the supplement shows R_j = 0 there, so nothing is lost and no NaN appears.</summary>
    public static double SafeDivide(double q, double d) => d == 0 ? 0 : q / d;

    // R_i = Σ_j q_ij / d_j · R_j with d_j = denominator(j, Σ_i q_ij); the share extra(j) / d_j · R_j goes to the bias neuron.
    private static Result Redistribute(LinearMap map, ReadOnlySpan<double> upper, Func<Connection, double> q,
        Func<int, double, double> denominator, Func<int, double> biasNeuron)
    {
        var sums = new double[map.Outputs];
        foreach (var c in map.Connections) sums[c.Output] += q(c);
        var ratio = new double[map.Outputs];
        var biasRelevance = 0.0;
        for (var j = 0; j < ratio.Length; j++)
        {
            var d = denominator(j, sums[j]);
            ratio[j] = SafeDivide(upper[j], d);
            biasRelevance += biasNeuron(j) * ratio[j];
        }
        var lower = new double[map.Inputs];
        foreach (var c in map.Connections) lower[c.Input] += q(c) * ratio[c.Output];
        return new Result(lower, biasRelevance);
    }

    private static void RequireNonNegative(string node, double[] x)
    {
        for (var i = 0; i < x.Length; i++)
            if (x[i] < 0)
                throw new RuleDomainException(node, $"z⁺ needs non-negative inputs, but input {i} is {x[i]}. Use z^B or w² on layers whose input can be negative; Composite.DeepTaylor (relevance explain --rule dtd) chooses them by each layer's input domain.");
    }

    private static void RequireInBox(string node, ZBoxRule box, Tensor x)
    {
        box.Low.RequireShape(node, x.Shape);
        box.High.RequireShape(node, x.Shape);
        for (var i = 0; i < x.Size; i++)
        {
            var (l, h) = (box.Low.At(i), box.High.At(i));
            if (x[i] < l || x[i] > h)
                throw new RuleDomainException(node, $"z^B needs l ≤ x ≤ h, but input {i} is {x[i]} outside [{l}, {h}].");
        }
    }
}
