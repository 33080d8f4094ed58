using System.Buffers.Binary;
using System.Collections.Immutable;
using System.IO.Compression;

namespace Relevance.IO;

/// <summary>A file that is not a readable IDX array (MNIST's format); the message says what is wrong.</summary>
public sealed class IdxFormatException(string message) : Exception(message);

/// <summary>An unsigned-byte IDX array: its dimensions and its bytes, row-major.</summary>
public sealed record IdxArray(ImmutableArray<int> Shape, ImmutableArray<byte> Data);

/// <summary>Reads IDX files of unsigned bytes (MNIST, Fashion-MNIST), plain or gzip-compressed.</summary>
public static class Idx
{
    /// <summary>Reads an IDX file; a name ending in .gz is decompressed.</summary>
    /// <exception cref="IdxFormatException">The file is missing, truncated, not IDX, or not of unsigned bytes.</exception>
    public static IdxArray Read(string path)
    {
        byte[] bytes;
        try
        {
            using var file = File.OpenRead(path);
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            bytes = memory.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new IdxFormatException($"Cannot read '{path}': {e.Message}");
        }
        return Read(bytes, Path.GetFileName(path));
    }

    /// <summary>Reads an IDX array from its (uncompressed) bytes.</summary>
    public static IdxArray Read(ReadOnlySpan<byte> bytes, string name = "array")
    {
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new IdxFormatException($"'{name}' is not an IDX file (its first two bytes must be zero).");
        if (bytes[2] != 0x08) throw new IdxFormatException($"'{name}' holds IDX type 0x{bytes[2]:x2}; only unsigned bytes (0x08) are supported.");
        var rank = bytes[3];
        if (rank == 0 || bytes.Length < 4 + 4 * rank) throw new IdxFormatException($"'{name}' is truncated inside its header.");
        var dims = new int[rank];
        var count = 1L;
        for (var d = 0; d < rank; d++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(bytes[(4 + 4 * d)..]);
            if (size == 0 || size > int.MaxValue) throw new IdxFormatException($"'{name}' declares dimension {d} of size {size}.");
            dims[d] = (int)size;
            count *= size;
            if (count > int.MaxValue) throw new IdxFormatException($"'{name}' declares more than {int.MaxValue} values.");
        }
        var data = bytes[(4 + 4 * rank)..];
        if (data.Length != count) throw new IdxFormatException($"'{name}' holds {data.Length} bytes of data; its shape ({string.Join(", ", dims)}) needs {count}.");
        return new IdxArray([.. dims], [.. data]);
    }
}
