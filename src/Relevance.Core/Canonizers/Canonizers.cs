using System.Collections.Immutable;

namespace Relevance;

/// <summary>Pure graph rewrites applied before explaining; each returns a network that computes the same function.</summary>
public static class Canonizers
{
    /// <summary>Folds every BatchNorm or <see cref="ChannelAffine"/> that directly follows a Dense, Conv2d or ChannelAffine (its
    /// only reader) into that layer's weights and biases.</summary>
    /// <remarks>A per-channel map y = a z + s of z = Wx + b becomes W' = a W, b' = a b + s per output channel (for a batch
    /// norm a = γ/√(σ² + ε), s = β − a μ).</remarks>
    public static Network FoldBatchNorm(Network network)
    {
        var nodes = network.Nodes.ToList();
        for (var n = 0; n < nodes.Count; n++)
        {
            var affine = nodes[n].Layer switch { BatchNorm bn => bn.ToAffine(), ChannelAffine a => a, _ => null };
            if (affine is null || nodes[n].Inputs.Length != 1 || nodes[n].Inputs[0] == Network.InputName) continue;
            var producerName = nodes[n].Inputs[0];
            var p = nodes.FindIndex(x => x.Name == producerName);
            var readers = nodes.Count(x => x.Inputs.Contains(producerName)) + (network.Output == producerName ? 1 : 0);
            if (readers != 1) continue;
            Layer? folded = nodes[p].Layer switch
            {
                Dense d when d.Outputs == affine.Channels => FoldDense(d, affine),
                Conv2d c when c.OutChannels == affine.Channels => FoldConv(c, affine),
                ChannelAffine a when a.Channels == affine.Channels =>
                    new ChannelAffine([.. a.Scale.Select((v, k) => affine.Scale[k] * v)], [.. a.Shift.Select((v, k) => affine.Scale[k] * v + affine.Shift[k])])
                    {
                        AddsEmbedding = a.AddsEmbedding || affine.AddsEmbedding,
                    },
                _ => null,
            };
            if (folded is null) continue;
            nodes[p] = nodes[p] with { Layer = folded };
            network = Rewire(network.InputShape, nodes, network.Output, removed: n, replacement: producerName, out nodes);
            n--;
        }
        return new Network(network.InputShape, [.. nodes], network.Output);
    }

    /// <summary>Removes Identity nodes (Dropout at inference, bypassed LRN), reconnecting their readers to their input.</summary>
    public static Network DropIdentity(Network network)
    {
        var nodes = network.Nodes.ToList();
        var output = network.Output;
        for (var n = 0; n < nodes.Count; n++)
        {
            if (nodes[n].Layer is not Identity || nodes[n].Inputs.Length != 1) continue;
            var source = nodes[n].Inputs[0];
            if (source == Network.InputName && output == nodes[n].Name) continue;
            network = Rewire(network.InputShape, nodes, output, removed: n, replacement: source, out nodes);
            output = network.Output;
            n--;
        }
        return new Network(network.InputShape, [.. nodes], output);
    }

    /// <summary>Rewrites every BatchNorm as the <see cref="ChannelAffine"/> that computes the same function.</summary>
    public static Network AffineBatchNorm(Network network) => network.Nodes.Any(n => n.Layer is BatchNorm)
        ? new Network(network.InputShape, [.. network.Nodes.Select(n => n.Layer is BatchNorm b ? n with { Layer = b.ToAffine() } : n)], network.Output)
        : network;

    /// <summary>The standard canonizers in order: drop identities, fold batch normalisation into the layer before it, and
    /// make the batch norms left (those after no Dense or Conv2d) channel-wise affine layers.</summary>
    public static Network Canonize(Network network) => AffineBatchNorm(FoldBatchNorm(DropIdentity(network)));

    private static Network Rewire(Shape inputShape, List<Node> nodes, string output, int removed, string replacement, out List<Node> result)
    {
        var name = nodes[removed].Name;
        result = [.. nodes.Where((_, i) => i != removed)
            .Select(x => x.Inputs.Contains(name) ? x with { Inputs = [.. x.Inputs.Select(i => i == name ? replacement : i)] } : x)];
        return new Network(inputShape, [.. result], output == name ? replacement : output);
    }

    private static Dense FoldDense(Dense d, ChannelAffine a)
    {
        // w_ij · a_j, in the weights' own precision (a float32 model stays float32).
        var w = d.Weights.Scaled(k => a.Scale[k % d.Outputs]);
        return new Dense(d.Inputs, d.Outputs, w, [.. Enumerable.Range(0, d.Outputs).Select(j => a.Scale[j] * d.Bias[j] + a.Shift[j])]);
    }

    private static Conv2d FoldConv(Conv2d c, ChannelAffine a)
    {
        var perOut = c.GroupInChannels * c.KernelHeight * c.KernelWidth;
        var w = c.Weights.Scaled(i => a.Scale[i / perOut]);
        var b = Enumerable.Range(0, c.OutChannels).Select(o => a.Scale[o] * c.Bias[o] + a.Shift[o]);
        return c.WithParameters(w, [.. b]);
    }
}
