using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>A layer of a network: a closed hierarchy of records, each holding its parameters.</summary>
/// <remarks>Shapes are per sample: images are [C, H, W], vectors [N]. Each kind's file holds its reference semantics —
/// shape inference, forward pass, relevance redistribution and gradient — so a kind is read in one place (docs/engine.md).</remarks>
public abstract record Layer
{
    private protected Layer() { }

    /// <summary>A short name of the layer kind (Dense, Conv2d, …).</summary>
    public virtual string Kind => GetType().Name;

    /// <summary>Whether the layer reads two or more inputs (Add, Concat) rather than one.</summary>
    internal virtual bool Merges => false;

    /// <summary>The output shape from the input shapes (their number already checked), or a <see cref="ShapeMismatchException"/>.</summary>
    internal abstract Shape OutputShape(string node, ImmutableArray<Shape> inputs);

    /// <summary>The reference forward pass in double precision.</summary>
    internal abstract Tensor Forward(ImmutableArray<Tensor> inputs, Shape output);

    /// <summary>The reference relevance pass: what the layer passes down to each input from the relevance at its output.</summary>
    internal abstract Redistribution Redistribute(RelevanceStep step);

    /// <summary>The gradient at each input from the gradient at the output (backpropagation).</summary>
    internal abstract double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper);

    /// <summary>Whether the output is ≥ 0 for every input, given whether the inputs are (docs/engine.md, non-negativity).</summary>
    internal virtual bool OutputNonNegative(bool inputsNonNegative) => false;

    /// <summary>Whether each output is one input value through a monotone map, or a constant, so that the forward pass of a
    /// box's two bounds bounds the output (<see cref="Rules.InputBox"/>).</summary>
    internal virtual bool MapsValuesMonotonically => false;

    /// <summary>Whether the relevance at the output passes unchanged to the one input (activations, views, LRN).</summary>
    internal virtual bool PassesRelevanceThrough => false;

    /// <summary>Why no relevance rule applies to the layer as it stands, or null when one does.</summary>
    internal virtual string? WithoutRelevance => null;

    private protected static ImmutableArray<double> Require(ImmutableArray<double> values, int length, string what, string layer)
    {
        if (values.IsDefault) throw new ArgumentException($"{layer}: {what} are missing.");
        Require((ParameterArray)values, length, what, layer);
        return values;
    }

    private protected static ParameterArray Require(ParameterArray values, int length, string what, string layer)
    {
        if (values is null) throw new ArgumentException($"{layer}: {what} are missing.");
        if (values.Length != length) throw new ArgumentException($"{layer}: expected {length} {what}, got {values.Length}.");
        var bad = values.IndexOfNonFinite();
        if (bad >= 0) throw new ArgumentException($"{layer}: {what} contain a non-finite value ({values[bad]}).");
        return values;
    }

    private protected static int Positive(int value, string what, string layer) =>
        value > 0 ? value : throw new ArgumentException($"{layer}: {what} must be positive, got {value}.");

    /// <summary>The value mapped element by element.</summary>
    private protected static Tensor Map(Tensor x, Func<double, double> f) => Tensor.Own(x.Shape, [.. x.Data.Select(f)]);

    /// <summary>Requires a [C×H×W] input.</summary>
    private protected Shape Image(string node, Shape x) =>
        x.Rank == 3 ? x : throw new ShapeMismatchException(node, $"{Kind} expects [C×H×W], got {x}.");
}
