using Relevance.IO;

namespace Relevance.IntegrationTests;

public class NpyTests
{
    [Fact]
    public void Reads_a_numpy_v1_file_written_by_python_2()
    {
        // data_MNIST_test_labels.npy: float64 labels of shape (10000L, 1) — the 'L' suffix is Python 2's long.
        var labels = Npy.Read(SharedData.Path("lrp_toolbox", "data_MNIST_test_labels.npy"));
        Assert.Equal([10000, 1], labels.Shape.ToArray());
        Assert.All(labels.Data, v => Assert.InRange(v, 0, 9));
        Assert.Equal(7f, labels.Data[0]);
        Assert.Equal(2f, labels.Data[1]);
    }

    [Theory]
    [InlineData(new[] { 5 })]
    [InlineData(new[] { 1, 3, 4, 4 })]
    [InlineData(new[] { 2, 1 })]
    public void Writes_what_it_reads(int[] shape)
    {
        var count = shape.Aggregate(1, (a, d) => a * d);
        var data = Enumerable.Range(0, count).Select(i => i * 0.25f - 1).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"npy-{Guid.NewGuid():N}.npy");
        Npy.Write(path, shape, data);
        var back = Npy.Read(path);
        File.Delete(path);
        Assert.Equal(shape, back.Shape.ToArray());
        Assert.Equal(data, back.Data.ToArray());
        Assert.Equal("<f4", back.DType);
    }

    [Fact]
    public void Versions_2_and_3_uint8_and_big_endian_are_read()
    {
        static byte[] File(byte major, string header, byte[] data)
        {
            var h = System.Text.Encoding.ASCII.GetBytes(header);
            var preamble = major == 1 ? 10 : 12;
            var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
            bytes.AddRange(major == 1 ? BitConverter.GetBytes((ushort)h.Length) : BitConverter.GetBytes((uint)h.Length));
            bytes.AddRange(h);
            bytes.AddRange(data);
            Assert.Equal(preamble + h.Length + data.Length, bytes.Count);
            return [.. bytes];
        }
        var u8 = Npy.Read(File(2, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }\n", [0, 128, 255]));
        Assert.Equal([0f, 128f, 255f], u8.Data.ToArray());
        var be = Npy.Read(File(3, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", [0x3f, 0x80, 0, 0]));
        Assert.Equal(1f, be.Data[0]);
        Assert.Throws<NpyFormatException>(() => Npy.Read(File(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", [0, 0, 128, 63])));
        Assert.Throws<NpyFormatException>(() => Npy.Read(File(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }\n", [0, 0])));
        Assert.Throws<NpyFormatException>(() => Npy.Read(File(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", [0, 0, 128, 63])));
    }
}
