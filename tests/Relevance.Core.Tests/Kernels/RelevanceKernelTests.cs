using Relevance.Kernels;

namespace Relevance.Tests.Kernels;

public class RelevanceKernelTests
{
    // Lengths below, at and past a vector's width, so both the vector body and the scalar tail run.
    [Theory]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(37)]
    public void Ratios_divide_and_send_nothing_through_a_zero_denominator(int n)
    {
        var upper = Enumerable.Range(0, n).Select(j => j % 4 == 0 ? 0f : j - n / 2f).ToArray();
        var d = Enumerable.Range(0, n).Select(j => j % 3 == 0 ? (j % 2 == 0 ? 0f : -0f) : 0.25f * (j + 1)).ToArray();
        var expected = d.Select((v, j) => v == 0 ? 0f : upper[j] / v).ToArray();
        RelevanceKernel.Ratios(upper, d);
        Assert.Equal(expected, d);
        Assert.All(d, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(7, false)]
    [InlineData(40, false)]
    [InlineData(40, true)]
    public void Box_shares_are_x_w_minus_l_w_plus_minus_h_w_minus(int n, bool accumulate)
    {
        var rng = new Random(n);
        float Next() => (float)(rng.NextDouble() * 2 - 1);
        var (low, high) = (-0.5f, 1.5f);
        var x = Enumerable.Range(0, n).Select(_ => low + 2 * (Next() + 1) / 2).ToArray();
        // One input, one output with weight w and ratio s: t = w s, u = w⁺ s.
        var w = Enumerable.Range(0, n).Select(_ => Next()).ToArray();
        var s = Enumerable.Range(0, n).Select(_ => Next()).ToArray();
        var t = w.Select((v, i) => v * s[i]).ToArray();
        var u = w.Select((v, i) => Math.Max(v, 0) * s[i]).ToArray();
        var into = Enumerable.Range(0, n).Select(_ => accumulate ? 3f : float.NaN).ToArray();
        RelevanceKernel.BoxShares(x, t, u, low, high, into, accumulate);
        for (var i = 0; i < n; i++)
        {
            double wi = w[i], plus = Math.Max(wi, 0), minus = Math.Min(wi, 0);
            var expected = (accumulate ? 3 : 0) + (x[i] * wi - low * plus - high * minus) * s[i];
            // A handful of float32 operations on values of order 1: within 1e-5.
            Assert.True(Math.Abs(into[i] - expected) < 1e-5, $"share {i} = {into[i]}, expected {expected}");
        }
    }
}
