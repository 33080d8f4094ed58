using Relevance.IO;

namespace Relevance.IntegrationTests;

public class NpyTests
{
    [Fact]
    public void Reads_a_numpy_v1_file_written_by_python_2()
    {
        // NumPy under Python 2 wrote its shape with 'L' suffixes (long): (10000L, 1L), here float64 labels as the LRP toolbox ships them.
        var labels = Npy.Read(NpyFiles.PythonTwoLabels());
        Assert.Equal([10000, 1], labels.Shape.ToArray());
        Assert.Equal("<f8", labels.DType);
        Assert.Equal(Enumerable.Range(0, 10000).Select(i => (float)(i * 7 % 10)), labels.Data.ToArray());
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
        var u8 = Npy.Read(NpyFiles.Bytes(2, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }\n", [0, 128, 255]));
        Assert.Equal([0f, 128f, 255f], u8.Data.ToArray());
        var be = Npy.Read(NpyFiles.Bytes(3, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", [0x3f, 0x80, 0, 0]));
        Assert.Equal(1f, be.Data[0]);
        Assert.Throws<NpyFormatException>(() => Npy.Read(NpyFiles.Bytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", [0, 0, 128, 63])));
        Assert.Throws<NpyFormatException>(() => Npy.Read(NpyFiles.Bytes(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }\n", [0, 0])));
        Assert.Throws<NpyFormatException>(() => Npy.Read(NpyFiles.Bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", [0, 0, 128, 63])));
    }
}
