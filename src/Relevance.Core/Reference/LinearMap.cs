using System.Collections.Immutable;

namespace Relevance.Reference;

/// <summary>One weighted edge of a linear layer: input neuron i, output neuron j, and the index of w_ij in the layer's weights.</summary>
internal readonly record struct Connection(int Input, int Output, int Weight);

/// <summary>A Dense or Conv2d layer seen as neurons joined by weighted connections: the form in which the paper's per-neuron rules are written.</summary>
/// <remarks>A convolution is a linear layer with shared weights; each output position is one neuron j with its own
/// in-bounds inputs, so the same rules apply per output position (docs/rules.md §4).</remarks>
internal sealed record LinearMap(int Inputs, int Outputs, ImmutableArray<Connection> Connections, ParameterArray Weights, ParameterArray Bias)
{
    /// <summary>The linear map of a Dense or Conv2d layer applied to an input of the given shape.</summary>
    public static LinearMap Of(Layer layer, Shape input) => layer switch
    {
        Dense d => OfDense(d),
        Conv2d c => OfConv(c, input),
        _ => throw new ArgumentException($"{layer.Kind} is not a linear layer.", nameof(layer)),
    };

    /// <summary>True for the layers that rules apply to (Dense, Conv2d).</summary>
    public static bool IsLinear(Layer layer) => layer is Dense or Conv2d;

    /// <summary>w_ij of one connection.</summary>
    public double W(Connection c) => Weights[c.Weight];

    /// <summary>z_j = Σ_i x_i w_ij + b_j.</summary>
    public double[] Forward(ReadOnlySpan<double> x)
    {
        var z = Bias.ToArray();
        foreach (var c in Connections) z[c.Output] += x[c.Input] * Weights[c.Weight];
        return z;
    }

    /// <summary>g_i = Σ_j w_ij g_j (the transpose, used by backpropagation).</summary>
    public double[] Transpose(ReadOnlySpan<double> g)
    {
        var r = new double[Inputs];
        foreach (var c in Connections) r[c.Input] += Weights[c.Weight] * g[c.Output];
        return r;
    }

    /// <summary>The dense d_in × d_out matrix (zero where no connection exists) with the given weight transform applied.</summary>
    public double[,] ToMatrix(Func<double, double>? transform = null)
    {
        var m = new double[Inputs, Outputs];
        foreach (var c in Connections) m[c.Input, c.Output] += transform is null ? Weights[c.Weight] : transform(Weights[c.Weight]);
        return m;
    }

    private static LinearMap OfDense(Dense d)
    {
        var conns = ImmutableArray.CreateBuilder<Connection>(d.Inputs * d.Outputs);
        for (var i = 0; i < d.Inputs; i++)
            for (var j = 0; j < d.Outputs; j++)
                conns.Add(new Connection(i, j, i * d.Outputs + j));
        return new LinearMap(d.Inputs, d.Outputs, conns.MoveToImmutable(), d.Weights, d.Bias);
    }

    private static LinearMap OfConv(Conv2d c, Shape input)
    {
        var (h, w) = (input[1], input[2]);
        var (oh, ow) = c.OutputPlane(h, w);
        var conns = ImmutableArray.CreateBuilder<Connection>();
        var bias = new double[c.OutChannels * oh * ow];
        for (var o = 0; o < c.OutChannels; o++)
            for (var oy = 0; oy < oh; oy++)
                for (var ox = 0; ox < ow; ox++)
                {
                    var j = (o * oh + oy) * ow + ox;
                    bias[j] = c.Bias[o];
                    // Output o reads only its group's input channels (all of them when there is one group).
                    var first = o / (c.OutChannels / c.Groups) * c.GroupInChannels;
                    for (var ci = 0; ci < c.GroupInChannels; ci++)
                        for (var ky = 0; ky < c.KernelHeight; ky++)
                            for (var kx = 0; kx < c.KernelWidth; kx++)
                            {
                                var iy = oy * c.Stride - c.Pads.Top + ky * c.Dilation;
                                var ix = ox * c.Stride - c.Pads.Left + kx * c.Dilation;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                conns.Add(new Connection(((first + ci) * h + iy) * w + ix, j, c.WeightIndex(o, ci, ky, kx)));
                            }
                }
        return new LinearMap(input.Size, bias.Length, conns.ToImmutable(), c.Weights, [.. bias]);
    }
}
