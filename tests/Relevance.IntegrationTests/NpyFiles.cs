using System.Text;

namespace Relevance.IntegrationTests;

/// <summary>.npy files written byte by byte, as other writers lay them out.</summary>
internal static class NpyFiles
{
    /// <summary>The magic string, the version, the header length (2 bytes in version 1, 4 in 2 and 3), the header, then the data.</summary>
    public static byte[] Bytes(byte major, string header, byte[] data)
    {
        var h = Encoding.ASCII.GetBytes(header);
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
        bytes.AddRange(major == 1 ? BitConverter.GetBytes((ushort)h.Length) : BitConverter.GetBytes((uint)h.Length));
        bytes.AddRange(h);
        bytes.AddRange(data);
        return [.. bytes];
    }

    /// <summary>10 000 float64 labels (i · 7 mod 10) of shape (10000L, 1L), with the header NumPy wrote under Python 2, padded to 80 bytes.</summary>
    public static byte[] PythonTwoLabels()
    {
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (10000L, 1L), }".PadRight(69) + "\n";
        var data = new byte[10000 * sizeof(double)];
        for (var i = 0; i < 10000; i++) BitConverter.TryWriteBytes(data.AsSpan(8 * i), (double)(i * 7 % 10));
        return Bytes(1, header, data);
    }
}
