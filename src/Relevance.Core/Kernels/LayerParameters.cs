namespace Relevance.Kernels;

/// <summary>The weights and bias of one linear layer in float32, as a generated explainer binds them.</summary>
/// <param name="Weights">Dense: W[i, j] at i·outputs + j (inputs × outputs); Conv2d: [out, in, kh, kw].</param>
/// <param name="Bias">One per output neuron or channel; empty for a layer declared without bias.</param>
public sealed record LayerParameters(float[] Weights, float[] Bias)
{
    /// <summary>The parameters of a reference Dense or Conv2d layer, rounded to float32.</summary>
    public static LayerParameters Of(Layer layer) => layer switch
    {
        Dense d => new LayerParameters([.. d.Weights.Select(w => (float)w)], [.. d.Bias.Select(b => (float)b)]),
        Conv2d c => new LayerParameters([.. c.Weights.Select(w => (float)w)], [.. c.Bias.Select(b => (float)b)]),
        _ => throw new ArgumentException($"{layer.Kind} has no weights; only Dense and Conv2d layers are bound.", nameof(layer)),
    };

    /// <summary>The parameters of every Dense and Conv2d node of a network, in node order.</summary>
    public static LayerParameters[] Of(Network network) =>
        [.. network.Nodes.Where(n => n.Layer is Dense or Conv2d).Select(n => Of(n.Layer))];
}
