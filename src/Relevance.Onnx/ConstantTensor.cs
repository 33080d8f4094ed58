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
    public static ConstantTensor From(TensorProto t, string where) => From(t, t.RawData.Span, where);

    /// <summary>Decodes a tensor whose raw data is given apart from the message (an initializer left in the mapped file).</summary>
    public static ConstantTensor From(TensorProto t, ReadOnlySpan<byte> raw, string where)
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
            TensorProto.Types.DataType.Float => ParameterArray.Own(Raw<float, float>(t, raw, count, where) ?? [.. t.FloatData]),
            TensorProto.Types.DataType.Float16 => ParameterArray.Own(Raw<Half, float>(t, raw, count, where)
                ?? [.. t.Int32Data.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v))]),
            TensorProto.Types.DataType.Double => ParameterArray.Own(Raw<double, double>(t, raw, count, where) ?? [.. t.DoubleData]),
            TensorProto.Types.DataType.Int64 => ParameterArray.Own(Raw<long, double>(t, raw, count, where) ?? [.. t.Int64Data.Select(v => (double)v)]),
            TensorProto.Types.DataType.Int32 => ParameterArray.Own(Raw<int, double>(t, raw, count, where) ?? [.. t.Int32Data.Select(v => (double)v)]),
            // A mask or a condition: 1 for true, 0 for false, one byte each in raw data, int32 fields otherwise.
            TensorProto.Types.DataType.Bool => ParameterArray.Own(Raw<byte, double>(t, raw, count, where) ?? [.. t.Int32Data.Select(v => v != 0 ? 1.0 : 0.0)]),
            _ => throw new UnsupportedModelException(where, "tensor", $"tensor '{t.Name}' has element type {type}; supported: float, float16, double, int32, int64, bool."),
        };
        if (values.Length != count)
            throw new ModelFormatException($"{where}: tensor '{t.Name}' of shape [{string.Join("×", dims)}] holds {values.Length} values instead of {count}.");
        return new ConstantTensor(dims, values, type is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Bool);
    }

    /// <summary>A float32 matrix [m × k] held as raw data, decoded as its transpose [k × m] times <paramref name="alpha"/>;
    /// null when the tensor is not a float32 matrix with raw data.</summary>
    public static float[]? TransposedSingles(TensorProto t, ReadOnlySpan<byte> raw, float alpha, string where)
    {
        if ((TensorProto.Types.DataType)t.DataType != TensorProto.Types.DataType.Float || t.Dims.Count != 2 || raw.IsEmpty
            || t.DataLocation == TensorProto.Types.DataLocation.External || t.Dims.Any(d => d < 0)) return null;
        var (m, k) = (t.Dims[0], t.Dims[1]);
        var count = checked(m * k);
        if (raw.Length != count * sizeof(float))
            throw new ModelFormatException($"{where}: tensor '{t.Name}' has {raw.Length} bytes of data; its shape needs {count * sizeof(float)}.");
        return DenseWeights(MemoryMarshal.Cast<byte, float>(raw), (int)k, (int)m, transposed: true, alpha);
    }

    /// <summary>αB as a Dense layer's inputs × outputs matrix [k × m], from B stored [k × m], or [m × k] when
    /// <paramref name="transposed"/> (a Gemm's transB, PyTorch's nn.Linear).</summary>
    public static T[] DenseWeights<T>(ReadOnlySpan<T> b, int k, int m, bool transposed, T alpha) where T : unmanaged, INumber<T>
    {
        var w = Engine.LargeArrays.Uninitialized<T>(k * m);
        if (transposed) Kernels.Weights.TransposeInto(b, m, k, w);
        else b[..(k * m)].CopyTo(w);
        if (alpha != T.One)
            for (var i = 0; i < w.Length; i++) w[i] *= alpha;
        return w;
    }

    // Raw data is little-endian, as ONNX stores it and as every platform .NET runs on is.
    private static TOut[]? Raw<T, TOut>(TensorProto t, ReadOnlySpan<byte> bytes, long count, string where)
        where T : unmanaged, INumberBase<T> where TOut : unmanaged, INumberBase<TOut>
    {
        if (bytes.IsEmpty) return null;
        var width = Unsafe.SizeOf<T>();
        if (bytes.Length != count * width)
            throw new ModelFormatException($"{where}: tensor '{t.Name}' has {bytes.Length} bytes of data; its shape needs {count * width}.");
        var values = Engine.LargeArrays.Uninitialized<TOut>((int)count);
        var typed = MemoryMarshal.Cast<byte, T>(bytes);
        if (typeof(T) == typeof(TOut)) typed.CopyTo(MemoryMarshal.Cast<TOut, T>(values.AsSpan()));
        else for (var i = 0; i < values.Length; i++) values[i] = TOut.CreateTruncating(typed[i]);
        return values;
    }
}
