using System.Collections.Immutable;

namespace Relevance;

/// <summary>A node of a layer graph: a named layer and the names of the nodes it reads.</summary>
public sealed record Node(string Name, Layer Layer, ImmutableArray<string> Inputs)
{
    /// <summary>Equal when name, layer and inputs are equal.</summary>
    public bool Equals(Node? other) =>
        other is not null && Name == other.Name && Layer.Equals(other.Layer) && Inputs.SequenceEqual(other.Inputs);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Layer);

    /// <summary>name = Kind(inputs).</summary>
    public override string ToString() => $"{Name} = {Layer.Kind}({string.Join(", ", Inputs)})";
}

/// <summary>An immutable layer graph (a DAG) with shapes inferred and validated at construction.</summary>
/// <remarks>Nodes are in topological order: each reads only <see cref="InputName"/> or earlier nodes.
/// A sequential network is the special case where each node reads the one before it.</remarks>
public sealed record Network
{
    /// <summary>The name by which nodes refer to the network's input.</summary>
    public const string InputName = "input";

    private readonly ImmutableDictionary<string, int> _index;

    /// <summary>Builds and validates a graph; <paramref name="output"/> defaults to the last node.</summary>
    public Network(Shape inputShape, ImmutableArray<Node> nodes, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (nodes.IsDefaultOrEmpty) throw new NetworkException("A network needs at least one node.");
        var index = ImmutableDictionary.CreateBuilder<string, int>();
        var shapes = ImmutableArray.CreateBuilder<Shape>(nodes.Length);
        for (var n = 0; n < nodes.Length; n++)
        {
            var node = nodes[n];
            if (string.IsNullOrWhiteSpace(node.Name) || node.Name == InputName)
                throw new NetworkException($"Node {n} has an invalid name '{node.Name}' ('{InputName}' is reserved).");
            if (index.ContainsKey(node.Name)) throw new NetworkException($"Two nodes are named '{node.Name}'.");
            if (node.Inputs.IsDefaultOrEmpty) throw new NetworkException($"Node '{node.Name}' reads no input.");
            var inputShapes = node.Inputs.Select(i =>
                i == InputName ? inputShape
                : index.TryGetValue(i, out var k) ? shapes[k]
                : throw new NetworkException($"Node '{node.Name}' reads '{i}', which is not an earlier node.")).ToImmutableArray();
            shapes.Add(ShapeInference.Infer(node.Name, node.Layer, inputShapes));
            index.Add(node.Name, n);
        }
        output ??= nodes[^1].Name;
        if (!index.ContainsKey(output)) throw new NetworkException($"The output '{output}' is not a node.");
        InputShape = inputShape;
        Nodes = nodes;
        Shapes = shapes.MoveToImmutable();
        Output = output;
        _index = index.ToImmutable();
    }

    /// <summary>The shape of one input sample.</summary>
    public Shape InputShape { get; }
    /// <summary>The nodes in topological order.</summary>
    public ImmutableArray<Node> Nodes { get; }
    /// <summary>The output shape of each node, aligned with <see cref="Nodes"/>.</summary>
    public ImmutableArray<Shape> Shapes { get; }
    /// <summary>The name of the node whose value is the network's output f(x).</summary>
    public string Output { get; }
    /// <summary>The output shape.</summary>
    public Shape OutputShape => Shapes[IndexOf(Output)];

    /// <summary>The position of a node by name.</summary>
    public int IndexOf(string name) =>
        _index.TryGetValue(name, out var i) ? i : throw new KeyNotFoundException($"The network has no node '{name}'.");

    /// <summary>The shape of a node's value, or of the input.</summary>
    public Shape ShapeOf(string name) => name == InputName ? InputShape : Shapes[IndexOf(name)];

    /// <summary>The nodes that map the input value by value before any other layer reads it (normalisation written into
    /// the graph, padding, reshapes, monotone activations): the input's own reparameterisation, through which z^B's box is
    /// carried and relevance passes unchanged (docs/rules.md §9).</summary>
    internal ImmutableHashSet<string> InputSide()
    {
        var side = ImmutableHashSet.CreateBuilder<string>();
        foreach (var node in Nodes)
            if (node.Inputs.Length == 1 && node.Layer.MapsValuesMonotonically && (node.Inputs[0] == InputName || side.Contains(node.Inputs[0])))
                side.Add(node.Name);
        return side.ToImmutable();
    }

    /// <summary>Whether the input is an image stored channels last, [H, W, C] with C = 1 or 3 (TensorFlow's layout, as
    /// tf2onnx exports a Keras model).</summary>
    public bool TakesChannelsLastImage => InputShape is { Rank: 3 } s && s[2] is 1 or 3 && s[0] is not (1 or 3);

    /// <summary>The same function of a channels-first image [C, H, W]: a Transpose to [H, W, C] put before the first node,
    /// so photos, heatmaps and z^B's box keep the channels-first layout (docs/cli.md).</summary>
    /// <exception cref="InvalidOperationException">The network does not take a channels-last image.</exception>
    public Network WithChannelsFirstInput()
    {
        if (!TakesChannelsLastImage) throw new InvalidOperationException($"The network takes {InputShape}, not a channels-last image [H, W, 1 or 3].");
        var name = "channels_last";
        while (_index.ContainsKey(name)) name = "_" + name;
        var toLast = new Node(name, new Transpose([1, 2, 0]), [InputName]);
        var nodes = Nodes.Select(n => n with { Inputs = [.. n.Inputs.Select(i => i == InputName ? toLast.Name : i)] });
        return new Network(Shape.Of(InputShape[2], InputShape[0], InputShape[1]), [toLast, .. nodes], Output);
    }

    /// <summary>A sequential network; nodes are named Kind + position (Dense0, ReLU1, …).</summary>
    public static Network Sequential(Shape inputShape, params Layer[] layers)
    {
        var nodes = ImmutableArray.CreateBuilder<Node>(layers.Length);
        var previous = InputName;
        for (var i = 0; i < layers.Length; i++)
        {
            var name = $"{layers[i].Kind}{i}";
            nodes.Add(new Node(name, layers[i], [previous]));
            previous = name;
        }
        return new Network(inputShape, nodes.MoveToImmutable());
    }

    /// <summary>Equal when input shape, nodes and output are equal.</summary>
    public bool Equals(Network? other) =>
        other is not null && InputShape.Equals(other.InputShape) && Output == other.Output && Nodes.SequenceEqual(other.Nodes);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(InputShape, Output, Nodes.Length);

    /// <summary>One line per node with its output shape.</summary>
    public override string ToString() =>
        $"input {InputShape}" + string.Concat(Nodes.Select((n, i) => $"\n  {n} → {Shapes[i]}"));
}
