using Relevance.Reference;

namespace Relevance;

public static partial class Rules
{
    /// <summary>z^B for the first linear layer of <paramref name="network"/>, from the box [<paramref name="low"/>,
    /// <paramref name="high"/>] over the network's input carried through the layers before it that map each value
    /// monotonically (normalisation written into the graph, padding, reshapes, monotone activations).</summary>
    /// <remarks>Each carried bound is the forward pass of the bound below it (ordered again where a scale is negative),
    /// widened by 10⁻⁶ of its size so the engine's float32 rounding of the same map stays inside, and widened to hold 0
    /// as z^B requires; a padded position is its constant. Where another layer comes first, the input box is used as it
    /// stands when the sizes agree (docs/rules.md §3).</remarks>
    /// <exception cref="UncoveredLayerException">The network has no Dense or Conv2d layer.</exception>
    /// <exception cref="ShapeMismatchException">The bounds are not of the network's input size, or the first linear layer
    /// reads neither a carried box nor an input of that size.</exception>
    public static ZBoxRule InputBox(Network network, Tensor low, Tensor high)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        var canonical = Canonizers.Canonize(network);
        var first = canonical.Nodes.FirstOrDefault(n => n.Layer is Dense or Conv2d)
            ?? throw new UncoveredLayerException("model", "the network has no Dense or Conv2d layer to explain.");
        var input = network.InputShape;
        if (low.Size != input.Size || high.Size != input.Size)
            throw new ShapeMismatchException(Network.InputName, $"the box has {low.Size} and {high.Size} values for an input of {input}.");
        var boxes = new Dictionary<string, (Tensor Low, Tensor High)> { [Network.InputName] = (low.Reshape(input), high.Reshape(input)) };
        var side = canonical.InputSide();
        foreach (var node in canonical.Nodes.Where(n => side.Contains(n.Name)))
        {
            var below = boxes[node.Inputs[0]];
            var shape = canonical.ShapeOf(node.Name);
            var (a, b) = (Forward.Apply(node.Layer, [below.Low], shape), Forward.Apply(node.Layer, [below.High], shape));
            boxes[node.Name] = (Tensor.Own(shape, [.. a.Data.Zip(b.Data, Math.Min)]), Tensor.Own(shape, [.. a.Data.Zip(b.Data, Math.Max)]));
        }
        var reads = canonical.ShapeOf(first.Inputs[0]);
        if (boxes.TryGetValue(first.Inputs[0], out var box) && first.Inputs[0] != Network.InputName)
            return new ZBoxRule(Bounds.PerElement(Widened(box.Low, -1)), Bounds.PerElement(Widened(box.High, +1)));
        if (reads.Size != input.Size)
            throw new ShapeMismatchException(first.Name, $"the first linear layer reads {reads}, not the {input} the box is given for; give its z^B box explicitly.");
        return new ZBoxRule(Bounds.PerElement(low.Reshape(reads)), Bounds.PerElement(high.Reshape(reads)));
    }

    // A bound moved outwards (direction −1 for lower, +1 for upper) by 10⁻⁶ of its size, and past 0 if it does not reach it.
    private static Tensor Widened(Tensor bound, int direction) =>
        Tensor.Own(bound.Shape, [.. bound.Data.Select(v => direction < 0 ? Math.Min(0, v - 1e-6 * Math.Abs(v)) : Math.Max(0, v + 1e-6 * Math.Abs(v)))]);
}
