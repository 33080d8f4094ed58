using System.Collections.Immutable;

namespace Relevance;

/// <summary>The dimensions of one sample's tensor, without a batch axis (e.g. [C, H, W] or [N]).</summary>
public sealed record Shape
{
    /// <summary>Creates a shape; every dimension must be positive.</summary>
    public Shape(ImmutableArray<int> dims)
    {
        if (dims.IsDefaultOrEmpty) throw new ArgumentException("A shape needs at least one dimension.", nameof(dims));
        foreach (var d in dims)
            if (d <= 0) throw new ArgumentException($"Shape dimensions must be positive, got [{string.Join("×", dims)}].", nameof(dims));
        Dims = dims;
    }

    /// <summary>The dimensions, outermost first.</summary>
    public ImmutableArray<int> Dims { get; }

    /// <summary>The number of axes.</summary>
    public int Rank => Dims.Length;

    /// <summary>The number of elements.</summary>
    public int Size
    {
        get
        {
            var n = 1;
            foreach (var d in Dims) n = checked(n * d);
            return n;
        }
    }

    /// <summary>The dimension on one axis.</summary>
    public int this[int axis] => Dims[axis];

    /// <summary>A shape from its dimensions.</summary>
    public static Shape Of(params int[] dims) => new([.. dims]);

    /// <summary>Equal when the dimensions are equal.</summary>
    public bool Equals(Shape? other) => other is not null && Dims.SequenceEqual(other.Dims);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Written as [d0×d1×…].</summary>
    public override string ToString() => $"[{string.Join("×", Dims)}]";
}
