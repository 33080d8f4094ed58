using System.Collections.Immutable;
using System.Globalization;

namespace Relevance.Specification;

/// <summary>A one-layer network of the paper's class G, x_k = Σ_j max(0, Σ_i x_i w_ij + b_j), with an input and the box it lies in.</summary>
/// <remarks>Held as plain numbers so that a shrunk counterexample prints as a small readable network.</remarks>
/// <param name="Inputs">d, the input size.</param>
/// <param name="Hidden">The number of detection neurons j.</param>
/// <param name="Weights">w_ij, row-major d × hidden.</param>
/// <param name="Bias">b_j.</param>
/// <param name="X">The input x.</param>
/// <param name="Low">The box's lower bounds l_i ≤ 0 (used by z^B).</param>
/// <param name="High">The box's upper bounds h_i ≥ 0 (used by z^B).</param>
public sealed record OneLayerSpec(int Inputs, int Hidden, ImmutableArray<double> Weights, ImmutableArray<double> Bias,
    ImmutableArray<double> X, ImmutableArray<double> Low, ImmutableArray<double> High)
{
    /// <summary>Dense(d → hidden), ReLU, Sum.</summary>
    public Network Network => Network.Sequential(Shape.Of(Inputs),
        new Dense(Inputs, Hidden, Weights, Bias), new ReLU(), new Sum());

    /// <summary>The input as a tensor.</summary>
    public Tensor Input => new(Shape.Of(Inputs), X);

    /// <summary>z^B with this case's per-element box.</summary>
    public ZBoxRule Box => new(Bounds.PerElement(new Tensor(Shape.Of(Inputs), Low)), Bounds.PerElement(new Tensor(Shape.Of(Inputs), High)));

    /// <summary>A random case; <paramref name="size"/> grows the network; <paramref name="dead"/> sets biases so that f(x) = 0.</summary>
    public static OneLayerSpec Random(Random rng, int size, InputDomain domain, bool nonPositiveBias = true, bool dead = false)
    {
        var d = rng.Next(1, 2 + Math.Min(size / 4, 22));
        var m = rng.Next(1, 2 + Math.Min(size / 6, 14));
        var w = Enumerable.Range(0, d * m).Select(_ => Draw.Weight(rng)).ToArray();
        var low = Enumerable.Range(0, d).Select(_ => Draw.Low(rng)).ToArray();
        var high = Enumerable.Range(0, d).Select(_ => Draw.High(rng)).ToArray();
        var x = Enumerable.Range(0, d).Select(i => Draw.Input(rng, domain, low[i], high[i])).ToArray();
        var b = Enumerable.Range(0, m).Select(_ => Draw.Bias(rng, nonPositiveBias)).ToArray();
        if (dead)
            for (var j = 0; j < m; j++)
            {
                var z = Enumerable.Range(0, d).Sum(i => x[i] * w[i * m + j]);
                // b_j ≤ −z_j − 0.01 makes z_j + b_j < 0 for every j, hence f(x) = 0 exactly (the margin absorbs the forward
                // pass summing in another order).
                b[j] = -Math.Max(0, z) - 0.01 - Math.Round(0.5 * rng.NextDouble(), 4);
            }
        return new OneLayerSpec(d, m, [.. w], [.. b], [.. x], [.. low], [.. high]);
    }

    /// <summary>Smaller cases that stay in the same domain: fewer neurons, fewer inputs, then rounder numbers.</summary>
    public IEnumerable<OneLayerSpec> Shrink()
    {
        for (var j = 0; j < Hidden && Hidden > 1; j++)
            yield return WithoutHidden(j);
        for (var i = 0; i < Inputs && Inputs > 1; i++)
            yield return WithoutInput(i);
        foreach (var digits in new[] { -1, 0, 1 })
        {
            var w = Weights.Select(v => Simpler(v, digits)).ToImmutableArray();
            if (!w.SequenceEqual(Weights)) yield return this with { Weights = w };
            var b = Bias.Select(v => Simpler(v, digits)).ToImmutableArray();
            if (!b.SequenceEqual(Bias)) yield return this with { Bias = b };
            var x = X.Select(v => Simpler(v, digits)).ToImmutableArray();
            if (!x.SequenceEqual(X)) yield return this with { X = x };
        }
    }

    // Zero (digits < 0), or truncated towards zero to a number of decimals: the sign is kept and |v| does not grow,
    // so b ≤ 0 stays ≤ 0, x ≥ 0 stays ≥ 0, and x stays inside a box with l ≤ 0 ≤ h.
    private static double Simpler(double v, int digits) =>
        digits < 0 ? 0 : Math.Truncate(v * Math.Pow(10, digits)) / Math.Pow(10, digits);

    private OneLayerSpec WithoutHidden(int j) => this with
    {
        Hidden = Hidden - 1,
        Weights = [.. Weights.Where((_, k) => k % Hidden != j)],
        Bias = Bias.RemoveAt(j),
    };

    private OneLayerSpec WithoutInput(int i) => this with
    {
        Inputs = Inputs - 1,
        Weights = [.. Weights.Where((_, k) => k / Hidden != i)],
        X = X.RemoveAt(i),
        Low = Low.RemoveAt(i),
        High = High.RemoveAt(i),
    };

    /// <summary>The case written out: W, b, x and the box.</summary>
    public override string ToString()
    {
        static string Row(IEnumerable<double> v) => "[" + string.Join(", ", v.Select(t => t.ToString("R", CultureInfo.InvariantCulture))) + "]";
        var rows = Enumerable.Range(0, Inputs).Select(i => Row(Weights.Skip(i * Hidden).Take(Hidden)));
        return $"one-layer {Inputs}→{Hidden}→sum: W = [{string.Join(", ", rows)}], b = {Row(Bias)}, x = {Row(X)}, l = {Row(Low)}, h = {Row(High)}";
    }
}
