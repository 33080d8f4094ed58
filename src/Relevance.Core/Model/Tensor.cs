using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Relevance;

/// <summary>An immutable row-major tensor of doubles for one sample.</summary>
public sealed record Tensor
{
    /// <summary>Creates a tensor; the data length must equal the shape's size.</summary>
    public Tensor(Shape shape, ImmutableArray<double> data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (data.IsDefault || data.Length != shape.Size)
            throw new ArgumentException($"A tensor of shape {shape} needs {shape.Size} values, got {(data.IsDefault ? 0 : data.Length)}.", nameof(data));
        Shape = shape;
        Data = data;
    }

    /// <summary>The tensor's shape.</summary>
    public Shape Shape { get; }

    /// <summary>The values, row-major.</summary>
    public ImmutableArray<double> Data { get; }

    /// <summary>The number of elements.</summary>
    public int Size => Data.Length;

    /// <summary>The element at a flat row-major index.</summary>
    public double this[int index] => Data[index];

    /// <summary>A tensor that takes ownership of an array (the caller must not change it afterwards).</summary>
    public static Tensor Own(Shape shape, double[] data) => new(shape, ImmutableCollectionsMarshal.AsImmutableArray(data));

    /// <summary>A tensor holding a copy of the given values.</summary>
    public static Tensor From(Shape shape, params double[] data) => new(shape, [.. data]);

    /// <summary>A vector (rank-1 tensor) holding a copy of the given values.</summary>
    public static Tensor Vector(params double[] data) => From(Shape.Of(data.Length), data);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(Shape shape) => Own(shape, new double[shape.Size]);

    /// <summary>A tensor with every element equal to one value.</summary>
    public static Tensor Filled(Shape shape, double value)
    {
        var data = new double[shape.Size];
        Array.Fill(data, value);
        return Own(shape, data);
    }

    /// <summary>A tensor of float32 values, widened exactly to double precision.</summary>
    public static Tensor FromSingles(Shape shape, ReadOnlySpan<float> values) => Own(shape, Precision.Widen(values));

    /// <summary>The values rounded to float32 (the engine's precision), as a new array; beyond float's range they become ±∞.</summary>
    public float[] ToSingles() => Precision.Narrow(Data.AsSpan());

    /// <summary>A mutable copy of the values.</summary>
    public double[] ToArray() => [.. Data];

    /// <summary>The sum of all elements.</summary>
    public double Sum()
    {
        var s = 0.0;
        foreach (var v in Data) s += v;
        return s;
    }

    /// <summary>The same values viewed with another shape of equal size.</summary>
    public Tensor Reshape(Shape shape) =>
        shape.Size == Size ? new Tensor(shape, Data) : throw new ArgumentException($"Cannot reshape {Shape} to {shape}.", nameof(shape));

    /// <summary>Equal when shapes and values are equal.</summary>
    public bool Equals(Tensor? other) => other is not null && Shape.Equals(other.Shape) && Data.SequenceEqual(other.Data);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Shape, Data.Length);

    /// <summary>The shape and the first values.</summary>
    public override string ToString() =>
        $"{Shape} {{{string.Join(", ", Data.Take(8).Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}{(Size > 8 ? ", …" : "")}}}";
}
