using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Relevance.IO;

/// <summary>A file that is not a readable NumPy .npy array; the message says what is wrong and where.</summary>
public sealed class NpyFormatException(string message) : Exception(message);

/// <summary>An array read from a .npy file: its shape, its element type as stored, and its values as float32.</summary>
public sealed record NpyArray(ImmutableArray<int> Shape, string DType, ImmutableArray<float> Data);

/// <summary>Reads and writes NumPy .npy files (format versions 1–3): float16, float32, float64 and uint8, little- or big-endian, C order.</summary>
public static partial class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a .npy file.</summary>
    /// <exception cref="NpyFormatException">The file is empty, truncated, not .npy, Fortran-ordered, or of an unsupported type.</exception>
    public static NpyArray Read(string path) => Read(Bytes(path), Path.GetFileName(path));

    // A file's bytes, its read errors reported as the array's.
    private static byte[] Bytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NpyFormatException($"Cannot read '{path}': {e.Message}");
        }
    }

    /// <summary>Reads a .npy array from its bytes; <paramref name="name"/> is used in messages.</summary>
    public static NpyArray Read(ReadOnlySpan<byte> bytes, string name = "array")
    {
        var (dtype, shape, count, start) = Layout(bytes, name);
        var (size, decode) = Decoder(dtype, name);
        return new NpyArray(shape, dtype, [.. Decoded(bytes[start..], size, decode, count, shape, dtype, name)]);
    }

    // The data's values, one element of `size` bytes each, checked to be exactly the shape's.
    private static T[] Decoded<T>(ReadOnlySpan<byte> data, int size, Func<ReadOnlySpan<byte>, T> decode, long count, ImmutableArray<int> shape, string dtype, string name)
    {
        if (data.Length != count * size)
            throw new NpyFormatException($"'{name}' holds {data.Length} bytes of data, but shape ({string.Join(", ", shape)}) of {dtype} needs {count * size}.");
        var values = new T[count];
        for (var i = 0; i < values.Length; i++) values[i] = decode(data.Slice(i * size, size));
        return values;
    }

    /// <summary>Reads an integer .npy file (token ids, a mask): int64, int32 or uint8, exactly.</summary>
    /// <exception cref="NpyFormatException">The file cannot be read, is not .npy, or is not of an integer type.</exception>
    public static (ImmutableArray<int> Shape, ImmutableArray<long> Values) ReadIntegers(string path)
    {
        var bytes = Bytes(path);
        var name = Path.GetFileName(path);
        var (dtype, shape, count, start) = Layout(bytes, name);
        (int Size, Func<ReadOnlySpan<byte>, long> Decode) decoder = dtype switch
        {
            "<i8" => (8, b => BinaryPrimitives.ReadInt64LittleEndian(b)),
            ">i8" => (8, b => BinaryPrimitives.ReadInt64BigEndian(b)),
            "<i4" => (4, b => BinaryPrimitives.ReadInt32LittleEndian(b)),
            ">i4" => (4, b => BinaryPrimitives.ReadInt32BigEndian(b)),
            "|u1" or "<u1" or ">u1" => (1, b => b[0]),
            _ => throw new NpyFormatException($"'{name}' has element type '{dtype}'; integers are expected: int64 (<i8), int32 (<i4) or uint8 (|u1)."),
        };
        return (shape, [.. Decoded(bytes.AsSpan(start), decoder.Size, decoder.Decode, count, shape, dtype, name)]);
    }

    /// <summary>A .npy file's element type as NumPy writes it (&lt;f4, &lt;i8, …), read from its header alone.</summary>
    /// <exception cref="NpyFormatException">The file cannot be read or is not .npy.</exception>
    public static string ElementType(string path)
    {
        var header = new byte[1 << 16];
        int length;
        try
        {
            using var file = File.OpenRead(path);
            length = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NpyFormatException($"Cannot read '{path}': {e.Message}");
        }
        return Layout(header.AsSpan(0, length), Path.GetFileName(path)).DType;
    }

    // A .npy file's element type, shape, element count and where its data starts.
    private static (string DType, ImmutableArray<int> Shape, long Count, int Start) Layout(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw new NpyFormatException($"'{name}' is not a .npy file (no \\x93NUMPY magic).");
        var major = bytes[6];
        int headerLength, start;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
                start = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12) throw new NpyFormatException($"'{name}' is truncated inside its header.");
                var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
                if (length > int.MaxValue) throw new NpyFormatException($"'{name}' declares a header of {length} bytes.");
                headerLength = (int)length;
                start = 12;
                break;
            default:
                throw new NpyFormatException($"'{name}' is .npy format version {major}; versions 1, 2 and 3 are supported.");
        }
        if (bytes.Length < start + headerLength) throw new NpyFormatException($"'{name}' is truncated inside its header.");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes.Slice(start, headerLength));
        var (dtype, fortran, shape) = ParseHeader(header, name);
        if (fortran) throw new NpyFormatException($"'{name}' is stored in Fortran order; only C order is supported.");
        long count;
        try
        {
            count = shape.Aggregate(1L, (a, d) => checked(a * d));
        }
        catch (OverflowException)
        {
            throw new NpyFormatException($"'{name}' declares shape ({string.Join(", ", shape)}), too large to be real.");
        }
        return (dtype, shape, count, start + headerLength);
    }

    private static (string DType, bool Fortran, ImmutableArray<int> Shape) ParseHeader(string header, string name)
    {
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new NpyFormatException($"'{name}' has an unreadable header: {header.Trim()}");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.TrimEnd('L', 'l'))
            .Select(d => int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
                : throw new NpyFormatException($"'{name}' has a bad shape entry '{d}' in its header."))
            .ToImmutableArray();
        return (descr.Groups[1].Value, fortran.Groups[1].Value == "True", dims);
    }

    private static (int Size, Func<ReadOnlySpan<byte>, float> Decode) Decoder(string dtype, string name) => dtype switch
    {
        "<f4" => (4, b => BinaryPrimitives.ReadSingleLittleEndian(b)),
        ">f4" => (4, b => BinaryPrimitives.ReadSingleBigEndian(b)),
        "<f2" => (2, b => (float)BinaryPrimitives.ReadHalfLittleEndian(b)),
        ">f2" => (2, b => (float)BinaryPrimitives.ReadHalfBigEndian(b)),
        "<f8" => (8, b => (float)BinaryPrimitives.ReadDoubleLittleEndian(b)),
        ">f8" => (8, b => (float)BinaryPrimitives.ReadDoubleBigEndian(b)),
        "|u1" or "<u1" or ">u1" => (1, b => b[0]),
        _ => throw new NpyFormatException($"'{name}' has element type '{dtype}'; supported: float16 (<f2, >f2), float32 (<f4, >f4), float64 (<f8, >f8), uint8 (|u1)."),
    };

    /// <summary>Writes a float32 array as a version 1.0 .npy file, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<int> shape, ReadOnlySpan<float> data)
    {
        var bytes = Bytes(shape, data);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Writes a float32 array in the .npy format (version 1.0) to a stream.</summary>
    public static void Write(Stream stream, ReadOnlySpan<int> shape, ReadOnlySpan<float> data)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Bytes(shape, data));
    }

    /// <summary>Writes an array as float16 (each value rounded to the nearest half) in the .npy format (version 1.0) to a stream.</summary>
    public static void WriteHalf(Stream stream, ReadOnlySpan<int> shape, ReadOnlySpan<float> data)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Bytes(shape, data, half: true));
    }

    private static byte[] Bytes(ReadOnlySpan<int> shape, ReadOnlySpan<float> data, bool half = false)
    {
        var count = 1L;
        foreach (var d in shape) count *= d;
        if (count != data.Length) throw new ArgumentException($"Shape ({string.Join(", ", shape.ToArray())}) needs {count} values, got {data.Length}.");
        var dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray());
        var dict = $"{{'descr': '{(half ? "<f2" : "<f4")}', 'fortran_order': False, 'shape': ({dims}), }}";
        // The whole preamble (magic, version, length, header) is padded with spaces to a multiple of 64 bytes, ending in '\n'.
        var total = (10 + dict.Length + 1 + 63) / 64 * 64;
        var header = dict.PadRight(total - 10 - 1) + "\n";
        var size = half ? 2 : 4;
        var bytes = new byte[total + data.Length * size];
        Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.Latin1.GetBytes(header, bytes.AsSpan(10));
        for (var i = 0; i < data.Length; i++)
            if (half) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(total + i * 2), (Half)data[i]);
            else BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(total + i * 4), data[i]);
        return bytes;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
