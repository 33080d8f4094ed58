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
            if (node.Layer is BatchNorm)
                throw new UncoveredLayerException(node.Name, "BatchNorm has no relevance rule; fold it into the preceding layer with Canonizers.FoldBatchNorm first.");

        var outputs = activations.Output;
        var k = target ?? Relevances.ArgMax(outputs.Data.AsSpan());
        if (k < 0 || k >= outputs.Size)
            throw new ArgumentOutOfRangeException(nameof(target), $"The network has {outputs.Size} outputs; target {k} does not exist.");
        var f = outputs[k];

        var relevance = network.Nodes.Select(n => new double[network.Shapes[network.IndexOf(n.Name)].Size]).ToArray();
        var heatmap = new double[network.InputShape.Size];
        relevance[network.IndexOf(network.Output)][k] = f;
        var reports = new LayerConsistency[network.Nodes.Length];

        for (var n = network.Nodes.Length - 1; n >= 0; n--)
        {
            var node = network.Nodes[n];
            var inputs = activations.InputsOf(node);
            var rule = rules.GetValueOrDefault(node.Name);
            var (lower, biasRelevance, how) = Redistribute(node, rule, inputs, activations.Values[n], relevance[n], options);
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

    private static (double[][] Lower, double BiasRelevance, string How) Redistribute(
        Node node, Rule? rule, ImmutableArray<Tensor> inputs, Tensor output, double[] upper, ExplainOptions options)
    {
        var x = inputs[0];
        switch (node.Layer)
        {
            case Dense or Conv2d:
            {
                var result = LinearRules.Propagate(node.Name, rule!, LinearMap.Of(node.Layer, x.Shape), x, upper, options.Bias);
                return ([result.Lower], result.BiasRelevance, rule!.Name);
            }
            case ReLU or Flatten or Reshape or Identity or LocalResponseNorm:
                return ([(double[])upper.Clone()], 0, "pass-through");
            case Pool2d { Pool: PoolKind.Max } p when options.Pooling == PoolingRedistribution.WinnerTakeAll:
                return ([WinnerTakeAll(x, PoolWindows.Of(p, x.Shape), upper)], 0, "winner-take-all");
            case Pool2d p:
                return ([Proportional(x, PoolWindows.Of(p, x.Shape), upper)], 0, "proportional");
            case GlobalAvgPool:
                return ([Proportional(x, PoolWindows.Global(x.Shape), upper)], 0, "proportional");
            case Sum:
                return ([Proportional(x, [[.. Enumerable.Range(0, x.Size)]], upper)], 0, "proportional");
            case Add:
                return ([.. inputs.Select(t => ShareOfSum(t, output, upper))], 0, "proportional");
            case Concat:
                return (Slices(upper, inputs), 0, "slice");
            default:
                throw new UncoveredLayerException(node.Name, $"no relevance redistribution is defined for {node.Layer.Kind}.");
        }
    }

    /// <summary>Cuts a Concat's vector back into one part per input (relevance or gradient alike).</summary>
    internal static double[][] Slices(double[] upper, ImmutableArray<Tensor> inputs)
    {
        var offset = 0;
        var parts = new double[inputs.Length][];
        for (var m = 0; m < inputs.Length; m++)
        {
            parts[m] = upper.AsSpan(offset, inputs[m].Size).ToArray();
            offset += inputs[m].Size;
        }
        return parts;
    }

    // R_i = x_i / Σ_{i' ∈ window} x_i' · R_k, summed over the windows that hold i (docs/rules.md §4).
    private static double[] Proportional(Tensor x, ImmutableArray<ImmutableArray<int>> windows, double[] upper)
    {
        var lower = new double[x.Size];
        for (var k = 0; k < windows.Length; k++)
        {
            var total = windows[k].Sum(i => x[i]);
            var ratio = LinearRules.SafeDivide(upper[k], total);
            foreach (var i in windows[k]) lower[i] += x[i] * ratio;
        }
        return lower;
    }

    private static double[] WinnerTakeAll(Tensor x, ImmutableArray<ImmutableArray<int>> windows, double[] upper)
    {
        var lower = new double[x.Size];
        for (var k = 0; k < windows.Length; k++) lower[PoolWindows.ArgMax(x.Data.AsSpan(), windows[k])] += upper[k];
        return lower;
    }

    // A residual sum y = Σ_m t_m gives branch m the share t_m,i / y_i of R_i: in proportion to its contribution.
    private static double[] ShareOfSum(Tensor branch, Tensor sum, double[] upper)
    {
        var lower = new double[branch.Size];
        for (var i = 0; i < lower.Length; i++) lower[i] = branch[i] * LinearRules.SafeDivide(upper[i], sum[i]);
        return lower;
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
