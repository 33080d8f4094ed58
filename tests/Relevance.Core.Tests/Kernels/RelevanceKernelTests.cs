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

public class SparseBackPairTests
{
    // Input ranges through whole 64-wide blocks, 16-wide blocks and a scalar tail, from an unaligned start; a third of
    // the ratios are zero (their rows must not count) and one case has none active.
    [Theory]
    [InlineData(150, 40, 0, 150)]
    [InlineData(1568, 400, 784, 1568)]
    [InlineData(97, 7, 5, 90)]
    [InlineData(64, 3, 0, 64)]
    public void Equals_the_dense_pair_over_the_active_outputs(int inputs, int outputs, int from, int to)
    {
        var rng = new Random(inputs + outputs);
        var w = Enumerable.Range(0, inputs * outputs).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var s = Enumerable.Range(0, outputs).Select(j => outputs == 3 || j % 3 == 1 ? 0f : (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var wt = Weights.Transpose(w, inputs, outputs);
        var (a, p) = (Enumerable.Repeat(float.NaN, inputs).ToArray(), Enumerable.Repeat(float.NaN, inputs).ToArray());
        DenseKernel.SparseBackPair(wt, s, a, p, inputs, outputs, from, to);
        for (var i = 0; i < inputs; i++)
        {
            if (i < from || i >= to)
            {
                Assert.True(float.IsNaN(a[i]) && float.IsNaN(p[i]), $"input {i} is outside [{from}, {to}) but was written");
                continue;
            }
            var (ea, ep, magnitude) = (0.0, 0.0, 0.0);
            for (var j = 0; j < outputs; j++)
            {
                var (wij, sj) = ((double)w[i * outputs + j], (double)s[j]);
                (ea, ep, magnitude) = (ea + wij * sj, ep + Math.Max(0, wij) * sj, magnitude + Math.Abs(wij * sj));
            }
            // A float32 sum of `outputs` products, in any order: within outputs · u · Σ|w s| (u = 6e-8).
            var bound = outputs * 6e-8 * magnitude + 1e-7;
            Assert.True(Math.Abs(a[i] - ea) <= bound && Math.Abs(p[i] - ep) <= bound, $"input {i}: ({a[i]}, {p[i]}), expected ({ea}, {ep})");
        }
    }
}
