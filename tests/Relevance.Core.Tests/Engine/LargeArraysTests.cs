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

    [Fact]
    public void Slices_are_zeroed_apart_and_each_at_a_multiple_of_64_bytes()
    {
        int[] lengths = [5, 0, 16, 1 << 20, 17, 1, (1 << 20) + 3];
        var slices = LargeArrays.Slices(lengths);
        Assert.Equal(lengths, slices.Select(s => s.Length));
        Assert.All(slices, s => Assert.True(s.Span.IndexOfAnyExcept(0f) < 0));
        // Each slice filled with its own number, then read back whole: no slice reaches into another.
        for (var i = 0; i < slices.Length; i++) slices[i].Span.Fill(i + 1);
        for (var i = 0; i < slices.Length; i++) Assert.True(slices[i].Span.IndexOfAnyExcept(i + 1f) < 0, $"slice {i}");
        Assert.All(slices.Where(s => !s.IsEmpty), s =>
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<float>(s, out var segment));
            Assert.Equal(0, segment.Offset % 16);
        });
    }
}
