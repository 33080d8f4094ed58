using System.Collections.Immutable;

namespace Relevance.Kernels;

/// <summary>Checks that a reference network's layers match a declaration before its weights are bound.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Binding
{
    /// <summary>The Dense and Conv2d layers of a network in node order; throws unless there are as many as declared.</summary>
    /// <remarks>ONNX has no sum or sum-pooling operator, so exported models (e.g. by <c>OnnxExporter</c>) write them as a MatMul
    /// with a 0/1 matrix and no bias. When a network has more linear layers than declared, such layers are taken as the
    /// declaration's Sum and SumPool and skipped; trained weights are never exactly 0/1.</remarks>
    public static Layer[] LinearLayers(Network network, int declared, string declaration)
    {
        ArgumentNullException.ThrowIfNull(network);
        var layers = network.Nodes.Select(n => n.Layer).Where(l => l is Relevance.Dense or Relevance.Conv2d).ToArray();
        if (layers.Length > declared) layers = [.. layers.Where(l => !IsZeroOneSum(l))];
        if (layers.Length != declared)
            throw new NetworkException($"{declaration} declares {declared} Dense/Conv2d layers; the network has {layers.Length} (besides 0/1 sum matrices).");
        return layers;
    }

    private static bool IsZeroOneSum(Layer layer) =>
        layer is Relevance.Dense d && d.Weights.All(w => w is 0 or 1) && d.Bias.All(b => b == 0);

    /// <summary>Throws unless the layer is a Dense layer with the declared sizes.</summary>
    public static LayerParameters Dense(Layer layer, string name, int inputs, int outputs) =>
        layer is Relevance.Dense d && d.Inputs == inputs && d.Outputs == outputs
            ? LayerParameters.Of(d)
            : throw new ShapeMismatchException(name, $"the declaration has Dense {inputs}→{outputs}; the network has {Describe(layer)}.");

    /// <summary>Throws unless the layer is a Conv2d layer with the declared channels, square kernel, stride and uniform padding.</summary>
    public static LayerParameters Conv2d(Layer layer, string name, int inChannels, int outChannels, int kernel, int stride, int padding) =>
        layer is Relevance.Conv2d c && c.InChannels == inChannels && c.OutChannels == outChannels && c.KernelHeight == kernel && c.KernelWidth == kernel
            && c.Stride == stride && c.Pads == Padding2d.Uniform(padding) && c.Groups == 1 && c.Dilation == 1
            ? LayerParameters.Of(c)
            : throw new ShapeMismatchException(name,
                $"the declaration has Conv2d {inChannels}→{outChannels}, kernel {kernel}, stride {stride}, padding {padding}; the network has {Describe(layer)}.");

    /// <summary>float32 values as the reference's double precision.</summary>
    public static ImmutableArray<double> Doubles(float[] values) => [.. values.Select(v => (double)v)];

    private static string Describe(Layer layer) => layer switch
    {
        Relevance.Dense d => $"Dense {d.Inputs}→{d.Outputs}",
        Relevance.Conv2d c => c.Describe(),
        _ => layer.Kind,
    };
}
