using System.Collections.Immutable;

namespace Relevance;

/// <summary>Pure graph rewrites applied before explaining; each returns a network that computes the same function.</summary>
public static class Canonizers
{
    /// <summary>Folds every BatchNorm that directly follows a Dense or Conv2d (its only reader) into that layer's weights and biases.</summary>
    /// <remarks>y = m (Wx + b − μ) + β with m = γ/√(σ² + ε) becomes W' = m W, b' = m (b − μ) + β, per output channel.</remarks>
    public static Network FoldBatchNorm(Network network)
    {
        var nodes = network.Nodes.ToList();
        for (var n = 0; n < nodes.Count; n++)
        {
            if (nodes[n].Layer is not BatchNorm bn || nodes[n].Inputs.Length != 1 || nodes[n].Inputs[0] == Network.InputName) continue;
            var producerName = nodes[n].Inputs[0];
            var p = nodes.FindIndex(x => x.Name == producerName);
            var readers = nodes.Count(x => x.Inputs.Contains(producerName)) + (network.Output == producerName ? 1 : 0);
            if (readers != 1) continue;
            Layer? folded = nodes[p].Layer switch
            {
                Dense d when d.Outputs == bn.Channels => FoldDense(d, bn),
                Conv2d c when c.OutChannels == bn.Channels => FoldConv(c, bn),
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

    private static Dense FoldDense(Dense d, BatchNorm bn)
    {
        // w_ij · m_j, in the weights' own precision (a float32 model stays float32).
        var w = d.Weights.Scaled(k => bn.Multiplier(k % d.Outputs));
        var b = Enumerable.Range(0, d.Outputs).Select(j => bn.Multiplier(j) * (d.Bias[j] - bn.Mean[j]) + bn.Shift[j]);
        return new Dense(d.Inputs, d.Outputs, w, [.. b]);
    }

    private static Conv2d FoldConv(Conv2d c, BatchNorm bn)
    {
        var perOut = c.GroupInChannels * c.KernelHeight * c.KernelWidth;
        var w = c.Weights.Scaled(i => bn.Multiplier(i / perOut));
        var b = Enumerable.Range(0, c.OutChannels).Select(o => bn.Multiplier(o) * (c.Bias[o] - bn.Mean[o]) + bn.Shift[o]);
        return new Conv2d(c.InChannels, c.OutChannels, c.KernelHeight, c.KernelWidth, w, [.. b], c.Stride, c.Pads, c.Groups);
    }
}
