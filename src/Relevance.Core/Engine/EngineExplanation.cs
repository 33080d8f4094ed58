using System.Collections.Immutable;

namespace Relevance.Engine;

/// <summary>An explanation computed by the float32 engine: the heatmap, f(x), all outputs and the consistency report.</summary>
/// <param name="Heatmap">R(x), row-major with the input's shape.</param>
/// <param name="Shape">The input's shape.</param>
/// <param name="Output">f(x): the explained output.</param>
/// <param name="Target">The index of the explained output.</param>
/// <param name="Outputs">All of the network's outputs.</param>
/// <param name="Consistency">Per-layer and heatmap conservation and positivity (sums taken in double precision).</param>
public sealed record EngineExplanation(ImmutableArray<float> Heatmap, Shape Shape, double Output, int Target, ImmutableArray<float> Outputs, ConsistencyReport Consistency)
{
    /// <summary>The heatmap as a double-precision tensor.</summary>
    public Tensor HeatmapTensor => Tensor.Own(Shape, [.. Heatmap.Select(v => (double)v)]);
}
