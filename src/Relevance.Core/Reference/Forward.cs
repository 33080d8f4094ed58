using System.Collections.Immutable;

namespace Relevance.Reference;

/// <summary>The reference forward pass in double precision.</summary>
public static class Forward
{
    /// <summary>Every node's value for one input; rejects a wrong shape or non-finite values.</summary>
    public static Activations Run(Network network, Tensor input)
    {
        ValidateInput(network, input);
        var values = ImmutableArray.CreateBuilder<Tensor>(network.Nodes.Length);
        Tensor ValueOf(string name) => name == Network.InputName ? input : values[network.IndexOf(name)];
        for (var n = 0; n < network.Nodes.Length; n++)
        {
            var node = network.Nodes[n];
            var inputs = node.Inputs.Select(ValueOf).ToImmutableArray();
            values.Add(Apply(node.Layer, inputs, network.Shapes[n]));
        }
        return new Activations(network, input, values.MoveToImmutable());
    }

    /// <summary>The output f(x) of the network.</summary>
    public static Tensor Output(Network network, Tensor input) => Run(network, input).Output;

    /// <summary>Throws <see cref="InvalidInputException"/> unless the input has the network's shape and only finite values.</summary>
    public static void ValidateInput(Network network, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!input.Shape.Equals(network.InputShape))
            throw new InvalidInputException($"The network expects an input of shape {network.InputShape}, got {input.Shape}.");
        for (var i = 0; i < input.Size; i++)
            if (!double.IsFinite(input[i]))
                throw new InvalidInputException($"The input holds a non-finite value ({input[i]}) at index {i}.");
    }

    /// <summary>One layer applied to its input values.</summary>
    public static Tensor Apply(Layer layer, ImmutableArray<Tensor> inputs, Shape output) => layer.Forward(inputs, output);
}
