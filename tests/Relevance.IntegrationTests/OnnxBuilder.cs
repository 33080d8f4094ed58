using Google.Protobuf;
using Onnx;

namespace Relevance.IntegrationTests;

/// <summary>Builds small ONNX models in code, to hold operators no shipped model uses to ONNX Runtime.</summary>
internal sealed class OnnxBuilder
{
    private readonly GraphProto _graph = new() { Name = "test" };
    private readonly Random _rng = new(7);
    private string? _batch;
    private bool _raw;

    public OnnxBuilder(string input, params long[] dims)
    {
        _graph.Input.Add(Value(input, dims));
    }

    private static ValueInfoProto Value(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }

    /// <summary>A random float initializer.</summary>
    public string Weights(string name, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(Enumerable.Range(0, (int)dims.Aggregate(1L, (a, d) => a * d)).Select(_ => (float)(_rng.NextDouble() * 2 - 1)));
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A random float initializer with values in [0.5, 1.5] (variances).</summary>
    public string Positive(string name, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(Enumerable.Range(0, (int)dims.Aggregate(1L, (a, d) => a * d)).Select(_ => (float)(_rng.NextDouble() + 0.5)));
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>An int64 vector initializer (pads, axes, shapes).</summary>
    public string Ints64(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A bool vector initializer (a condition or a mask), one byte per value in raw data.</summary>
    public string Bools(string name, params bool[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Bool, RawData = ByteString.CopyFrom([.. values.Select(v => (byte)(v ? 1 : 0))]) };
        t.Dims.Add(values.Length);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>An int64 scalar initializer (an index).</summary>
    public string Ints64Scalar(string name, long value)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Int64Data.Add(value);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A scalar float initializer.</summary>
    public string Scalar(string name, float value)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Stores float initializers as raw little-endian bytes, as exporters do, instead of the typed field.</summary>
    public OnnxBuilder RawData()
    {
        _raw = true;
        return this;
    }

    /// <summary>Makes the batch axis of the input and of outputs saved later symbolic, as tf2onnx writes it.</summary>
    public OnnxBuilder SymbolicBatch(string name)
    {
        _batch = name;
        _graph.Input[0].Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = name };
        return this;
    }

    public OnnxBuilder Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return this;
    }

    /// <summary>Gives the last node (one with several outputs, such as Split) these outputs instead of its one.</summary>
    public OnnxBuilder Outputs(string op, params string[] outputs)
    {
        var node = _graph.Node.Last(n => n.OpType == op);
        node.Output.Clear();
        node.Output.AddRange(outputs);
        node.Name = outputs[0];
        return this;
    }

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>The model with the given output, written to a temporary file.</summary>
    public string Save(string output, long opset, params long[] dims)
    {
        _graph.Output.Add(Value(output, dims));
        if (_batch is not null) _graph.Output[^1].Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = _batch };
        if (_raw)
            foreach (var t in _graph.Initializer.Where(t => t.FloatData.Count > 0))
            {
                t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.FloatData.ToArray().AsSpan()));
                t.FloatData.Clear();
            }
        var model = new ModelProto { IrVersion = 7, Graph = _graph, ProducerName = "relevance-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        var path = Path.Combine(Path.GetTempPath(), $"built-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }
}
