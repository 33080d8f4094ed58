namespace Relevance.Specification;

/// <summary>A building block of a random deep network (a closed hierarchy of records).</summary>
public abstract record Block
{
    private protected Block() { }
}

/// <summary>Conv2d followed by ReLU; <paramref name="Trailing"/> pads the bottom and right borders (ONNX allows them to differ from top and left).</summary>
public sealed record ConvBlock(int Channels, int Kernel, int Stride, int Padding, int Trailing) : Block
{
    /// <summary>Conv(channels, k, s, p) → ReLU.</summary>
    public override string ToString() => $"Conv({Channels}, k{Kernel}, s{Stride}, p{Padding}{(Trailing != Padding ? $"/{Trailing}" : "")})→ReLU";
}

/// <summary>2-D pooling, padded on the top and left borders by <paramref name="Padding"/> (smaller than the window).</summary>
public sealed record PoolBlock(PoolKind Kind, int Kernel, int Stride, int Padding) : Block
{
    /// <summary>KindPool(k, s, p).</summary>
    public override string ToString() => $"{Kind}Pool(k{Kernel}, s{Stride}{(Padding > 0 ? $", p{Padding}" : "")})";
}

/// <summary>A residual connection y = x + ReLU(Conv(x)) with a shape-preserving convolution.</summary>
public sealed record ResidualBlock(int Kernel) : Block
{
    /// <summary>x + ReLU(Conv k).</summary>
    public override string ToString() => $"x+ReLU(Conv k{Kernel})";
}

/// <summary>Two branches, ReLU(Conv 1×1) and ReLU(Conv 3×3), concatenated along channels.</summary>
public sealed record BranchBlock(int Left, int Right) : Block
{
    /// <summary>Concat(left, right).</summary>
    public override string ToString() => $"Concat(Conv1×1:{Left}, Conv3×3:{Right})";
}

/// <summary>Dense followed by ReLU (after the spatial part).</summary>
public sealed record DenseBlock(int Width) : Block
{
    /// <summary>Dense(width) → ReLU.</summary>
    public override string ToString() => $"Dense({Width})→ReLU";
}

/// <summary>Local response normalisation across channels (bypassed by the relevance pass).</summary>
public sealed record LrnBlock(int Size) : Block
{
    /// <summary>LRN(n).</summary>
    public override string ToString() => $"LRN({Size})";
}
