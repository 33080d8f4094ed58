namespace Relevance;

/// <summary>A bound of z^B's input box: one value for every element, or one value per input element.</summary>
public abstract record Bounds
{
    private protected Bounds() { }

    /// <summary>One bound for every input element.</summary>
    public static Bounds Scalar(double value) => new ScalarBounds(value);

    /// <summary>One bound per input element; its shape must equal the layer input's shape exactly (never broadcast).</summary>
    public static Bounds PerElement(Tensor values) => new ElementBounds(values);

    /// <summary>The bound at a flat input index, after checking the bound fits an input of the given shape.</summary>
    public abstract double At(int index);

    /// <summary>Every bound value (one for a scalar).</summary>
    public abstract IEnumerable<double> Values { get; }

    /// <summary>Throws unless these bounds fit an input of the given shape.</summary>
    public abstract void RequireShape(string node, Shape input);
}

/// <summary>The same bound for every input element.</summary>
public sealed record ScalarBounds(double Value) : Bounds
{
    /// <inheritdoc />
    public override double At(int index) => Value;
    /// <inheritdoc />
    public override IEnumerable<double> Values => [Value];
    /// <inheritdoc />
    public override void RequireShape(string node, Shape input) { }
    /// <summary>The value.</summary>
    public override string ToString() => Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One bound per input element (e.g. per pixel and channel after mean/std normalisation).</summary>
public sealed record ElementBounds(Tensor Tensor) : Bounds
{
    /// <inheritdoc />
    public override double At(int index) => Tensor[index];
    /// <inheritdoc />
    public override IEnumerable<double> Values => Tensor.Data;
    /// <inheritdoc />
    public override void RequireShape(string node, Shape input)
    {
        if (!Tensor.Shape.Equals(input))
            throw new ShapeMismatchException(node, $"z^B bounds have shape {Tensor.Shape} but the layer's input has shape {input}; bounds are never broadcast.");
    }
    /// <summary>The shape of the bounds.</summary>
    public override string ToString() => $"per-element {Tensor.Shape}";
}
