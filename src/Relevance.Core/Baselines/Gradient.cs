using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance.Baselines;

/// <summary>Backpropagation through the layer graph: ∂f_k/∂x at an input.</summary>
public static class Gradient
{
    /// <summary>The gradient of output <paramref name="target"/> with respect to the input, from a forward pass.</summary>
    public static Tensor Of(Activations activations, int target)
    {
        var network = activations.Network;
        var grads = network.Shapes.Select(s => new double[s.Size]).ToArray();
        var input = new double[network.InputShape.Size];
        var outputs = activations.Output;
        if (target < 0 || target >= outputs.Size)
            throw new ArgumentOutOfRangeException(nameof(target), $"The network has {outputs.Size} outputs; target {target} does not exist.");
        grads[network.IndexOf(network.Output)][target] = 1;
        for (var n = network.Nodes.Length - 1; n >= 0; n--)
        {
            var node = network.Nodes[n];
            var lower = node.Layer.Backpropagate(activations.InputsOf(node), grads[n]);
            for (var m = 0; m < node.Inputs.Length; m++)
            {
                var into = node.Inputs[m] == Network.InputName ? input : grads[network.IndexOf(node.Inputs[m])];
                for (var i = 0; i < into.Length; i++) into[i] += lower[m][i];
            }
        }
        return Tensor.Own(network.InputShape, input);
    }

    /// <summary>The gradient of output <paramref name="target"/> (default: the arg-max) at an input.</summary>
    public static Tensor Of(Network network, Tensor x, int? target = null)
    {
        var a = Forward.Run(network, x);
        return Of(a, target ?? Relevances.ArgMax(a.Output.Data.AsSpan()));
    }
}
