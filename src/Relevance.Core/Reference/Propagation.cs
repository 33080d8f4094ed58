using System.Collections.Immutable;

namespace Relevance.Reference;

/// <summary>The reference deep Taylor / LRP relevance pass over a layer graph, in double precision.</summary>
public static class Propagation
{
    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) of a network for one input.</summary>
    /// <remarks>The output's relevance starts as f_target(x); each node, from the output down, redistributes the relevance
    /// at its output to its inputs; a node read by several others sums what they pass down.</remarks>
    public static Explanation Explain(Network network, Tensor input, Composite composite, ExplainOptions? options = null, int? target = null) =>
        Explain(Forward.Run(network, input), composite, options, target);

    /// <summary>Explains from a forward pass already run.</summary>
    public static Explanation Explain(Activations activations, Composite composite, ExplainOptions? options = null, int? target = null)
    {
        options ??= ExplainOptions.Default;
        var network = activations.Network;
        var rules = composite.Resolve(network);
        foreach (var node in network.Nodes)
            if (node.Layer.WithoutRelevance is { } reason) throw new UncoveredLayerException(node.Name, reason);

        var outputs = activations.Output;
        var k = target ?? Relevances.ArgMax(outputs.Data.AsSpan());
        if (k < 0 || k >= outputs.Size)
            throw new ArgumentOutOfRangeException(nameof(target), $"The network has {outputs.Size} outputs; target {k} does not exist.");
        var f = outputs[k];

        var relevance = network.Nodes.Select(n => new double[network.Shapes[network.IndexOf(n.Name)].Size]).ToArray();
        var heatmap = new double[network.InputShape.Size];
        relevance[network.IndexOf(network.Output)][k] = f;
        var reports = new LayerConsistency[network.Nodes.Length];
        var inputSide = network.InputSide();

        for (var n = network.Nodes.Length - 1; n >= 0; n--)
        {
            var node = network.Nodes[n];
            var inputs = activations.InputsOf(node);
            var step = new RelevanceStep(node.Name, rules.GetValueOrDefault(node.Name), inputs, activations.Values[n], relevance[n], options,
                inputSide.Contains(node.Name));
            var (lower, biasRelevance, how) = node.Layer.Redistribute(step);
            for (var m = 0; m < node.Inputs.Length; m++)
            {
                var into = node.Inputs[m] == Network.InputName ? heatmap : relevance[network.IndexOf(node.Inputs[m])];
                for (var i = 0; i < into.Length; i++) into[i] += lower[m][i];
            }
            reports[n] = Report(node, how, relevance[n], lower, biasRelevance, f);
        }

        var nodes = network.Nodes.Select((node, n) => new NodeRelevance(node.Name, Tensor.Own(network.Shapes[n], relevance[n])));
        var layers = reports.ToImmutableArray();
        var consistency = new ConsistencyReport(f, Relevances.Sum(heatmap), layers.Sum(l => l.BiasRelevance),
            Relevances.NegativeMass(heatmap), Relevances.Minimum(heatmap), layers);
        return new Explanation(Tensor.Own(network.InputShape, heatmap), f, k, outputs, consistency) { Nodes = [.. nodes] };
    }

    private static LayerConsistency Report(Node node, string how, double[] upper, double[][] lower, double biasRelevance, double f)
    {
        var passed = lower.SelectMany(l => l).ToArray();
        var rIn = Relevances.Sum(upper);
        var rOut = Relevances.Sum(passed);
        var error = rIn - rOut - biasRelevance;
        return new LayerConsistency(node.Name, node.Layer.Kind, how, rIn, rOut, biasRelevance, error,
            Math.Abs(error) / ConsistencyReport.Scale(f), Relevances.NegativeMass(passed), Relevances.Minimum(passed));
    }
}
