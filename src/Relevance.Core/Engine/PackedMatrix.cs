namespace Relevance.Engine;

/// <summary>A matrix [rows×columns] laid out once in the order <see cref="Gemm"/>'s kernel reads it, for a weight matrix that
/// takes part in many products, each of which would otherwise lay it out again.</summary>
/// <remarks>Whole 8-row tiles are interleaved so that a tile's 8 values of one column are consecutive; the last rows
/// (rows mod 8) follow as they are.</remarks>
public sealed class PackedMatrix
{
    private PackedMatrix(float[] data, int rows, int columns) => (Data, Rows, Columns) = (data, rows, columns);

    internal float[] Data { get; }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    // Whether the first `rows` rows are a packed matrix of their own: all of them, or a whole number of 8-row tiles.
    internal bool HasPrefix(int rows) => rows == Rows || rows >= 0 && rows < Rows && rows % 8 == 0;

    /// <summary>Lays out the row-major matrix <paramref name="a"/> [rows×columns].</summary>
    public static PackedMatrix Of(ReadOnlySpan<float> a, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || a.Length < rows * columns)
            throw new ArgumentException($"PackedMatrix: {a.Length} values cannot be a [{rows}×{columns}] matrix.");
        var data = new float[rows * columns];
        Gemm.PackRows(a, rows, columns, data);
        return new PackedMatrix(data, rows, columns);
    }
}
