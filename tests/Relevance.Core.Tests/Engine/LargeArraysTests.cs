using Relevance.Engine;

namespace Relevance.Tests.Engine;

/// <summary>Large arrays advised for huge pages are what <c>new float[n]</c> would be: zeroed when asked, whatever memory the
/// runtime hands back.</summary>
public class LargeArraysTests
{
    [Fact]
    public void Zeroed_arrays_are_zero_even_where_the_runtime_reuses_written_memory()
    {
        const int length = 3 << 20; // 12 MiB of floats: advised, and on the large object heap
        for (var round = 0; round < 4; round++)
        {
            // Garbage left where the next allocation may land: the runtime reuses the large object heap's freed ranges.
            var written = LargeArrays.Uninitialized<float>(length);
            Array.Fill(written, float.NaN);
            GC.KeepAlive(written);
            written = null;
            GC.Collect();
            var zeroed = LargeArrays.Zeroed<float>(length);
            Assert.Equal(length, zeroed.Length);
            Assert.Equal(-1, Array.FindIndex(zeroed, v => v != 0f));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 3)]
    public void Arrays_have_the_length_asked_for(int length)
    {
        Assert.Equal(length, LargeArrays.Uninitialized<float>(length).Length);
        Assert.Equal(length, LargeArrays.Zeroed<double>(length).Length);
        Assert.True(Array.TrueForAll(LargeArrays.Zeroed<float>(length), v => v == 0f));
    }
}
