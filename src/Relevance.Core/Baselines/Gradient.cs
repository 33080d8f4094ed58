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
            var lower = Backward(node.Layer, activations.InputsOf(node), grads[n]);
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

    private static double[][] Backward(Layer layer, ImmutableArray<Tensor> inputs, double[] g)
    {
        var x = inputs[0];
        switch (layer)
        {
            case Dense or Conv2d:
                return [LinearMap.Of(layer, x.Shape).Transpose(g)];
            case ReLU:
                return [[.. g.Select((v, i) => x[i] > 0 ? v : 0)]];
            case Flatten or Reshape or Identity:
                return [(double[])g.Clone()];
            case Sum:
                return [[.. Enumerable.Repeat(g[0], x.Size)]];
            case GlobalAvgPool:
                return [Windows(x, PoolWindows.Global(x.Shape), g, (win, _) => 1.0 / win.Length)];
            case Pool2d p:
            {
                var windows = PoolWindows.Of(p, x.Shape);
                var xs = x.Data;
                return [p.Pool switch
                {
                    PoolKind.Sum => Windows(x, windows, g, (_, _) => 1),
                    PoolKind.Average => Windows(x, windows, g, (win, _) => 1.0 / win.Length),
                    PoolKind.Max => Windows(x, windows, g, (win, i) => i == PoolWindows.ArgMax(xs.AsSpan(), win) ? 1 : 0),
                    PoolKind.Lp => Windows(x, windows, g, (win, i) =>
                    {
                        var norm = PoolWindows.LpNorm(xs.AsSpan(), win, p.P);
                        return norm == 0 ? 0 : Math.Sign(xs[i]) * Math.Pow(Math.Abs(xs[i]) / norm, p.P - 1);
                    }),
                    _ => throw new System.Diagnostics.UnreachableException(p.Pool.ToString()),
                }];
            }
            case Add:
                return [.. inputs.Select(_ => (double[])g.Clone())];
            case Concat:
                return Propagation.Slices(g, inputs);
            case LocalResponseNorm lrn:
            {
                // g_e = g_e d_e^−β − (2αβ/n) x_e Σ_{c : e ∈ window(c)} g_c x_c d_c^(−β−1)
                var d = Forward.LrnBase(lrn, x);
                var (channels, plane) = (x.Shape[0], x.Shape[1] * x.Shape[2]);
                var lower = new double[x.Size];
                for (var c = 0; c < channels; c++)
                {
                    var (first, last) = lrn.Window(c, channels);
                    for (var p = 0; p < plane; p++)
                    {
                        var i = c * plane + p;
                        lower[i] += g[i] * Math.Pow(d[i], -lrn.Beta);
                        var common = 2 * lrn.Alpha * lrn.Beta / lrn.Size * g[i] * x[i] * Math.Pow(d[i], -lrn.Beta - 1);
                        for (var q = first; q <= last; q++) lower[q * plane + p] -= common * x[q * plane + p];
                    }
                }
                return [lower];
            }
            case BatchNorm b:
            {
                var plane = x.Size / b.Channels;
                return [[.. g.Select((v, i) => v * b.Multiplier(i / plane))]];
            }
            default:
                throw new System.Diagnostics.UnreachableException(layer.Kind);
        }
    }

    private static double[] Windows(Tensor x, ImmutableArray<ImmutableArray<int>> windows, double[] g, Func<ImmutableArray<int>, int, double> derivative)
    {
        var lower = new double[x.Size];
        for (var k = 0; k < windows.Length; k++)
            foreach (var i in windows[k]) lower[i] += derivative(windows[k], i) * g[k];
        return lower;
    }
}
