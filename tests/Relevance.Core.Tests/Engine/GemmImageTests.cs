using Relevance.Engine;

namespace Relevance.Tests.Engine;

/// <summary>The panel-by-panel image products against the explicit route: im2col, the plain product, col2im.</summary>
public class GemmImageTests
{
    // (Cin, H, W, Cout, kernel, stride, pad, dilation): odd sizes with ragged panels, strides above 1, two above the size
    // at which the products split across cores, short rows, and dilated taps (one of them split across cores).
    public static TheoryData<int, int, int, int, int, int, int, int> Geometries => new()
    {
        { 1, 5, 7, 3, 3, 1, 1, 1 },
        { 3, 11, 13, 5, 5, 2, 2, 1 },
        { 2, 23, 23, 4, 11, 4, 2, 1 },
        { 4, 9, 9, 8, 3, 1, 0, 1 },
        { 16, 40, 37, 24, 3, 1, 1, 1 },
        { 8, 33, 33, 40, 5, 2, 2, 1 },
        // Unit-stride output rows 8, 14, 16 and 22 wide: im2col and col2im move them as two overlapping vectors.
        { 1, 8, 10, 2, 3, 1, 0, 1 },
        { 3, 12, 14, 5, 3, 1, 1, 1 },
        { 2, 16, 16, 3, 3, 1, 1, 1 },
        { 2, 20, 22, 3, 5, 1, 2, 1 },
        { 3, 13, 11, 4, 3, 1, 2, 2 },
        { 5, 17, 19, 6, 3, 2, 3, 3 },
        { 16, 40, 37, 24, 3, 1, 4, 4 },
    };

    private static Geometry Make(int cin, int h, int w, int cout, int kernel, int stride, int pad, int dilation)
    {
        var extent = (kernel - 1) * dilation + 1;
        return new(cin, h, w, cout, kernel, kernel, stride, pad, pad, (h + 2 * pad - extent) / stride + 1, (w + 2 * pad - extent) / stride + 1, dilation);
    }

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
    public void MultiplyImage_is_the_product_with_the_im2col_matrix(int cin, int h, int w, int cout, int kernel, int stride, int pad, int dilation)
    {
        var g = Make(cin, h, w, cout, kernel, stride, pad, dilation);
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

    // im2col itself, entry by entry from its definition: col[(c, ky, kx), (oy, ox)] = x[c, oy·s − p + ky·d, ox·s − p + kx·d],
    // zero outside the image.
    [Theory]
    [MemberData(nameof(Geometries))]
    public void Im2Col_reads_each_tap_where_its_definition_says(int cin, int h, int w, int cout, int kernel, int stride, int pad, int dilation)
    {
        var g = Make(cin, h, w, cout, kernel, stride, pad, dilation);
        var x = Random(g.InputSize, 6);
        var col = Enumerable.Repeat(float.NaN, g.K * g.P).ToArray();
        g.Im2Col(x, col);
        for (var c = 0; c < cin; c++)
            for (var ky = 0; ky < kernel; ky++)
                for (var kx = 0; kx < kernel; kx++)
                    for (var oy = 0; oy < g.OutHeight; oy++)
                        for (var ox = 0; ox < g.OutWidth; ox++)
                        {
                            var (iy, ix) = (oy * stride - pad + ky * dilation, ox * stride - pad + kx * dilation);
                            var expected = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0f : x[(c * h + iy) * w + ix];
                            Assert.Equal(expected, col[((c * kernel + ky) * kernel + kx) * g.P + oy * g.OutWidth + ox]);
                        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MultiplyIntoImage_is_col2im_of_the_transposed_product(int cin, int h, int w, int cout, int kernel, int stride, int pad, int dilation)
    {
        var g = Make(cin, h, w, cout, kernel, stride, pad, dilation);
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
