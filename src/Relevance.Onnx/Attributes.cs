using Onnx;

namespace Relevance.Onnx;

/// <summary>Typed access to a node's attributes, with the ONNX defaults.</summary>
internal sealed class Attributes(NodeProto node, string where)
{
    private AttributeProto? Find(string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public bool Has(string name) => Find(name) is not null;

    public long Int(string name, long fallback) => Find(name) is { } a ? a.I : fallback;

    public float Float(string name, float fallback) => Find(name) is { } a ? a.F : fallback;

    public string String(string name, string fallback) => Find(name) is { } a ? a.S.ToStringUtf8() : fallback;

    public long[] Ints(string name, long[] fallback) => Find(name) is { Ints.Count: > 0 } a ? [.. a.Ints] : fallback;

    public TensorProto Tensor(string name) =>
        Find(name)?.T ?? throw new UnsupportedModelException(where, node.OpType, $"the '{name}' attribute is missing or not a tensor.");

    /// <summary>Rejects attributes the importer does not understand, naming them and the supported set.</summary>
    public void Only(params string[] known)
    {
        foreach (var a in node.Attribute)
            if (!known.Contains(a.Name))
                throw new UnsupportedModelException(where, node.OpType, $"attribute '{a.Name}' is not supported (supported: {string.Join(", ", known)}).");
    }
}
