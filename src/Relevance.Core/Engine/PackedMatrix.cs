namespace Relevance.Engine;

/// <summary>A matrix [rows×columns] laid out once in the order <see cref="Gemm"/>'s kernel reads it, for a weight matrix that
/// takes part in many products, each of which would otherwise lay it out again.</summary>
/// <remarks>Whole 8-row tiles are interleaved so that a tile's 8 values of one column are consecutive; the last rows
/// (rows mod 8) follow as they are.</remarks>
internal sealed class PackedMatrix
{
    private PackedMatrix(float[] data, int rows, int columns) => (Data, Rows, Columns) = (data, rows, columns);

    internal float[] Data { get; }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    // Whether the first `rows` rows are a packed matrix of their own: all of them, or a whole number of 8-row tiles.
    internal bool HasPrefix(int rows) => rows == Rows || rows >= 0 && rows < Rows && rows % 8 == 0;

    /// <summary>Lays out the transpose [columns×rows] of the row-major matrix <paramref name="v"/> [rows×columns], with no
    /// transposed copy: a tile's 8 values of one column of vᵀ are 8 consecutive values of a row of v.</summary>
    public static PackedMatrix OfTransposed(ReadOnlySpan<float> v, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || v.Length < rows * columns)
            throw new ArgumentException($"PackedMatrix: {v.Length} values cannot be a [{rows}×{columns}] matrix.");
        var data = LargeArrays.Zeroed<float>(rows * columns);
        // vᵀ has `columns` rows of `rows` entries: tile q of vᵀ holds vᵀ[8q + r, t] = v[t, 8q + r] at 8q·rows + 8t + r.
        var tiled = columns / 8 * 8;
        for (var q = 0; q < tiled; q += 8)
            for (var t = 0; t < rows; t++) v.Slice(t * columns + q, 8).CopyTo(data.AsSpan(q * rows + 8 * t, 8));
        for (var i = tiled; i < columns; i++)
            for (var t = 0; t < rows; t++) data[i * rows + t] = v[t * columns + i];
        return new PackedMatrix(data, columns, rows);
    }

    /// <summary>Lays out the row-major matrix <paramref name="a"/> [rows×columns].</summary>
    public static PackedMatrix Of(ReadOnlySpan<float> a, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || a.Length < rows * columns)
            throw new ArgumentException($"PackedMatrix: {a.Length} values cannot be a [{rows}×{columns}] matrix.");
        var data = LargeArrays.Zeroed<float>(rows * columns);
        Gemm.PackRows(a, rows, columns, data);
        return new PackedMatrix(data, rows, columns);
    }
}
