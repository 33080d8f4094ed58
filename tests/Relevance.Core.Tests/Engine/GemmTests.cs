using Relevance.Engine;

namespace Relevance.Tests.Engine;

public class GemmTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(4, 3, 32)]
    [InlineData(9, 17, 33)]
    [InlineData(64, 75, 129)]
    [InlineData(130, 300, 1000)]
    [InlineData(5, 40, 1)]
    [InlineData(261, 500, 49)]
    [InlineData(7, 2000, 70)]
    public void Matches_the_naive_product_in_double_precision(int m, int k, int n)
    {
        var rng = new Random(m * 1000 + k * 10 + n);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var c = Enumerable.Range(0, m * n).Select(_ => 1f).ToArray();
        Gemm.Multiply(a, b, c, m, k, n, accumulate: true);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var expected = 1.0;
                var magnitude = 1.0;
                for (var t = 0; t < k; t++)
                {
                    expected += (double)a[i * k + t] * b[t * n + j];
                    magnitude += Math.Abs((double)a[i * k + t] * b[t * n + j]);
                }
                // float32 accumulation over k terms: the error is at most k·u·Σ|a_t b_t| with u = 6e-8.
                Assert.True(Math.Abs(c[i * n + j] - expected) <= k * 6e-8 * magnitude + 1e-6, $"C[{i},{j}] = {c[i * n + j]}, expected {expected}");
            }
    }
}

public class TransposedVectorTests
{
    [Theory]
    [InlineData(3, 5)]
    [InlineData(700, 2000)]
    public void Matches_the_naive_transposed_product(int m, int k)
    {
        var rng = new Random(m + k);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var s = Enumerable.Range(0, m).Select(j => j % 3 == 0 ? 0f : (float)rng.NextDouble()).ToArray();
        var c = Enumerable.Repeat(5f, k).ToArray();
        Relevance.Engine.Gemm.TransposedVector(a, s, c, m, k);
        for (var i = 0; i < k; i++)
        {
            var expected = Enumerable.Range(0, m).Sum(j => (double)a[j * k + i] * s[j]);
            // m float products per entry: within m·u·Σ|a s| (u = 6e-8), plus a margin for the order of additions.
            Assert.True(Math.Abs(c[i] - expected) <= m * 6e-8 * Enumerable.Range(0, m).Sum(j => Math.Abs((double)a[j * k + i] * s[j])) + 1e-6);
        }
    }
}
