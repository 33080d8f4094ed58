using System.Collections.Immutable;
using Google.Protobuf;
using Onnx;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Relevance.Onnx;

/// <summary>A tensor whose value is known when importing: an initializer, a Constant, or a folded shape computation.</summary>
/// <param name="Dims">Its shape.</param>
/// <param name="Values">Its values, row-major.</param>
/// <param name="Integer">Whether its ONNX element type is an integer (so that a folded Div truncates, as ONNX's does).</param>
internal sealed record ConstantTensor(ImmutableArray<long> Dims, ParameterArray Values, bool Integer = false)
{
    public long Count => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Decodes float, float16, double and integer tensors from raw bytes or typed fields.</summary>
    public static ConstantTensor From(TensorProto t, string where)
    {
        var dims = t.Dims.ToImmutableArray();
        if (dims.Any(d => d < 0)) throw new ModelFormatException($"{where}: tensor '{t.Name}' has a negative dimension.");
        var count = dims.Aggregate(1L, (a, d) => checked(a * d));
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new ModelFormatException($"{where}: tensor '{t.Name}' keeps its data in an external file, which is not supported.");
        var type = (TensorProto.Types.DataType)t.DataType;
        // Float and float16 values are kept as float32 (every float16 is one), the others as doubles.
        ParameterArray values = type switch
        {
            TensorProto.Types.DataType.Float => ParameterArray.Own(Raw<float, float>(t, count, where) ?? [.. t.FloatData]),
            TensorProto.Types.DataType.Float16 => ParameterArray.Own(Raw<Half, float>(t, count, where)
                ?? [.. t.Int32Data.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v))]),
            TensorProto.Types.DataType.Double => ParameterArray.Own(Raw<double, double>(t, count, where) ?? [.. t.DoubleData]),
            TensorProto.Types.DataType.Int64 => ParameterArray.Own(Raw<long, double>(t, count, where) ?? [.. t.Int64Data.Select(v => (double)v)]),
            TensorProto.Types.DataType.Int32 => ParameterArray.Own(Raw<int, double>(t, count, where) ?? [.. t.Int32Data.Select(v => (double)v)]),
            _ => throw new UnsupportedModelException(where, "tensor", $"tensor '{t.Name}' has element type {type}; supported: float, float16, double, int32, int64."),
        };
        if (values.Length != count)
            throw new ModelFormatException($"{where}: tensor '{t.Name}' of shape [{string.Join("×", dims)}] holds {values.Length} values instead of {count}.");
        return new ConstantTensor(dims, values, type is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32);
    }

    // Raw data is little-endian, as ONNX stores it and as every platform .NET runs on is.
    private static TOut[]? Raw<T, TOut>(TensorProto t, long count, string where) where T : unmanaged, INumberBase<T> where TOut : INumberBase<TOut>
    {
        if (t.RawData.IsEmpty) return null;
        var bytes = t.RawData.Span;
        var width = Unsafe.SizeOf<T>();
        if (bytes.Length != count * width)
            throw new ModelFormatException($"{where}: tensor '{t.Name}' has {bytes.Length} bytes of data; its shape needs {count * width}.");
        var values = new TOut[count];
        var typed = MemoryMarshal.Cast<byte, T>(bytes);
        for (var i = 0; i < values.Length; i++) values[i] = TOut.CreateTruncating(typed[i]);
        return values;
    }
}
