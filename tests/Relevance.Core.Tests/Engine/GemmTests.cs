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
        var (a, b) = Operands(m, k, n);
        var c = Enumerable.Range(0, m * n).Select(_ => 1f).ToArray();
        Gemm.Multiply(a, b, c, m, k, n, accumulate: true);
        AssertProduct(a, b, c, m, k, n, 1);
        // Without accumulation every entry is written, whatever C held (NaN would survive any entry left out).
        Array.Fill(c, float.NaN);
        Gemm.Multiply(a, b, c, m, k, n);
        AssertProduct(a, b, c, m, k, n, 0);
    }

    // A matrix kept for many products gives the same product in each of its layouts (interleaved, read row-major as
    // stored, read as the transpose of a stored matrix), serial or split across cores (by panels, and by rows when there
    // are few), for whole 8-row tiles with and without a remainder of rows and a ragged last panel. The last three are
    // past the size a transposed matrix is multiplied a block at a time from: ragged depth and row blocks, a group of
    // panels and a remainder, split by panels across cores.
    [Theory]
    [InlineData(8, 33, 64, false)]
    [InlineData(13, 17, 33, false)]
    [InlineData(130, 300, 1000, true)]
    [InlineData(261, 500, 49, true)]
    [InlineData(1027, 300, 20, true)]
    [InlineData(300, 700, 100, false)]
    [InlineData(264, 600, 300, false)]
    [InlineData(600, 520, 230, true)]
    public void A_matrix_kept_in_any_layout_gives_the_same_product(int m, int k, int n, bool parallel)
    {
        var (a, b) = Operands(m, k, n);
        var stored = Relevance.Kernels.Weights.Transpose(a, m, k);
        foreach (var kept in new[] { PackedMatrix.Of(a, m, k), PackedMatrix.RowMajor(a, m, k), PackedMatrix.Transposed(stored, k, m) })
        {
            Assert.Equal((m, k), (kept.Rows, kept.Columns));
            var c = Enumerable.Range(0, m * n).Select(_ => 1f).ToArray();
            Gemm.Multiply(kept, b, c, n, accumulate: true, parallel);
            AssertProduct(a, b, c, m, k, n, 1);
            Array.Fill(c, float.NaN);
            Gemm.Multiply(kept, b, c, n, accumulate: false, parallel);
            AssertProduct(a, b, c, m, k, n, 0);
        }
    }

    // The first rows of a row-major matrix multiply on their own, any number of them; of an interleaved one, whole tiles;
    // of a transposed one, all or none (its rows are not a prefix of its storage).
    [Fact]
    public void Only_a_layouts_own_prefixes_of_rows_multiply()
    {
        var (a, b) = Operands(20, 9, 40);
        var c = new float[20 * 40];
        Gemm.Multiply(PackedMatrix.RowMajor(a, 20, 9), 13, b, c, 40, accumulate: false, parallel: false);
        AssertProduct(a, b, c.AsSpan(0, 13 * 40).ToArray(), 13, 9, 40, 0);
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(PackedMatrix.Of(a, 20, 9), 13, b, c, 40, accumulate: false, parallel: false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(PackedMatrix.Transposed(Relevance.Kernels.Weights.Transpose(a, 20, 9), 9, 20), 8, b, c, 40,
            accumulate: false, parallel: false));
    }

    // Every row remainder (1–3 after blocks of 4), column counts below one vector, exactly one, ragged past two, and
    // wide; on a machine without AVX-512 the same call takes the packed route and must agree too.
    [Theory]
    [InlineData(1, 1, 16)]
    [InlineData(2, 6, 784)]
    [InlineData(3, 25, 17)]
    [InlineData(4, 5, 32)]
    [InlineData(6, 25, 784)]
    [InlineData(7, 150, 100)]
    [InlineData(25, 6, 47)]
    [InlineData(5, 3, 9)]
    [InlineData(0, 3, 20)]
    public void The_unpacked_product_matches_the_naive_one(int m, int k, int n)
    {
        var (a, b) = Operands(m, k, n);
        var c = Enumerable.Range(0, m * n).Select(_ => float.NaN).ToArray();
        Gemm.MultiplyUnpacked(a, b, c, m, k, n);
        AssertProduct(a, b, c, m, k, n, 0);
    }

    // Accumulating into C, split across cores by column blocks: ragged tails of 8 and 20 columns (one masked vector, and a
    // vector plus a masked one) after whole blocks on both workers.
    [Theory]
    [InlineData(27, 64, 200)]
    [InlineData(6, 27, 5012)]
    [InlineData(64, 27, 3000)]
    public void The_unpacked_product_accumulates_and_splits_across_cores(int m, int k, int n)
    {
        var (a, b) = Operands(m, k, n);
        var c = Enumerable.Range(0, m * n).Select(_ => 1f).ToArray();
        Gemm.MultiplyUnpacked(a, b, c, m, k, n, accumulate: true, parallel: true);
        AssertProduct(a, b, c, m, k, n, 1);
    }

    private static (float[] A, float[] B) Operands(int m, int k, int n)
    {
        var rng = new Random(m * 1000 + k * 10 + n);
        return ([.. Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() * 2 - 1))],
            [.. Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() * 2 - 1))]);
    }

    private static void AssertProduct(float[] a, float[] b, float[] c, int m, int k, int n, double start)
    {
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var expected = start;
                var magnitude = start;
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

public class InputMajorTests
{
    // A small product, and one above the size at which the products split across cores.
    [Theory]
    [InlineData(5, 3)]
    [InlineData(1100, 1000)]
    public void Accumulate_matches_the_naive_product_and_skips_only_zero_inputs(int k, int m)
    {
        var rng = new Random(k + m);
        var vt = Enumerable.Range(0, k * m).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var a = Enumerable.Range(0, k).Select(i => i % 3 == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var z = Enumerable.Repeat(5f, m).ToArray();
        Relevance.Engine.InputMajor.Accumulate(a, vt, z, k, m);
        for (var j = 0; j < m; j++)
        {
            var terms = Enumerable.Range(0, k).Select(i => (double)a[i] * vt[i * m + j]).ToArray();
            // k float products per entry: within k·u·Σ|a v| (u = 6e-8), plus a margin for the order of additions.
            Assert.True(Math.Abs(z[j] - (5 + terms.Sum())) <= k * 6e-8 * (5 + terms.Sum(Math.Abs)) + 1e-6, $"z[{j}] = {z[j]}, expected {5 + terms.Sum()}");
        }
    }

    // The paired sum adds a ⊙ max(0, v) into the second vector in the same read: whole vectors of 16 columns, a ragged
    // tail (37 = 2·16 + 5), and a matrix large enough to be split across cores.
    [Theory]
    [InlineData(5, 3)]
    [InlineData(40, 37)]
    [InlineData(1100, 1000)]
    public void The_paired_accumulate_also_sums_the_positive_weights(int k, int m)
    {
        var rng = new Random(k * m);
        var vt = Enumerable.Range(0, k * m).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var a = Enumerable.Range(0, k).Select(i => i % 3 == 0 ? 0f : (float)rng.NextDouble()).ToArray();
        var (z, positive) = (Enumerable.Repeat(5f, m).ToArray(), Enumerable.Repeat(1f, m).ToArray());
        Relevance.Engine.InputMajor.Accumulate(a, vt, z, positive, k, m);
        for (var j = 0; j < m; j++)
        {
            var terms = Enumerable.Range(0, k).Select(i => (double)a[i] * vt[i * m + j]).ToArray();
            var plus = Enumerable.Range(0, k).Select(i => (double)a[i] * Math.Max(0, vt[i * m + j])).Sum();
            // As above: k float products per entry, within k·u·Σ|a v| (u = 6e-8).
            Assert.True(Math.Abs(z[j] - (5 + terms.Sum())) <= k * 6e-8 * (5 + terms.Sum(Math.Abs)) + 1e-6, $"z[{j}] = {z[j]}, expected {5 + terms.Sum()}");
            Assert.True(Math.Abs(positive[j] - (1 + plus)) <= k * 6e-8 * (1 + plus) + 1e-6, $"positive[{j}] = {positive[j]}, expected {1 + plus}");
        }
    }

    // Rows are summed four at a time: a row count that leaves a group of two, rows shorter than a vector, and a ragged last
    // vector (40 = 2·16 + 8, 1000 = 62·16 + 8).
    [Theory]
    [InlineData(5, 3)]
    [InlineData(6, 40)]
    [InlineData(1100, 1000)]
    public void Dots_are_the_transposed_product_and_zero_where_the_mask_is_zero(int k, int m)
    {
        var rng = new Random(k * m);
        var vt = Enumerable.Range(0, k * m).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var s = Enumerable.Range(0, m).Select(_ => (float)rng.NextDouble()).ToArray();
        var mask = Enumerable.Range(0, k).Select(i => i % 4 == 1 ? 0f : 1f).ToArray();
        var (masked, full) = (Enumerable.Repeat(7f, k).ToArray(), Enumerable.Repeat(7f, k).ToArray());
        Relevance.Engine.InputMajor.Dots(vt, s, mask, masked, k, m);
        Relevance.Engine.InputMajor.Dots(vt, s, default, full, k, m);
        for (var i = 0; i < k; i++)
        {
            var terms = Enumerable.Range(0, m).Select(j => (double)vt[i * m + j] * s[j]).ToArray();
            Assert.True(Math.Abs(full[i] - terms.Sum()) <= m * 6e-8 * terms.Sum(Math.Abs) + 1e-6, $"t[{i}] = {full[i]}, expected {terms.Sum()}");
            Assert.Equal(mask[i] == 0 ? 0f : full[i], masked[i]);
        }
    }

    // z⁺ on a fully connected layer reads W and takes max(0, w) as it goes (no W⁺ stored): its dot products are W⁺'s, to the
    // bit, in the vector kernel (the same sums of the same products), and its sum is the paired kernel's positive sum.
    [Theory]
    [InlineData(5, 3)]
    [InlineData(6, 40)]
    [InlineData(1100, 1000)]
    public void The_positive_part_read_from_W_is_W_plus_stored(int k, int m)
    {
        var rng = new Random(k + 3 * m);
        var vt = Enumerable.Range(0, k * m).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var plus = vt.Select(v => Math.Max(0f, v)).ToArray();
        var s = Enumerable.Range(0, m).Select(_ => (float)rng.NextDouble()).ToArray();
        var mask = Enumerable.Range(0, k).Select(i => i % 4 == 1 ? 0f : 1f).ToArray();
        var (streamed, stored) = (Enumerable.Repeat(7f, k).ToArray(), Enumerable.Repeat(7f, k).ToArray());
        Relevance.Engine.InputMajor.DotsOfPositivePart(vt, s, mask, streamed, k, m);
        Relevance.Engine.InputMajor.Dots(plus, s, mask, stored, k, m);
        for (var i = 0; i < k; i++)
        {
            var terms = Enumerable.Range(0, m).Select(j => (double)plus[i * m + j] * s[j]).ToArray();
            Assert.True(Math.Abs(streamed[i] - (mask[i] == 0 ? 0 : terms.Sum())) <= m * 6e-8 * terms.Sum() + 1e-6, $"t[{i}] = {streamed[i]}, expected {terms.Sum()}");
            if (m >= 16) Assert.Equal(stored[i], streamed[i]);
        }
        var a = Enumerable.Range(0, k).Select(i => i % 3 == 0 ? 0f : (float)rng.NextDouble()).ToArray();
        var (z, paired, discarded) = (Enumerable.Repeat(2f, m).ToArray(), Enumerable.Repeat(2f, m).ToArray(), new float[m]);
        Relevance.Engine.InputMajor.AccumulatePositivePart(a, vt, z, k, m);
        Relevance.Engine.InputMajor.Accumulate(a, vt, discarded, paired, k, m);
        Assert.Equal(paired, z);
        for (var j = 0; j < m; j++)
        {
            var sum = 2 + Enumerable.Range(0, k).Select(i => (double)a[i] * plus[i * m + j]).Sum();
            Assert.True(Math.Abs(z[j] - sum) <= k * 6e-8 * sum + 1e-6, $"z[{j}] = {z[j]}, expected {sum}");
        }
    }
}

public class WeightTransposeTests
{
    // Tiles of 32: a matrix smaller than one, one with ragged tiles on both sides, and a PyTorch classifier's shape whose
    // rows are a multiple of 4 KiB apart.
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(33, 70)]
    [InlineData(256, 1024)]
    public void Transpose_puts_every_entry_at_its_mirrored_place(int rows, int cols)
    {
        var a = Enumerable.Range(0, rows * cols).Select(i => (float)i).ToArray();
        var t = Relevance.Kernels.Weights.Transpose(a, rows, cols);
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++) Assert.Equal(a[r * cols + c], t[c * rows + r]);
    }

    [Fact]
    public void Transpose_refuses_a_matrix_larger_than_its_values()
    {
        Assert.Throws<ArgumentException>(() => Relevance.Kernels.Weights.Transpose(new float[5], 2, 3, new float[6]));
        Assert.Throws<ArgumentException>(() => Relevance.Kernels.Weights.Transpose(new float[6], 2, 3, new float[5]));
    }
}
