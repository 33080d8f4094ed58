namespace Relevance.Onnx;

/// <summary>A model file that cannot be read as ONNX: empty, truncated or corrupt.</summary>
public sealed class ModelFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A valid ONNX model that uses an operator or attribute Relevance does not support; the message names the node and what is supported.</summary>
public sealed class UnsupportedModelException(string node, string opType, string message)
    : Exception($"ONNX node '{node}' ({opType}): {message}")
{
    /// <summary>The node's name (or its first output when unnamed).</summary>
    public string Node { get; } = node;
    /// <summary>The node's operator.</summary>
    public string OpType { get; } = opType;
}
