using Relevance.Kernels;

namespace Relevance.Generators.Tests;

/// <summary>Random weights for a declared network and random inputs inside its box, from one seed.</summary>
internal static class RandomNetworks
{
    /// <summary>Weights uniform in ±1/√fan-in; biases ≤ 0 when the declaration demands it, else of either sign.</summary>
    public static TNet Bind<TNet>(Random random, bool nonPositiveBias) where TNet : class, INetworkKernel<TNet> =>
        TNet.Bind([.. TNet.ParameterSizes.Select(s => new LayerParameters(
            [.. Enumerable.Range(0, s.Weights).Select(_ => (float)((random.NextDouble() * 2 - 1) / Math.Sqrt(s.FanIn)))],
            [.. Enumerable.Range(0, s.Bias).Select(_ => (float)(nonPositiveBias ? -0.1 * random.NextDouble() : 0.2 * random.NextDouble() - 0.1))]))]);

    /// <summary>An input in [low, high]: the background at <paramref name="low"/> with a random fraction of pixels lit anywhere in the box, like a digit.</summary>
    public static float[] Input(Random random, int size, float low, float high)
    {
        var lit = random.NextDouble();
        return [.. Enumerable.Range(0, size).Select(_ => random.NextDouble() < lit ? low + (high - low) * random.NextSingle() : low)];
    }
}
