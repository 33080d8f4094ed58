using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>Element-wise sum of two or more inputs of one shape (a residual connection).</summary>
/// <remarks>Branch m receives the share t_m,i / y_i of R_i: in proportion to its contribution (docs/rules.md §4).</remarks>
public sealed record Add : Layer
{
    internal override bool Merges => true;

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => inputs.All(s => s.Equals(inputs[0]))
        ? inputs[0]
        : throw new ShapeMismatchException(node, $"Add needs equal shapes, got {string.Join(" and ", inputs)}.");

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output) =>
        Tensor.Own(output, [.. Enumerable.Range(0, output.Size).Select(i => inputs.Sum(t => t[i]))]);

    internal override Redistribution Redistribute(RelevanceStep step)
    {
        var (sum, upper) = (step.Output, step.Upper);
        double[] Share(Tensor branch) => [.. Enumerable.Range(0, branch.Size).Select(i => branch[i] * LinearRules.SafeDivide(upper[i], sum[i]))];
        return new([.. step.Inputs.Select(Share)], 0, "proportional");
    }

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) => [.. inputs.Select(_ => (double[])upper.Clone())];

    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative;
}

/// <summary>Concatenation along the first (channel) axis.</summary>
public sealed record Concat : Layer
{
    internal override bool Merges => true;

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs)
    {
        var first = inputs[0];
        foreach (var s in inputs)
            if (s.Rank != first.Rank || !s.Dims.Skip(1).SequenceEqual(first.Dims.Skip(1)))
                throw new ShapeMismatchException(node, $"Concat needs equal shapes apart from the channel axis, got {string.Join(" and ", inputs)}.");
        return new Shape(first.Dims.SetItem(0, inputs.Sum(s => s[0])));
    }

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output) => Tensor.Own(output, [.. inputs.SelectMany(t => t.Data)]);

    internal override Redistribution Redistribute(RelevanceStep step) => new(Redistribution.Slices(step.Upper, step.Inputs), 0, "slice");

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) => Redistribution.Slices(upper, inputs);

    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative;
}
