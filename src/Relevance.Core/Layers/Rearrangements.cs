using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>A layer whose every output is one input value, moved: y_i = x_{source(i)} (transposes, slices, splits);
/// relevance and gradient move back with the values, exactly, and inputs no output reads receive none.</summary>
public abstract record Rearrangement : Layer
{
    private protected Rearrangement() { }

    internal sealed override bool MapsValuesMonotonically => true;

    /// <summary>For each output element, the input element it holds (distinct elements: no input is read twice).</summary>
    internal abstract int[] Sources(Shape input, Shape output);

    internal sealed override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0];
        return Tensor.Own(output, [.. Sources(x.Shape, output).Select(i => x[i])]);
    }

    internal sealed override Redistribution Redistribute(RelevanceStep step) =>
        Redistribution.Of(Scatter(step.Upper, Sources(step.X.Shape, step.Output.Shape), step.X.Size), "moved");

    internal sealed override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper)
    {
        var x = inputs[0];
        return [Scatter(upper, Sources(x.Shape, OutputShape("", [x.Shape])), x.Size)];
    }

    internal sealed override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative;

    private static double[] Scatter(double[] upper, int[] sources, int size)
    {
        var lower = new double[size];
        for (var i = 0; i < sources.Length; i++) lower[sources[i]] = upper[i];
        return lower;
    }

    // The flat index of each element of a shape's axes, row-major.
    private protected static int[] Strides(Shape s)
    {
        var strides = new int[s.Rank];
        for (int a = s.Rank - 1, step = 1; a >= 0; step *= s[a], a--) strides[a] = step;
        return strides;
    }
}

/// <summary>Permutes the axes of a sample: output axis a is input axis Permutation[a] (ONNX Transpose without the batch axis).</summary>
public sealed record Transpose : Rearrangement
{
    /// <summary>Creates the transpose; the permutation must hold each axis once.</summary>
    public Transpose(ImmutableArray<int> permutation)
    {
        if (permutation.IsDefaultOrEmpty || !permutation.Order().SequenceEqual(Enumerable.Range(0, permutation.Length)))
            throw new ArgumentException($"Transpose: [{string.Join(",", permutation.IsDefault ? [] : permutation)}] is not a permutation of the axes.");
        Permutation = permutation;
    }

    /// <summary>Output axis a is input axis Permutation[a].</summary>
    public ImmutableArray<int> Permutation { get; }

    /// <summary>Equal when the permutations are.</summary>
    public bool Equals(Transpose? other) => other is not null && Permutation.SequenceEqual(other.Permutation);

    /// <inheritdoc />
    public override int GetHashCode() => Permutation.Length;

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => inputs[0].Rank == Permutation.Length
        ? new Shape([.. Permutation.Select(a => inputs[0][a])])
        : throw new ShapeMismatchException(node, $"Transpose permutes {Permutation.Length} axes; its input {inputs[0]} has {inputs[0].Rank}.");

    internal override int[] Sources(Shape input, Shape output)
    {
        var inStrides = Strides(input);
        var sources = new int[output.Size];
        var index = new int[output.Rank];
        for (var i = 0; i < sources.Length; i++)
        {
            var source = 0;
            for (var a = 0; a < output.Rank; a++) source += index[a] * inStrides[Permutation[a]];
            sources[i] = source;
            for (var a = output.Rank - 1; a >= 0 && ++index[a] == output[a]; a--) index[a] = 0;
        }
        return sources;
    }
}

/// <summary>Length elements of one axis of a sample, from Start by Step (ONNX Slice with a positive step, and each output of Split).</summary>
public sealed record Slice : Rearrangement
{
    /// <summary>Creates the slice; the axis counts from 0 without the batch axis.</summary>
    public Slice(int axis, int start, int length, int step = 1)
    {
        if (axis < 0 || start < 0 || length <= 0 || step <= 0)
            throw new ArgumentException($"Slice: axis {axis}, start {start}, length {length}, step {step} must be ≥ 0, ≥ 0, > 0 and > 0.");
        (Axis, Start, Length, Step) = (axis, start, length, step);
    }

    /// <summary>The axis sliced.</summary>
    public int Axis { get; }
    /// <summary>The first element kept.</summary>
    public int Start { get; }
    /// <summary>How many elements are kept.</summary>
    public int Length { get; }
    /// <summary>The distance between elements kept (1: contiguous).</summary>
    public int Step { get; }

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs)
    {
        var x = inputs[0];
        if (Axis >= x.Rank || Start + (Length - 1L) * Step >= x[Axis])
            throw new ShapeMismatchException(node, $"Slice of {Length} elements of axis {Axis} from {Start} by {Step} does not fit input {x}.");
        return new Shape(x.Dims.SetItem(Axis, Length));
    }

    internal override int[] Sources(Shape input, Shape output)
    {
        // Blocks of `inner` contiguous elements for each element of the axis, times everything after it.
        var inner = 1;
        for (var a = Axis + 1; a < input.Rank; a++) inner *= input[a];
        var outer = input.Size / (input[Axis] * inner);
        var sources = new int[output.Size];
        for (int o = 0, i = 0; o < outer; o++)
            for (var e = 0; e < Length; e++)
                for (var k = 0; k < inner; k++) sources[i++] = (o * input[Axis] + Start + e * Step) * inner + k;
        return sources;
    }
}
