using System.Collections.Immutable;

namespace Relevance.Specification;

/// <summary>One linear layer (Dense, or Conv2d seen as its linear map) with a non-negative input, a box around it and an upper relevance.</summary>
/// <param name="Layer">The layer.</param>
/// <param name="Input">x ≥ 0, inside the box.</param>
/// <param name="Low">l ≤ 0 per element.</param>
/// <param name="High">h ≥ x per element.</param>
/// <param name="Upper">R_j ≥ 0 per output neuron.</param>
/// <param name="OtherInput">A second input in the same box, for checking that w² and flat do not depend on x.</param>
public sealed record LayerCase(Layer Layer, Tensor Input, Tensor Low, Tensor High, ImmutableArray<double> Upper, Tensor OtherInput)
{
    /// <summary>A random Dense or Conv2d case.</summary>
    public static LayerCase Random(Random rng, int size)
    {
        Layer layer;
        Shape shape;
        if (rng.Next(2) == 0)
        {
            var (d, m) = (rng.Next(1, 3 + size / 5), rng.Next(1, 3 + size / 8));
            layer = new Dense(d, m, Values(rng, d * m, Draw.Weight), Values(rng, m, r => Draw.Bias(r, nonPositive: false)));
            shape = Shape.Of(d);
        }
        else
        {
            var (c, o, k) = (rng.Next(1, 4), rng.Next(1, 4), rng.Next(1, 4));
            // One convolution in three with k > 1 is dilated: its window spans (k − 1)·2 + 1 pixels.
            var dilation = k > 1 && rng.Next(3) == 0 ? 2 : 1;
            var extent = (k - 1) * dilation + 1;
            var (h, w) = (rng.Next(extent, extent + 4), rng.Next(extent, extent + 4));
            layer = new Conv2d(c, o, k, k, Values(rng, o * c * k * k, Draw.Weight), Values(rng, o, r => Draw.Bias(r, nonPositive: false)),
                rng.Next(1, 3), Padding2d.Uniform(rng.Next(0, 2)), dilation: dilation);
            shape = Shape.Of(c, h, w);
        }
        var low = Values(rng, shape.Size, Draw.Low);
        var high = Values(rng, shape.Size, Draw.High);
        Tensor Inside() => new(shape, [.. high.Select(hi => Draw.Input(rng, InputDomain.NonNegative, 0, hi))]);
        var x = Inside();
        var highAboveX = high.Select((hi, i) => Math.Max(hi, x[i])).ToImmutableArray();
        var other = Inside();
        var outputs = ShapeInference.Infer("layer", layer, [shape]).Size;
        return new LayerCase(layer, x, new Tensor(shape, low), new Tensor(shape, highAboveX),
            Values(rng, outputs, r => Draw.Chance(r, 0.2) ? 0 : Math.Abs(Draw.Normal(r))), other);
    }

    /// <summary>Smaller cases: zero relevance, zero input.</summary>
    public IEnumerable<LayerCase> Shrink()
    {
        if (Upper.Any(v => v != 0)) yield return this with { Upper = [.. Upper.Select(_ => 0.0)] };
        if (Input.Data.Any(v => v != 0)) yield return this with { Input = Tensor.Zeros(Input.Shape) };
    }

    private static ImmutableArray<double> Values(Random rng, int n, Func<Random, double> draw) => [.. Enumerable.Range(0, n).Select(_ => draw(rng))];

    /// <summary>The layer and the sizes.</summary>
    public override string ToString() => $"{Layer.Kind} on {Input.Shape}: x = {Input}, R = [{string.Join(", ", Upper)}]";
}
