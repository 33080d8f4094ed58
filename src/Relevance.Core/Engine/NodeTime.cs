namespace Relevance.Engine;

/// <summary>One node's mean time per call in a profile (see <see cref="EngineNetwork.Profile"/>): in a forward pass, in an
/// explanation's forward pass, and in its relevance pass; zero where no such call was profiled.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Kind">Its layer kind.</param>
/// <param name="Forward">Mean time in a forward pass.</param>
/// <param name="ExplanationForward">Mean time in an explanation's forward pass (which also leaves what the relevance pass reads).</param>
/// <param name="Relevance">Mean time in an explanation's relevance pass.</param>
public sealed record NodeTime(string Node, string Kind, TimeSpan Forward, TimeSpan ExplanationForward, TimeSpan Relevance)
{
    /// <summary>Mean time in an explanation: its forward pass and its relevance pass.</summary>
    public TimeSpan Explanation => ExplanationForward + Relevance;
}
