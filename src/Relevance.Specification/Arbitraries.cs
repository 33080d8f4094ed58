using FsCheck;
using FsCheck.Fluent;

namespace Relevance.Specification;

/// <summary>FsCheck generators and shrinkers of random networks and inputs, one per rule domain.</summary>
/// <remarks>Cases are drawn from a seed and FsCheck's size, so the same functions also feed <c>relevance check</c>;
/// shrinking works on the specs, so a counterexample ends as a small network printed in full.</remarks>
public static class Arbitraries
{
    /// <summary>One-layer networks of class G (b ≤ 0) with inputs in a domain; <paramref name="dead"/> makes f(x) = 0 in every case.</summary>
    public static Arbitrary<OneLayerSpec> OneLayer(InputDomain domain, bool dead = false) =>
        Arb.From(Seeded((rng, size) => OneLayerSpec.Random(rng, size, domain, dead: dead)), s => s.Shrink());

    /// <summary>Random deep graphs with inputs in a per-element box.</summary>
    public static Arbitrary<DeepSpec> Deep(bool nonPositiveBias = true, bool dead = false) =>
        Arb.From(Seeded((rng, size) => DeepSpec.Random(rng, size, nonPositiveBias, dead)), s => s.Shrink());

    /// <summary>Random deep graphs that are often degenerate: all-zero weights, all-zero input, biases of either sign.</summary>
    public static Arbitrary<DeepSpec> Degenerate() =>
        Arb.From(Seeded((rng, size) => DeepSpec.Random(rng, size, nonPositiveBias: rng.Next(2) == 0) with
        {
            ZeroWeights = rng.Next(3) == 0,
            ZeroInput = rng.Next(3) == 0,
        }), s => s.Shrink());

    /// <summary>A dense or convolutional layer with an input, an upper relevance and bias, for comparing rule forms.</summary>
    public static Arbitrary<LayerCase> Layer() =>
        Arb.From(Seeded((rng, size) => LayerCase.Random(rng, size)), s => s.Shrink());

    private static Gen<T> Seeded<T>(Func<Random, int, T> make) =>
        Gen.Sized(size => Gen.Choose(0, int.MaxValue).Select(seed => make(new Random(seed), size)));
}
