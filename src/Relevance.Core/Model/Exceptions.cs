namespace Relevance;

/// <summary>A network that cannot be built: a bad node, a missing input, or shapes that do not fit.</summary>
public class NetworkException(string message) : Exception(message);

/// <summary>Consecutive shapes that do not fit; the message names the node and both shapes.</summary>
public sealed class ShapeMismatchException(string node, string message) : NetworkException($"Node '{node}': {message}")
{
    /// <summary>The node whose input shapes do not fit.</summary>
    public string Node { get; } = node;
}

/// <summary>A layer that no rule of the composite covers (never a silent gradient fallback).</summary>
public sealed class UncoveredLayerException(string node, string message) : NetworkException($"Node '{node}': {message}")
{
    /// <summary>The node that has no rule.</summary>
    public string Node { get; } = node;
}

/// <summary>An input outside the domain a rule is defined on (e.g. negative input to z⁺, or outside z^B's box).</summary>
public sealed class RuleDomainException(string node, string message) : ArgumentException($"Node '{node}': {message}")
{
    /// <summary>The node whose input is outside the rule's domain.</summary>
    public string Node { get; } = node;
}

/// <summary>An input tensor that cannot be explained: wrong shape, or NaN/Inf values.</summary>
public sealed class InvalidInputException(string message) : ArgumentException(message);

/// <summary>A computation that left the floating-point range: an output or a relevance became ±∞ or NaN (e.g. inputs or weights so
/// large that a layer overflows); the message names the first node where it appeared. Nothing derived from it is returned.</summary>
public sealed class NumericFaultException(string node, string message) : ArithmeticException($"Node '{node}': {message}")
{
    /// <summary>The first node, in the order the values were computed, whose result is not finite.</summary>
    public string Node { get; } = node;
}

/// <summary>A network whose buffers for one explanation would pass the memory limit (e.g. a padding that makes a layer's output
/// enormous); nothing was allocated. The message names the largest node and both figures.</summary>
public sealed class ResourceLimitException(string node, long bytes, long limit)
    : NetworkException($"Node '{node}': explaining this network needs about {bytes / (1 << 20):N0} MiB of buffers, more than the limit of {limit / (1 << 20):N0} MiB (its largest node is this one); raise the limit if that much memory is meant to be used.")
{
    /// <summary>The node whose buffers are the largest.</summary>
    public string Node { get; } = node;
    /// <summary>The estimated bytes of one workspace.</summary>
    public long Bytes { get; } = bytes;
    /// <summary>The limit in force.</summary>
    public long Limit { get; } = limit;
}
