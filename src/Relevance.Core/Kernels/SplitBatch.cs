namespace Relevance.Kernels;

/// <summary>Explains a batch with two workspaces over the same weights, half of the inputs on each core (<see cref="HelperThread"/>).</summary>
/// <remarks>For generated networks whose batch is not one matrix product per layer (convolutional ones): the inputs are
/// independent, so each half runs the single-input code unchanged. Not thread-safe, like the network it belongs to.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed unsafe class SplitBatch<TNet> : RowJob where TNet : class, INetworkKernel<TNet>
{
    private readonly TNet _first, _second;
    private float* _inputs, _heatmaps, _outputs;
    private int* _targets;
    private int _batch;

    /// <summary>Splits batches of <paramref name="network"/>; a second workspace is made once, here.</summary>
    public SplitBatch(TNet network)
    {
        ArgumentNullException.ThrowIfNull(network);
        _first = network;
        _second = network.WithNewWorkspace();
    }

    /// <inheritdoc />
    public override int Rows => _batch;

    /// <summary>Explains <paramref name="batch"/> inputs laid end to end; spans are checked by the caller.</summary>
    public void Explain(ReadOnlySpan<float> inputs, Span<float> heatmaps, Span<float> outputs, ReadOnlySpan<int> targets, int batch)
    {
        fixed (float* i = inputs, h = heatmaps, o = outputs)
        fixed (int* t = targets)
        {
            _inputs = i;
            _heatmaps = h;
            _outputs = o;
            _targets = targets.IsEmpty ? null : t;
            _batch = batch;
            try
            {
                HelperThread.Run(this, minimumRowsToSplit: 2);
            }
            finally
            {
                _inputs = _heatmaps = _outputs = null;
                _targets = null;
                _batch = 0;
            }
        }
    }

    /// <inheritdoc />
    public override void Run(int from, int to)
    {
        // The caller's half (from 0) runs on the network's own workspace, the helper's on the second.
        var network = from == 0 ? _first : _second;
        var size = TNet.InputShape.Size;
        for (var b = from; b < to; b++)
            _outputs[b] = network.Explain(new ReadOnlySpan<float>(_inputs + (long)b * size, size),
                new Span<float>(_heatmaps + (long)b * size, size), _targets is null ? -1 : _targets[b]);
    }
}
