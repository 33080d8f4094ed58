namespace Relevance.Engine;

/// <summary>Reusable buffers for one explanation at a time: every node's value and relevance, and the kernels' scratch.</summary>
/// <remarks>Made once per thread by <see cref="EngineNetwork.CreateWorkspace"/>; after that an explanation allocates only its result.</remarks>
public sealed class Workspace
{
    internal Workspace(int[] nodeSizes, int inputSize, int col, int z, int largest, int[] denominatorSizes)
    {
        Denominators = [.. denominatorSizes.Select(n => new float[n])];
        Values = [.. nodeSizes.Select(n => new float[n])];
        Relevances = [.. nodeSizes.Select(n => new float[n])];
        Heatmap = new float[inputSize];
        _col = new float[Math.Max(1, col)];
        _z = new float[Math.Max(1, z)];
        _back = new float[Math.Max(1, largest)];
        _signed = new float[Math.Max(1, largest)];
        _contribution = new float[Math.Max(1, largest)];
    }

    private readonly float[] _col;
    private readonly float[] _z;
    private readonly float[] _back;
    private readonly float[] _signed;
    private readonly float[] _contribution;

    internal float[][] Values { get; }
    internal float[][] Relevances { get; }
    internal float[] Heatmap { get; }
    /// <summary>Per node, the denominators its explanation's forward pass computes (empty for most nodes).</summary>
    internal float[][] Denominators { get; }

    internal Span<float> Col(int size) => _col.AsSpan(0, size);
    internal Span<float> Z(Geometry g) => _z.AsSpan(0, g.M * g.P);
    internal Span<float> Back(Geometry g) => _back.AsSpan(0, g.InputSize);
    internal Span<float> Back(int n) => _back.AsSpan(0, n);
    internal Span<float> Signed(int n) => _signed.AsSpan(0, n);
    internal Span<float> Contribution(int n) => _contribution.AsSpan(0, n);
}
