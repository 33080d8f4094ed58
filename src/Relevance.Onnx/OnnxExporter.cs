using Google.Protobuf;
using Onnx;

namespace Relevance.Onnx;

/// <summary>Writes small dense networks (Dense, ReLU, Sum, sum-pooling, Flatten, Reshape) as ONNX (opset 13, float32) so other tools can load them.</summary>
/// <remarks>Sum and sum-pooling have no ONNX operator of their own; they are written as MatMul with a 0/1 matrix, which computes the
/// same function — and which z⁺ explains exactly as proportional pooling does, so a re-imported model explains the same way.</remarks>
public static class OnnxExporter
{
    /// <summary>The model as ONNX bytes, with input "input" of shape [1, …] and output "output".</summary>
    public static byte[] Export(Network network, string producer = "Relevance")
    {
        var graph = new GraphProto { Name = "relevance" };
        graph.Input.Add(Value("input", [1, .. network.InputShape.Dims.Select(d => (long)d)]));
        var names = new Dictionary<string, string> { [Network.InputName] = "input" };
        foreach (var (node, n) in network.Nodes.Select((node, n) => (node, n)))
        {
            if (node.Inputs.Length != 1) throw new NotSupportedException($"Export: node '{node.Name}' ({node.Layer.Kind}) has several inputs; only chains are exported.");
            var x = names[node.Inputs[0]];
            var inShape = network.ShapeOf(node.Inputs[0]);
            var y = $"t{n}";
            switch (node.Layer)
            {
                case Dense d:
                    graph.Initializer.Add(Tensor($"{y}_w", [d.Inputs, d.Outputs], d.Weights.Select(v => (float)v)));
                    graph.Initializer.Add(Tensor($"{y}_b", [d.Outputs], d.Bias.Select(v => (float)v)));
                    graph.Node.Add(Node("MatMul", [Flat(graph, x, inShape, y), $"{y}_w"], $"{y}_mm"));
                    graph.Node.Add(Node("Add", [$"{y}_mm", $"{y}_b"], y));
                    break;
                case ReLU:
                    graph.Node.Add(Node("Relu", [x], y));
                    break;
                case Sum:
                    graph.Initializer.Add(Tensor($"{y}_ones", [inShape.Size, 1], Enumerable.Repeat(1f, inShape.Size)));
                    graph.Node.Add(Node("MatMul", [Flat(graph, x, inShape, y), $"{y}_ones"], y));
                    break;
                case Pool2d { Pool: PoolKind.Sum } p when p.Pads.IsZero:
                {
                    var outShape = network.Shapes[n];
                    var matrix = new float[inShape.Size * outShape.Size];
                    var (c, h, w) = (inShape[0], inShape[1], inShape[2]);
                    var (oh, ow) = (outShape[1], outShape[2]);
                    for (var ch = 0; ch < c; ch++)
                        for (var oy = 0; oy < oh; oy++)
                            for (var ox = 0; ox < ow; ox++)
                                for (var ky = 0; ky < p.KernelHeight; ky++)
                                    for (var kx = 0; kx < p.KernelWidth; kx++)
                                        matrix[((ch * h + oy * p.StrideHeight + ky) * w + ox * p.StrideWidth + kx) * outShape.Size + (ch * oh + oy) * ow + ox] = 1;
                    graph.Initializer.Add(Tensor($"{y}_pool", [inShape.Size, outShape.Size], matrix));
                    graph.Node.Add(Node("MatMul", [Flat(graph, x, inShape, y), $"{y}_pool"], $"{y}_mm"));
                    graph.Node.Add(ReshapeTo(graph, $"{y}_mm", outShape, y));
                    break;
                }
                case Flatten or Reshape:
                    graph.Node.Add(ReshapeTo(graph, x, network.Shapes[n], y));
                    break;
                default:
                    throw new NotSupportedException($"Export: node '{node.Name}' is a {node.Layer.Kind}; supported: Dense, ReLU, Sum, SumPool2d (unpadded), Flatten, Reshape.");
            }
            names[node.Name] = y;
        }
        var output = names[network.Output];
        graph.Node.Add(Node("Identity", [output], "output"));
        graph.Output.Add(Value("output", [1, .. network.OutputShape.Dims.Select(d => (long)d)]));
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = producer };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    // x as [1, N] (a no-op reshape when it already is a vector).
    private static string Flat(GraphProto graph, string x, Shape shape, string y)
    {
        if (shape.Rank == 1) return x;
        graph.Node.Add(ReshapeTo(graph, x, Shape.Of(shape.Size), $"{y}_flat"));
        return $"{y}_flat";
    }

    private static NodeProto ReshapeTo(GraphProto graph, string x, Shape shape, string y)
    {
        var t = new TensorProto { Name = $"{y}_shape", DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(shape.Rank + 1);
        t.Int64Data.Add(1);
        t.Int64Data.AddRange(shape.Dims.Select(d => (long)d));
        graph.Initializer.Add(t);
        return Node("Reshape", [x, $"{y}_shape"], y);
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static TensorProto Tensor(string name, long[] dims, IEnumerable<float> values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }

    private static ValueInfoProto Value(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
