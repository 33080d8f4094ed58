using System.Collections.Immutable;

namespace Relevance;

/// <summary>The output shape of each layer given its input shapes.</summary>
public static class ShapeInference
{
    /// <summary>The output shape of a layer, or a <see cref="ShapeMismatchException"/> naming the node and the shapes.</summary>
    public static Shape Infer(string node, Layer layer, ImmutableArray<Shape> inputs)
    {
        var merges = layer is Add or Concat;
        if (merges ? inputs.Length < 2 : inputs.Length != 1)
            throw new ShapeMismatchException(node, $"{layer.Kind} takes {(merges ? "two or more inputs" : "one input")}, got {inputs.Length}.");
        var x = inputs[0];
        return layer switch
        {
            Dense d => x.Size == d.Inputs
                ? Shape.Of(d.Outputs)
                : throw new ShapeMismatchException(node, $"Dense expects {d.Inputs} inputs but receives shape {x} ({x.Size} values)."),
            Conv2d c => Conv(node, c, x),
            Pool2d p => Pool(node, p, x),
            GlobalAvgPool => x.Rank == 3 ? Shape.Of(x[0]) : throw new ShapeMismatchException(node, $"GlobalAvgPool expects [C×H×W], got {x}."),
            Sum => Shape.Of(1),
            Flatten => Shape.Of(x.Size),
            Reshape r => r.Target.Size == x.Size ? r.Target : throw new ShapeMismatchException(node, $"cannot reshape {x} to {r.Target}."),
            Add => inputs.All(s => s.Equals(x)) ? x : throw new ShapeMismatchException(node, $"Add needs equal shapes, got {string.Join(" and ", inputs)}."),
            Concat => ConcatShape(node, inputs),
            BatchNorm b => x[0] == b.Channels ? x : throw new ShapeMismatchException(node, $"BatchNorm has {b.Channels} channels but its input {x} has {x[0]}."),
            ReLU or Identity => x,
            LocalResponseNorm => x.Rank == 3 ? x : throw new ShapeMismatchException(node, $"LocalResponseNorm expects [C×H×W], got {x}."),
            _ => throw new System.Diagnostics.UnreachableException(layer.Kind),
        };
    }

    private static Shape Conv(string node, Conv2d c, Shape x)
    {
        if (x.Rank != 3 || x[0] != c.InChannels)
            throw new ShapeMismatchException(node, $"Conv2d expects [{c.InChannels}×H×W], got {x}.");
        var (ph, pw) = (x[1] + c.Pads.Top + c.Pads.Bottom, x[2] + c.Pads.Left + c.Pads.Right);
        if (ph < c.KernelHeight || pw < c.KernelWidth)
            throw new ShapeMismatchException(node, $"the {c.KernelHeight}×{c.KernelWidth} kernel does not fit input {x} with padding {c.Pads}.");
        return Shape.Of(c.OutChannels, (ph - c.KernelHeight) / c.Stride + 1, (pw - c.KernelWidth) / c.Stride + 1);
    }

    private static Shape Pool(string node, Pool2d p, Shape x)
    {
        if (x.Rank != 3) throw new ShapeMismatchException(node, $"{p.Pool}Pool2d expects [C×H×W], got {x}.");
        var (ph, pw) = (x[1] + p.Pads.Top + p.Pads.Bottom, x[2] + p.Pads.Left + p.Pads.Right);
        if (ph < p.KernelHeight || pw < p.KernelWidth)
            throw new ShapeMismatchException(node, $"the {p.KernelHeight}×{p.KernelWidth} window does not fit input {x} with padding {p.Pads}.");
        return Shape.Of(x[0], (ph - p.KernelHeight) / p.StrideHeight + 1, (pw - p.KernelWidth) / p.StrideWidth + 1);
    }

    private static Shape ConcatShape(string node, ImmutableArray<Shape> inputs)
    {
        var first = inputs[0];
        foreach (var s in inputs)
            if (s.Rank != first.Rank || !s.Dims.Skip(1).SequenceEqual(first.Dims.Skip(1)))
                throw new ShapeMismatchException(node, $"Concat needs equal shapes apart from the channel axis, got {string.Join(" and ", inputs)}.");
        return new Shape(first.Dims.SetItem(0, inputs.Sum(s => s[0])));
    }
}
