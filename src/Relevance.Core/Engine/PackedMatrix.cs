namespace Relevance.Engine;

/// <summary>A weight matrix [rows×columns] that takes part in many products, held the way <see cref="Gemm"/>'s kernel reads
/// it: laid out once (<see cref="Of"/>), or read where it is stored, row-major or as a stored matrix's transpose.</summary>
/// <remarks>Laid out, whole 8-row tiles are interleaved so that a tile's 8 values of one column are consecutive; the last
/// rows (rows mod 8) follow as they are. Read where it is stored, it costs no memory beside the matrix it is read from.</remarks>
internal sealed class PackedMatrix
{
    private PackedMatrix(float[] data, int rows, int columns, Gemm.Layout layout = Gemm.Layout.Interleaved) =>
        (Data, Rows, Columns, Layout) = (data, rows, columns, layout);

    internal float[] Data { get; }

    /// <summary>How <see cref="Data"/> holds the matrix: interleaved (<see cref="Of"/>), or as it was given (<see cref="RowMajor"/>,
    /// <see cref="Transposed"/>).</summary>
    internal Gemm.Layout Layout { get; }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    // Whether the first `rows` rows are a packed matrix of their own: all of them, any number of a row-major matrix's, or a
    // whole number of 8-row tiles.
    internal bool HasPrefix(int rows) => rows == Rows || rows >= 0 && rows < Rows && (Layout == Gemm.Layout.RowMajor || Layout == Gemm.Layout.Interleaved && rows % 8 == 0);

    /// <summary>The row-major matrix <paramref name="a"/> [rows×columns] itself, read as it is stored: no copy.</summary>
    public static PackedMatrix RowMajor(float[] a, int rows, int columns)
    {
        CheckShape(a.Length, rows, columns);
        return new PackedMatrix(a, rows, columns, Gemm.Layout.RowMajor);
    }

    /// <summary>The transpose [columns×rows] of the row-major matrix <paramref name="v"/> [rows×columns], read from
    /// <paramref name="v"/> as it is stored: no copy.</summary>
    public static PackedMatrix Transposed(float[] v, int rows, int columns)
    {
        CheckShape(v.Length, rows, columns);
        return new PackedMatrix(v, columns, rows, Gemm.Layout.Transposed);
    }

    /// <summary>Lays out the row-major matrix <paramref name="a"/> [rows×columns].</summary>
    public static PackedMatrix Of(ReadOnlySpan<float> a, int rows, int columns)
    {
        CheckShape(a.Length, rows, columns);
        var data = LargeArrays.Uninitialized<float>(rows * columns);
        Gemm.PackRows(a, rows, columns, data);
        return new PackedMatrix(data, rows, columns);
    }

    private static void CheckShape(int length, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || length < (long)rows * columns)
            throw new ArgumentException($"PackedMatrix: {length} values cannot be a [{rows}×{columns}] matrix.");
    }
}
