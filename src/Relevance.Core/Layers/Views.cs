using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>A layer whose output is its input's values seen with another shape: relevance and gradient move with the values, exactly.</summary>
public abstract record View : Layer
{
    private protected View() { }

    internal sealed override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output) => inputs[0].Reshape(output);

    internal sealed override Redistribution Redistribute(RelevanceStep step) => Redistribution.PassThrough(step.Upper);

    internal sealed override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) => [(double[])upper.Clone()];

    internal sealed override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative;

    internal sealed override bool PassesRelevanceThrough => true;

    internal sealed override bool MapsValuesMonotonically => true;
}

/// <summary>Views the input as a vector.</summary>
public sealed record Flatten : View
{
    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => Shape.Of(inputs[0].Size);
}

/// <summary>Views the input with another shape of the same size.</summary>
public sealed record Reshape(Shape Target) : View
{
    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) =>
        Target.Size == inputs[0].Size ? Target : throw new ShapeMismatchException(node, $"cannot reshape {inputs[0]} to {Target}.");
}

/// <summary>A layer that passes its input through (Dropout at inference, or LRN bypassed in the relevance pass).</summary>
public sealed record Identity(string Replaces = "Identity") : View
{
    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => inputs[0];
}
