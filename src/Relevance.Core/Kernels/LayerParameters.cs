using System.Collections.Immutable;

namespace Relevance.Kernels;

/// <summary>How a dense layer's weight matrix is laid out in memory.</summary>
public enum WeightLayout
{
    /// <summary>W[i, j] at i·outputs + j: inputs × outputs, as <see cref="Dense"/> and ONNX's MatMul keep it.</summary>
    InputsByOutputs,
    /// <summary>W[j, i] at j·inputs + i: outputs × inputs, as PyTorch's Linear, ONNX's Gemm with transB and <c>relevance reproduce</c>'s .npy files keep it.</summary>
    OutputsByInputs,
}

/// <summary>The weights and bias of one linear layer in float32, as a generated explainer binds them.</summary>
/// <param name="Weights">Dense: W[i, j] at i·outputs + j (inputs × outputs); Conv2d: [out, in, kh, kw].</param>
/// <param name="Bias">One per output neuron or channel; empty for a layer declared without bias.</param>
public sealed record LayerParameters(float[] Weights, float[] Bias)
{
    /// <summary>The weights' dimensions when they are known (Dense [inputs, outputs], Conv2d [out, in, kh, kw]): binding checks them
    /// against the declaration, so that a transposed matrix of the right size is refused rather than bound.</summary>
    public ImmutableArray<int> Dims { get; init; }

    /// <summary>A dense layer's parameters from a matrix in either layout, with its dimensions recorded.</summary>
    /// <exception cref="ArgumentException">The matrix does not hold inputs × outputs values.</exception>
    public static LayerParameters Dense(int inputs, int outputs, float[] weights, float[] bias, WeightLayout layout = WeightLayout.InputsByOutputs)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        if (weights.Length != (long)inputs * outputs)
            throw new ArgumentException($"A {inputs}→{outputs} dense layer has {(long)inputs * outputs} weights, got {weights.Length}.", nameof(weights));
        var w = layout == WeightLayout.OutputsByInputs ? Relevance.Kernels.Weights.Transpose(weights, outputs, inputs) : weights;
        return new LayerParameters(w, bias) { Dims = [inputs, outputs] };
    }

    /// <summary>A convolution's parameters from weights laid out [out, in, kh, kw] (ONNX, PyTorch), with their dimensions recorded.</summary>
    /// <exception cref="ArgumentException">The weights do not hold out × in × kh × kw values.</exception>
    public static LayerParameters Conv2d(int outChannels, int inChannels, int kernelHeight, int kernelWidth, float[] weights, float[] bias)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        var size = (long)outChannels * inChannels * kernelHeight * kernelWidth;
        if (outChannels <= 0 || inChannels <= 0 || kernelHeight <= 0 || kernelWidth <= 0 || weights.Length != size)
            throw new ArgumentException($"A convolution {inChannels}→{outChannels} with {kernelHeight}×{kernelWidth} kernels has {size} weights, got {weights.Length}.", nameof(weights));
        return new LayerParameters(weights, bias) { Dims = [outChannels, inChannels, kernelHeight, kernelWidth] };
    }

    /// <summary>The parameters of a reference Dense or Conv2d layer, rounded to float32.</summary>
    public static LayerParameters Of(Layer layer) => layer switch
    {
        Relevance.Dense d => Dense(d.Inputs, d.Outputs, [.. d.Weights.Select(w => (float)w)], [.. d.Bias.Select(b => (float)b)]),
        Relevance.Conv2d c => Conv2d(c.OutChannels, c.InChannels, c.KernelHeight, c.KernelWidth, [.. c.Weights.Select(w => (float)w)], [.. c.Bias.Select(b => (float)b)]),
        _ => throw new ArgumentException($"{layer.Kind} has no weights; only Dense and Conv2d layers are bound.", nameof(layer)),
    };

    /// <summary>The parameters of every Dense and Conv2d node of a network, in node order.</summary>
    public static LayerParameters[] Of(Network network) =>
        [.. network.Nodes.Where(n => n.Layer is Relevance.Dense or Relevance.Conv2d).Select(n => Of(n.Layer))];
}
