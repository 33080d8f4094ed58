using System.Collections.Immutable;

namespace Relevance;

/// <summary>How one layer redistributed relevance: what came in, what it passed down, what positive biases took, and negative mass.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Layer">The layer kind.</param>
/// <param name="Redistribution">The rule or redistribution used (e.g. z⁺, proportional, pass-through).</param>
/// <param name="RelevanceIn">Σ R at the node's output.</param>
/// <param name="RelevanceOut">Σ R passed to the node's inputs.</param>
/// <param name="BiasRelevance">Relevance taken by biases treated as neurons (positive biases by default, docs/rules.md §5; every bias in a denominator under <see cref="BiasTreatment.Zennit"/>); zero otherwise.</param>
/// <param name="AbsoluteError">RelevanceIn − RelevanceOut − BiasRelevance: relevance created or lost.</param>
/// <param name="RelativeError">|AbsoluteError| / max(1, |f(x)|).</param>
/// <param name="NegativeMass">Σ min(0, R) over what the node passed down.</param>
/// <param name="Minimum">The smallest relevance the node passed down.</param>
public sealed record LayerConsistency(
    string Node, string Layer, string Redistribution,
    double RelevanceIn, double RelevanceOut, double BiasRelevance,
    double AbsoluteError, double RelativeError, double NegativeMass, double Minimum);

/// <summary>Conservation and positivity of an explanation, per layer and for the input heatmap.</summary>
/// <param name="Output">f(x).</param>
/// <param name="HeatmapSum">Σ_p R_p.</param>
/// <param name="BiasRelevance">Relevance taken by biases in all layers (see <see cref="LayerConsistency"/>).</param>
/// <param name="NegativeMass">Σ_p min(0, R_p).</param>
/// <param name="Minimum">min_p R_p.</param>
/// <param name="Layers">One entry per node, in the network's node order.</param>
public sealed record ConsistencyReport(
    double Output, double HeatmapSum, double BiasRelevance, double NegativeMass, double Minimum,
    ImmutableArray<LayerConsistency> Layers)
{
    /// <summary>f(x) − Σ_p R_p − bias relevance: what the whole pass created or lost.</summary>
    public double ConservationError => Output - HeatmapSum - BiasRelevance;

    /// <summary>|ConservationError| / max(1, |f(x)|).</summary>
    public double RelativeError => Math.Abs(ConservationError) / Scale(Output);

    /// <summary>The scale relative errors are stated against: max(1, |f(x)|).</summary>
    public static double Scale(double output) => Math.Max(1, Math.Abs(output));

    /// <summary>Conservative within a relative tolerance, at the heatmap and at every layer.</summary>
    public bool IsConservative(double relativeTolerance) =>
        RelativeError <= relativeTolerance && Layers.All(l => l.RelativeError <= relativeTolerance);

    /// <summary>No negative relevance anywhere (every layer and the heatmap).</summary>
    public bool IsPositive => Minimum >= 0 && Layers.All(l => l.Minimum >= 0);

    /// <summary>Conservative and positive (Def. 3).</summary>
    public bool IsConsistent(double relativeTolerance) => IsConservative(relativeTolerance) && IsPositive;
}
