using Relevance.Kernels;

namespace Relevance.Tests.Kernels;

/// <summary>The generated code's pooling against window-by-window loops: the unrolled 2×2 windows (as vectors of 16 windows
/// on a 71-wide plane, with a scalar tail) and the general ones, overlapping (3×3, stride 2) and with rows or columns the
/// windows do not reach.</summary>
public class PoolKernelTests
{
    [Theory]
    [InlineData(2, 2, 2, 8, 9)]
    [InlineData(2, 2, 2, 6, 71)]
    [InlineData(3, 2, 3, 9, 8)]
    [InlineData(3, 3, 1, 10, 7)]
    public void Forward_and_proportional_relevance_match_the_window_loops(int size, int stride, int channels, int height, int width)
    {
        var (oh, ow) = ((height - size) / stride + 1, (width - size) / stride + 1);
        var rng = new Random(size * 100 + stride * 10 + channels);
        // Post-ReLU inputs: about a third zeros, so some windows sum to 0.
        var x = Enumerable.Range(0, channels * height * width).Select(_ => rng.NextDouble() < 0.35 ? 0f : (float)rng.NextDouble()).ToArray();
        var upper = Enumerable.Range(0, channels * oh * ow).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        foreach (var (max, scale) in new[] { (true, 1f), (false, 1f), (false, 0.25f) })
        {
            var y = new float[upper.Length];
            PoolKernel.Forward(x, y, channels, height, width, oh, ow, stride, size, max, scale);
            var expected = Windows(channels, oh, ow).Select(win => Taps(win, size, stride, height, width).Select(i => x[i]).Aggregate(max ? float.NegativeInfinity : 0f, (m, v) => max ? Math.Max(m, v) : m + v) * scale).ToArray();
            // A maximum is exact; a sum of four float32 values of order 1, added in another order by the vector route, is
            // within 4 units in the last place (2e-6).
            for (var o = 0; o < y.Length; o++) Assert.True(max ? y[o] == expected[o] : Math.Abs(y[o] - expected[o]) <= 2e-6, $"y[{o}] = {y[o]}, expected {expected[o]}");
        }
        var lower = Enumerable.Repeat(1f, x.Length).ToArray();
        PoolKernel.Proportional(x, upper, lower, channels, height, width, oh, ow, stride, size);
        var naive = Enumerable.Repeat(1.0, x.Length).ToArray();
        foreach (var (win, o) in Windows(channels, oh, ow).Select((win, o) => (win, o)))
        {
            var taps = Taps(win, size, stride, height, width).ToArray();
            var total = taps.Sum(i => (double)x[i]);
            if (total == 0) continue;
            foreach (var i in taps) naive[i] += x[i] / total * upper[o];
        }
        // Each entry gathers at most 4 window shares of float32 ratios: within 1e-5 of the double computation.
        for (var i = 0; i < x.Length; i++) Assert.True(Math.Abs(lower[i] - naive[i]) < 1e-5, $"lower[{i}] = {lower[i]}, expected {naive[i]}");
    }

    [Fact]
    public void A_window_outside_the_plane_is_refused()
    {
        var x = new float[16];
        var y = new float[4];
        Assert.Throws<ArgumentException>(() => PoolKernel.Forward(x, y, 1, 4, 4, 2, 2, 2, 3, true, 1f));
        Assert.Throws<ArgumentException>(() => PoolKernel.Proportional(x, y, new float[15], 1, 4, 4, 2, 2, 2, 2));
    }

    private static IEnumerable<(int Ch, int Oy, int Ox)> Windows(int channels, int oh, int ow) =>
        from ch in Enumerable.Range(0, channels) from oy in Enumerable.Range(0, oh) from ox in Enumerable.Range(0, ow) select (ch, oy, ox);

    private static IEnumerable<int> Taps((int Ch, int Oy, int Ox) win, int size, int stride, int height, int width) =>
        from ky in Enumerable.Range(0, size) from kx in Enumerable.Range(0, size)
        select (win.Ch * height + win.Oy * stride + ky) * width + win.Ox * stride + kx;
}
