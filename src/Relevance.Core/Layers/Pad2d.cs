using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>Zero padding of an image's borders ([C, H, W] → [C, H + top + bottom, W + left + right]), as ONNX Pad
/// writes it before a convolution or an average pooling that counts the padding.</summary>
/// <remarks>Relevance and gradient are cropped back to the input: a padded position holds 0, so it receives none (docs/rules.md §9).</remarks>
public sealed record Pad2d : Layer
{
    /// <summary>Creates the padding; every border must be ≥ 0.</summary>
    public Pad2d(Padding2d pads) => Pads = pads.Validate("Pad2d");

    /// <summary>Zeros added per border.</summary>
    public Padding2d Pads { get; }

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs)
    {
        var x = Image(node, inputs[0]);
        return Shape.Of(x[0], x[1] + Pads.Top + Pads.Bottom, x[2] + Pads.Left + Pads.Right);
    }

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0];
        var y = new double[output.Size];
        Place(x.Data.AsSpan(), y, x.Shape);
        return Tensor.Own(output, y);
    }

    internal override Redistribution Redistribute(RelevanceStep step) => Redistribution.Of(Crop(step.Upper, step.X.Shape), "crop");

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) => [Crop(upper, inputs[0].Shape)];

    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative;

    /// <summary>Where input row (c, r) starts in the padded output, for an input of the given shape.</summary>
    internal int RowStart(Shape input, int c, int r) => (c * (input[1] + Pads.Top + Pads.Bottom) + r + Pads.Top) * (input[2] + Pads.Left + Pads.Right) + Pads.Left;

    // Copies each input row to its place in a cleared output.
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
