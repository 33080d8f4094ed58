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
    public static Tensor Apply(Layer layer, ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0];
        var xs = x.Data.AsSpan();
        return layer switch
        {
            Dense or Conv2d => Tensor.Own(output, LinearMap.Of(layer, x.Shape).Forward(xs)),
            ReLU => Map(x, v => Math.Max(0, v)),
            Pool2d p => Pool(p, x, output),
            GlobalAvgPool => Tensor.Own(output, [.. PoolWindows.Global(x.Shape).Select(win => win.Sum(i => x[i]) / win.Length)]),
            Sum => Tensor.Vector(x.Sum()),
            Flatten or Reshape or Identity => x.Reshape(output),
            Add => Tensor.Own(output, [.. Enumerable.Range(0, x.Size).Select(i => inputs.Sum(t => t[i]))]),
            Concat => Tensor.Own(output, [.. inputs.SelectMany(t => t.Data)]),
            BatchNorm b => BatchNormalise(b, x),
            LocalResponseNorm n => Normalise(n, x),
            _ => throw new System.Diagnostics.UnreachableException(layer.Kind),
        };
    }

    private static Tensor Map(Tensor x, Func<double, double> f) => Tensor.Own(x.Shape, [.. x.Data.Select(f)]);

    private static Tensor Pool(Pool2d p, Tensor x, Shape output)
    {
        var xs = x.Data.AsSpan();
        var windows = PoolWindows.Of(p, x.Shape);
        var y = new double[windows.Length];
        for (var k = 0; k < y.Length; k++)
        {
            var win = windows[k];
            y[k] = p.Pool switch
            {
                PoolKind.Sum => win.Sum(i => x[i]),
                PoolKind.Average => win.Sum(i => x[i]) / win.Length,
                PoolKind.Max => xs[PoolWindows.ArgMax(xs, win)],
                PoolKind.Lp => PoolWindows.LpNorm(xs, win, p.P),
                _ => throw new System.Diagnostics.UnreachableException(p.Pool.ToString()),
            };
        }
        return Tensor.Own(output, y);
    }

    /// <summary>The LRN denominator base d_c = k + α/n · Σ_{c' in window} x_c'² at every element.</summary>
    internal static double[] LrnBase(LocalResponseNorm n, Tensor x)
    {
        var (channels, plane) = (x.Shape[0], x.Shape[1] * x.Shape[2]);
        var d = new double[x.Size];
        for (var c = 0; c < channels; c++)
        {
            var (first, last) = n.Window(c, channels);
            for (var p = 0; p < plane; p++)
            {
                var s = 0.0;
                for (var q = first; q <= last; q++) s += x[q * plane + p] * x[q * plane + p];
                d[c * plane + p] = n.Bias + n.Alpha / n.Size * s;
            }
        }
        return d;
    }

    private static Tensor Normalise(LocalResponseNorm n, Tensor x)
    {
        var d = LrnBase(n, x);
        return Tensor.Own(x.Shape, [.. x.Data.Select((v, i) => v * Math.Pow(d[i], -n.Beta))]);
    }

    private static Tensor BatchNormalise(BatchNorm b, Tensor x)
    {
        var plane = x.Size / b.Channels;
        var y = new double[x.Size];
        for (var i = 0; i < y.Length; i++)
        {
            var c = i / plane;
            y[i] = (x[i] - b.Mean[c]) * b.Multiplier(c) + b.Shift[c];
        }
        return Tensor.Own(x.Shape, y);
    }
}
