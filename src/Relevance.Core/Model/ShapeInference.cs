using System.Collections.Immutable;

namespace Relevance;

/// <summary>The output shape of each layer given its input shapes.</summary>
public static class ShapeInference
{
    /// <summary>The output shape of a layer, or a <see cref="ShapeMismatchException"/> naming the node and the shapes.</summary>
    public static Shape Infer(string node, Layer layer, ImmutableArray<Shape> inputs)
    {
        if (layer.Merges ? inputs.Length < 2 : inputs.Length != 1)
            throw new ShapeMismatchException(node, $"{layer.Kind} takes {(layer.Merges ? "two or more inputs" : "one input")}, got {inputs.Length}.");
        return layer.OutputShape(node, inputs);
    }
}
