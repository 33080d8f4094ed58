using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>Constant padding of an image's borders ([C, H, W] → [C, H + top + bottom, W + left + right]), as ONNX Pad
/// writes it before a convolution or an average pooling that counts the padding.</summary>
/// <remarks>Relevance and gradient are cropped back to the input. The padded positions are constants, not inputs: the
/// relevance the layer above gave them (a non-zero constant's, or w²'s, flat's and z^B's on zeros) is reported as this
/// layer's bias share, as a bias's is (docs/rules.md §9).</remarks>
public sealed record Pad2d : Layer
{
    /// <summary>Creates the padding with <paramref name="value"/> (finite; 0 by default); every border must be ≥ 0.</summary>
    public Pad2d(Padding2d pads, double value = 0)
    {
        Pads = pads.Validate("Pad2d");
        Value = double.IsFinite(value) ? value : throw new ArgumentException($"Pad2d: the padding value must be finite, got {value}.");
    }

    /// <summary>Positions added per border.</summary>
    public Padding2d Pads { get; }

    /// <summary>The value every padded position holds.</summary>
    public double Value { get; }

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs)
    {
        var x = Image(node, inputs[0]);
        return Shape.Of(x[0], x[1] + Pads.Top + Pads.Bottom, x[2] + Pads.Left + Pads.Right);
    }

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0];
        var y = new double[output.Size];
        if (Value != 0) y.AsSpan().Fill(Value);
        Place(x.Data.AsSpan(), y, x.Shape);
        return Tensor.Own(output, y);
    }

    internal override Redistribution Redistribute(RelevanceStep step)
    {
        var lower = Crop(step.Upper, step.X.Shape);
        return new([lower], step.Upper.Sum() - lower.Sum(), "crop");
    }

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) => [Crop(upper, inputs[0].Shape)];

    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative && Value >= 0;

    internal override bool MapsValuesMonotonically => true;

    /// <summary>Where input row (c, r) starts in the padded output, for an input of the given shape.</summary>
    internal int RowStart(Shape input, int c, int r) => (c * (input[1] + Pads.Top + Pads.Bottom) + r + Pads.Top) * (input[2] + Pads.Left + Pads.Right) + Pads.Left;

    // Copies each input row to its place in the output.
    private void Place(ReadOnlySpan<double> x, Span<double> y, Shape input)
    {
        var w = input[2];
        for (var c = 0; c < input[0]; c++)
            for (var r = 0; r < input[1]; r++)
                x.Slice((c * input[1] + r) * w, w).CopyTo(y[RowStart(input, c, r)..]);
    }

    private double[] Crop(double[] upper, Shape input)
    {
        var lower = new double[input.Size];
        var w = input[2];
        for (var c = 0; c < input[0]; c++)
            for (var r = 0; r < input[1]; r++)
                upper.AsSpan(RowStart(input, c, r), w).CopyTo(lower.AsSpan((c * input[1] + r) * w, w));
        return lower;
    }
}
