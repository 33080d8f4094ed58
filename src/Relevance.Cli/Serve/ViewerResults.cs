using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Relevance.Cli.Serve;

/// <summary>One explanation of a request, as the page shows and downloads it.</summary>
internal sealed record ViewerExplanation(ViewerComposite Composite, string Rules, Explanation Explanation, double Seconds, byte[] HeatmapPng, byte[]? OverlayPng,
    string Report);

/// <summary>A request's results: the input as the model saw it and one explanation per composite.</summary>
internal sealed record ViewerResult(string Id, string Model, byte[]? InputPng, ImmutableArray<ViewerExplanation> Explanations)
{
    /// <summary>The explanation of a composite, or null.</summary>
    public ViewerExplanation? Of(string composite) => Explanations.FirstOrDefault(e => e.Composite.Id == composite);
}

/// <summary>The last results, kept for their downloads; the oldest go first when more than <paramref name="capacity"/> are held.</summary>
internal sealed class ViewerResults(int capacity)
{
    private readonly ConcurrentDictionary<string, ViewerResult> _byId = new();
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>Keeps a result and returns it.</summary>
    public ViewerResult Add(ViewerResult result)
    {
        _byId[result.Id] = result;
        _order.Enqueue(result.Id);
        while (_byId.Count > capacity && _order.TryDequeue(out var oldest)) _byId.TryRemove(oldest, out _);
        return result;
    }

    /// <summary>A result by id, or null when it was never made or has been pushed out.</summary>
    public ViewerResult? Find(string id) => _byId.TryGetValue(id, out var r) ? r : null;
}
