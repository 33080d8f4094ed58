namespace Relevance.Engine;

/// <summary>Reusable buffers for one explanation at a time: every node's value and relevance, and the kernels' scratch.</summary>
/// <remarks>Made once per thread by <see cref="EngineNetwork.CreateWorkspace"/>; after that an explanation allocates only its result.</remarks>
public sealed class Workspace
{
    internal Workspace(int[] nodeSizes, BufferPlan plan, int inputSize, int col, int z, int largest, int[] denominatorSizes)
    {
        Denominators = [.. denominatorSizes.Select(n => LargeArrays.Zeroed<float>(n))];
        Values = BufferPlan.Allocate(nodeSizes, plan.Values);
        Relevances = plan.AllocateRelevances(nodeSizes);
        _nodeSizes = nodeSizes;
        Started = new bool[nodeSizes.Length + 1];
        Heatmap = LargeArrays.Zeroed<float>(inputSize);
        _col = LargeArrays.Zeroed<float>(Math.Max(1, col));
        _z = LargeArrays.Zeroed<float>(Math.Max(1, z));
        _back = LargeArrays.Zeroed<float>(Math.Max(1, largest));
        _signed = LargeArrays.Zeroed<float>(Math.Max(1, largest));
        _contribution = LargeArrays.Zeroed<float>(Math.Max(1, largest));
    }

    /// <summary>The network whose <see cref="EngineNetwork.CreateWorkspace"/> made it: its buffers fit that network alone.</summary>
    internal EngineNetwork? Owner { get; init; }

    private readonly float[] _col;
    private readonly float[] _z;
    private readonly float[] _back;
    private readonly float[] _signed;
    private readonly float[] _contribution;

    private readonly int[] _nodeSizes;
    private Memory<float>[]? _gradients;

    /// <summary>Per node, its value (some are slices of a Concat's, see <see cref="BufferPlan"/>).</summary>
    internal Memory<float>[] Values { get; }
    /// <summary>Per node, its relevance (some are slices of a Concat's, see <see cref="BufferPlan"/>).</summary>
    internal Memory<float>[] Relevances { get; }
    /// <summary>Per value ([0] the input, [n + 1] node n), whether an edge has written its relevance yet in this explanation.</summary>
    internal bool[] Started { get; }
    /// <summary>Per node, its gradient: buffers of their own, made on the first gradient (explanations never need them).</summary>
    internal Memory<float>[] Gradients => _gradients ??= [.. _nodeSizes.Select(n => new Memory<float>(LargeArrays.Zeroed<float>(n)))];
    internal float[] Heatmap { get; }
    /// <summary>Per node, what its explanation's forward pass leaves for its relevance: a linear layer's denominators, a max-pooling's window sums (empty for most nodes).</summary>
    internal float[][] Denominators { get; }

    /// <summary>Whether calls made with this workspace add up each node's time (see <see cref="EngineNetwork.Profile"/>); turning it
    /// on again starts a new profile.</summary>
    public bool Profiling
    {
        get => Ticks is not null;
        set => (Ticks, Calls) = value ? (new long[Phases, _nodeSizes.Length], new long[Phases, _nodeSizes.Length]) : (null, null);
    }

    /// <summary>The phases a profile tells apart.</summary>
    internal enum Phase
    {
        /// <summary>A forward pass.</summary>
        Forward,
        /// <summary>An explanation's forward pass.</summary>
        ExplanationForward,
        /// <summary>An explanation's relevance pass.</summary>
        Relevance,
    }

    private static readonly int Phases = Enum.GetValues<Phase>().Length;

    /// <summary>While <see cref="Profiling"/>: per phase and node, the stopwatch ticks spent and the calls made.</summary>
    internal long[,]? Ticks { get; private set; }

    internal long[,]? Calls { get; private set; }

    internal Span<float> Col(int size) => _col.AsSpan(0, size);
    internal Span<float> Z(Geometry g) => _z.AsSpan(0, g.M * g.P);
    internal Span<float> Back(Geometry g) => _back.AsSpan(0, g.InputSize);
    internal Span<float> Back(int n) => _back.AsSpan(0, n);
    internal Span<float> Signed(int n) => _signed.AsSpan(0, n);
    internal Span<float> Contribution(int n) => _contribution.AsSpan(0, n);

    // Scratch alone, for a second core's share of a layer (GroupedLinearNode): col(x), Z and one input's worth.
    private Workspace(int col, int z, int input)
    {
        (Denominators, Values, Relevances, _nodeSizes, Started, Heatmap) = ([], [], [], [], [], []);
        (_col, _z, _back, _signed, _contribution) = (new float[Math.Max(1, col)], new float[Math.Max(1, z)], new float[Math.Max(1, input)],
            new float[Math.Max(1, input)], []);
    }

    private Workspace[]? _helpers;

    /// <summary>Scratch for part <paramref name="part"/> of a layer split between cores: this workspace's own for part 0; for
    /// the parts above it, made once and grown when a layer needs more (col(x), Z and input floats).</summary>
    internal Workspace ScratchFor(int part, int col, int z, int input)
    {
        if (part == 0) return this;
        if (_helpers is null || _helpers.Length < part) Array.Resize(ref _helpers, part);
        var helper = _helpers[part - 1];
        if (helper is null || helper._col.Length < col || helper._z.Length < z || helper._back.Length < input)
            _helpers[part - 1] = helper = new Workspace(Math.Max(col, helper?._col.Length ?? 0), Math.Max(z, helper?._z.Length ?? 0),
                Math.Max(input, helper?._back.Length ?? 0));
        return helper;
    }
}
