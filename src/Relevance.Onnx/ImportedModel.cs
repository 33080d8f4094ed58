using System.Collections.Immutable;

namespace Relevance.Onnx;

/// <summary>An ONNX model as a Relevance layer graph, with what is needed to feed and read it.</summary>
/// <param name="Network">The layer graph (per-sample shapes, no batch axis); a final Softmax is stripped so the logits are explained.</param>
/// <param name="InputName">The ONNX input tensor's name.</param>
/// <param name="InputDims">The ONNX input's dimensions, batch first (a symbolic batch is 1).</param>
/// <param name="InputIsHalf">Whether the ONNX input is float16.</param>
/// <param name="OutputName">The ONNX output tensor that <see cref="Network"/> computes (the logits before a stripped Softmax).</param>
/// <param name="StrippedSoftmax">Whether a final Softmax was removed.</param>
/// <param name="Opset">The default-domain opset version.</param>
public sealed record ImportedModel(Network Network, string InputName, ImmutableArray<long> InputDims, bool InputIsHalf,
    string OutputName, bool StrippedSoftmax, long Opset);
