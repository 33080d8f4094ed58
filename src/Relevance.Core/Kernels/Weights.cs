namespace Relevance.Kernels;

/// <summary>Weight-only matrices a rule needs, computed once when weights are bound.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Weights
{
    /// <summary>w⁺ = max(0, w) element-wise.</summary>
    public static float[] Positive(ReadOnlySpan<float> w)
    {
        var p = Engine.LargeArrays.Uninitialized<float>(w.Length);
        System.Numerics.Tensors.TensorPrimitives.Max(w, 0f, p);
        return p;
    }

    /// <summary>w² element-wise.</summary>
    public static float[] Square(ReadOnlySpan<float> w)
    {
        var p = Engine.LargeArrays.Uninitialized<float>(w.Length);
        System.Numerics.Tensors.TensorPrimitives.Multiply(w, w, p);
        return p;
    }

    /// <summary>f(w) element-wise (e.g. the z^B bound terms l·w⁺ + h·w⁻).</summary>
    public static float[] Map(ReadOnlySpan<float> w, Func<float, float> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var p = Engine.LargeArrays.Uninitialized<float>(w.Length);
        for (var i = 0; i < w.Length; i++) p[i] = f(w[i]);
        return p;
    }

    /// <summary>All ones, the "weights" of the flat rule.</summary>
    public static float[] Ones(int length)
    {
        var p = Engine.LargeArrays.Uninitialized<float>(length);
        p.AsSpan().Fill(1);
        return p;
    }

    /// <summary>The transpose of a row-major [rows × cols] matrix.</summary>
    public static float[] Transpose(ReadOnlySpan<float> a, int rows, int cols)
    {
        var t = Engine.LargeArrays.Uninitialized<float>(rows * cols);
        Transpose(a, rows, cols, t);
        return t;
    }

    /// <summary>Writes the transpose [cols × rows] of a row-major [rows × cols] matrix into <paramref name="into"/>.</summary>
    public static void Transpose(ReadOnlySpan<float> a, int rows, int cols, Span<float> into) => TransposeInto(a, rows, cols, into);

    /// <summary>Writes the transpose [cols × rows] of a row-major [rows × cols] matrix of any element type into <paramref name="into"/>.</summary>
    public static void TransposeInto<T>(ReadOnlySpan<T> a, int rows, int cols, Span<T> into) where T : unmanaged
    {
        var count = (long)rows * cols;
        if (rows < 0 || cols < 0 || a.Length < count || into.Length < count)
            throw new ArgumentException($"Transpose: a [{rows}×{cols}] matrix needs {count} values and as many places, got {a.Length} and {into.Length}.");
        // In 32 × 32 tiles through a small buffer, so that both matrices are read and written along whole cache lines: a large
        // matrix's rows are often a multiple of 4 KiB apart, where lines kept across a tile would evict each other.
        const int Tile = 32;
        Span<T> tile = stackalloc T[Tile * Tile];
        for (var r0 = 0; r0 < rows; r0 += Tile)
        {
            var height = Math.Min(rows, r0 + Tile) - r0;
            for (var c0 = 0; c0 < cols; c0 += Tile)
            {
                var width = Math.Min(cols, c0 + Tile) - c0;
                for (var r = 0; r < height; r++)
                {
                    var row = a.Slice((r0 + r) * cols + c0, width);
                    for (var c = 0; c < row.Length; c++) tile[c * Tile + r] = row[c];
                }
                for (var c = 0; c < width; c++) tile.Slice(c * Tile, height).CopyTo(into.Slice((c0 + c) * rows + r0, height));
            }
        }
    }

    /// <summary>Two row-major [rows × cols] matrices side by side, [rows × 2·cols]: row r is a's row r, then b's.</summary>
    public static float[] SideBySide(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rows, int cols)
    {
        if (a.Length != rows * cols || b.Length != rows * cols)
            throw new ArgumentException($"SideBySide: two [{rows}×{cols}] matrices need {rows * cols} values each, got {a.Length} and {b.Length}.");
        var s = Engine.LargeArrays.Uninitialized<float>(2 * rows * cols);
        for (var r = 0; r < rows; r++)
        {
            a.Slice(r * cols, cols).CopyTo(s.AsSpan(2 * r * cols, cols));
            b.Slice(r * cols, cols).CopyTo(s.AsSpan((2 * r + 1) * cols, cols));
        }
        return s;
    }

    /// <summary>A bound layer's parameters, checked: lengths, the weights' dimensions when they were given, finiteness and the declared bias constraint.</summary>
    /// <param name="layer">The layer's name, for messages.</param>
    /// <param name="p">The parameters given.</param>
    /// <param name="weights">The declared number of weights.</param>
    /// <param name="bias">The declared number of biases.</param>
    /// <param name="constraint">The declared bias constraint.</param>
    /// <param name="dims">The declared weight dimensions: Dense [inputs, outputs], Conv2d [out, in, kh, kw].</param>
    /// <exception cref="ArgumentException">A length or dimension differs from the declaration, a value is NaN/∞, or the bias breaks its constraint.</exception>
    public static LayerParameters Check(string layer, LayerParameters p, int weights, int bias, Declarations.BiasConstraint constraint, ReadOnlySpan<int> dims = default)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(p.Weights);
        ArgumentNullException.ThrowIfNull(p.Bias);
        if (!p.Dims.IsDefaultOrEmpty && !dims.IsEmpty && !p.Dims.AsSpan().SequenceEqual(dims))
            throw new ArgumentException($"Layer '{layer}': the declaration needs weights of dimensions [{string.Join("×", dims.ToArray())}], got [{string.Join("×", p.Dims)}]"
                + (p.Dims.Length == 2 && dims.Length == 2 && p.Dims[0] == dims[1] && p.Dims[1] == dims[0] ? " (transposed: give WeightLayout.OutputsByInputs for [out, in] matrices)." : "."));
        if (p.Weights.Length != weights)
            throw new ArgumentException($"Layer '{layer}': the declaration needs {weights} weights, got {p.Weights.Length}.");
        var expectedBias = constraint == Declarations.BiasConstraint.None ? 0 : bias;
        if (p.Bias.Length != expectedBias && !(constraint == Declarations.BiasConstraint.None && p.Bias.All(b => b == 0)))
            throw new ArgumentException($"Layer '{layer}': the declaration needs {expectedBias} biases, got {p.Bias.Length}.");
        for (var i = 0; i < p.Weights.Length; i++)
            if (!float.IsFinite(p.Weights[i])) throw new ArgumentException($"Layer '{layer}': weight {i} is {p.Weights[i]}.");
        for (var j = 0; j < p.Bias.Length; j++)
        {
            if (!float.IsFinite(p.Bias[j])) throw new ArgumentException($"Layer '{layer}': bias {j} is {p.Bias[j]}.");
            if (constraint == Declarations.BiasConstraint.NonPositive && p.Bias[j] > 0)
                throw new ArgumentException($"Layer '{layer}': bias {j} is {p.Bias[j]}, but the layer is declared with non-positive biases.");
        }
        var b = new float[bias];
        if (expectedBias == bias) p.Bias.CopyTo(b, 0);
        return new LayerParameters([.. p.Weights], b);
    }
}
