namespace Relevance.Specification;

/// <summary>Random numbers shaped for DTD test cases: exact zeros, exact bounds and signed values, often enough to matter.</summary>
internal static class Draw
{
    public static double Normal(Random rng, double sd = 1)
    {
        // Box–Muller; rounded to 4 decimals so that shrunk counterexamples read well.
        var u = 1 - rng.NextDouble();
        var v = rng.NextDouble();
        return Math.Round(sd * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v), 4);
    }

    public static bool Chance(Random rng, double p) => rng.NextDouble() < p;

    /// <summary>A weight: N(0, 1), exactly zero one time in ten.</summary>
    public static double Weight(Random rng) => Chance(rng, 0.1) ? 0 : Normal(rng);

    /// <summary>A bias: non-positive when required (zero one time in three), otherwise of either sign.</summary>
    public static double Bias(Random rng, bool nonPositive) =>
        Chance(rng, 0.3) ? 0 : nonPositive ? -Math.Abs(Normal(rng, 0.5)) : Normal(rng, 0.5);

    /// <summary>A lower bound l ≤ 0 (zero one time in five).</summary>
    public static double Low(Random rng) => Chance(rng, 0.2) ? 0 : -Math.Round(2 * rng.NextDouble(), 4);

    /// <summary>An upper bound h ≥ 0 (zero one time in five).</summary>
    public static double High(Random rng) => Chance(rng, 0.2) ? 0 : Math.Round(2 * rng.NextDouble(), 4);

    /// <summary>An input element of a domain; exact zeros and exact bounds are frequent.</summary>
    public static double Input(Random rng, InputDomain domain, double low, double high) => domain switch
    {
        InputDomain.Real => Chance(rng, 0.15) ? 0 : Normal(rng),
        InputDomain.NonNegative => Chance(rng, 0.3) ? 0 : Math.Abs(Normal(rng)),
        InputDomain.Box => rng.NextDouble() switch
        {
            < 0.1 => low,
            < 0.2 => high,
            < 0.3 => 0,
            _ => Math.Clamp(Math.Round(low + rng.NextDouble() * (high - low), 4), low, high),
        },
        _ => throw new System.Diagnostics.UnreachableException(domain.ToString()),
    };
}
