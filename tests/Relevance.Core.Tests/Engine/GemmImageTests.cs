using Relevance.Engine;

namespace Relevance.Tests.Engine;

/// <summary>The panel-by-panel image products against the explicit route: im2col, the plain product, col2im.</summary>
public class GemmImageTests
{
    // (Cin, H, W, Cout, kernel, stride, pad): odd sizes with ragged panels, strides above 1, two above the size at
    // which the products split across cores, and short rows.
    public static TheoryData<int, int, int, int, int, int, int> Geometries => new()
    {
        { 1, 5, 7, 3, 3, 1, 1 },
        { 3, 11, 13, 5, 5, 2, 2 },
        { 2, 23, 23, 4, 11, 4, 2 },
        { 4, 9, 9, 8, 3, 1, 0 },
        { 16, 40, 37, 24, 3, 1, 1 },
        { 8, 33, 33, 40, 5, 2, 2 },
        // Unit-stride output rows 8, 14, 16 and 22 wide: im2col and col2im move them as two overlapping vectors.
        { 1, 8, 10, 2, 3, 1, 0 },
        { 3, 12, 14, 5, 3, 1, 1 },
        { 2, 16, 16, 3, 3, 1, 1 },
        { 2, 20, 22, 3, 5, 1, 2 },
    };

    private static Geometry Make(int cin, int h, int w, int cout, int kernel, int stride, int pad) =>
        new(cin, h, w, cout, kernel, kernel, stride, pad, pad, (h + 2 * pad - kernel) / stride + 1, (w + 2 * pad - kernel) / stride + 1);

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
    }

    // Both routes sum the same K (or M) float products per entry in different orders: within n·u·Σ|terms| with u = 6e-8,
    // bounded here by n·u·(max magnitude).
    private static void Close(float[] expected, float[] actual, int terms)
    {
        var scale = expected.Select(Math.Abs).Append(1f).Max();
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= terms * 6e-8 * scale * 8, $"[{i}]: {actual[i]}, expected {expected[i]}");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MultiplyImage_is_the_product_with_the_im2col_matrix(int cin, int h, int w, int cout, int kernel, int stride, int pad)
    {
        var g = Make(cin, h, w, cout, kernel, stride, pad);
        var (a, x) = (Random(g.M * g.K, 1), Random(g.InputSize, 2));
        var col = new float[g.K * g.P];
        g.Im2Col(x, col);
        var expected = Enumerable.Repeat(0.5f, g.M * g.P).ToArray();
        Gemm.Multiply(a, col, expected, g.M, g.K, g.P, accumulate: true);
        var actual = Enumerable.Repeat(0.5f, g.M * g.P).ToArray();
        Gemm.MultiplyImage(a, x, g, actual, accumulate: true);
        Close(expected, actual, g.K);
        var packed = Enumerable.Repeat(0.5f, g.M * g.P).ToArray();
        Gemm.MultiplyImage(PackedMatrix.Of(a, g.M, g.K), x, g, packed, accumulate: true);
        Close(expected, packed, g.K);
        // Written, not added, without accumulation: NaN in C would survive any entry left out.
        var written = Enumerable.Repeat(float.NaN, g.M * g.P).ToArray();
        Gemm.MultiplyImage(PackedMatrix.Of(a, g.M, g.K), x, g, written, accumulate: false);
        Close([.. expected.Select(v => v - 0.5f)], written, g.K);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MultiplyIntoImage_is_col2im_of_the_transposed_product(int cin, int h, int w, int cout, int kernel, int stride, int pad)
    {
        var g = Make(cin, h, w, cout, kernel, stride, pad);
        var (vt, s) = (Random(g.K * g.M, 3), Random(g.M * g.P, 4));
        var col = new float[g.K * g.P];
        Gemm.Multiply(vt, s, col, g.K, g.M, g.P);
        var expected = Random(g.InputSize, 5);
        var actual = (float[])expected.Clone();
        g.Col2ImAdd(col, expected);
        Gemm.MultiplyIntoImage(vt, s, g, actual);
        Close(expected, actual, g.M * kernel * kernel);
    }
}
