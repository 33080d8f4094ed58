using Relevance.Kernels;
using Relevance.Samples;

namespace Relevance.Generators.Tests;

/// <summary>A steady-state explanation allocates nothing: the workspace and the weight-only matrices are made once per binding.</summary>
/// <remarks>A correctness check on the current thread's allocation counter, not a timing.</remarks>
public class AllocationTests
{
    private static long AllocatedByExplanations<TNet>(bool nonPositiveBias, float low, float high) where TNet : class, INetworkKernel<TNet>
    {
        var random = new Random(11);
        var net = RandomNetworks.Bind<TNet>(random, nonPositiveBias);
        var input = RandomNetworks.Input(random, TNet.InputShape.Size, low, high);
        var heatmap = new float[input.Length];
        var output = new float[TNet.OutputLength];
        long Run(int times)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < times; i++)
            {
                net.Explain(input, heatmap);
                net.Forward(input, output);
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        // Warm up until a round allocates nothing: the JIT's tier-up, static initialisers and the thread's array-pool buckets
        // allocate once (about 2 KB, measured), not per call. A per-call allocation never settles and fails below.
        for (var round = 0; round < 20 && Run(50) != 0; round++) { }
        return Run(20);
    }

    [Fact]
    public void One_layer_detector() => Assert.Equal(0, AllocatedByExplanations<OneLayerDetector>(true, -0.5f, 1.5f));

    [Fact]
    public void Two_layer_detector() => Assert.Equal(0, AllocatedByExplanations<TwoLayerDetector>(true, -0.5f, 1.5f));

    [Fact]
    public void LeNet5_with_its_convolutions() => Assert.Equal(0, AllocatedByExplanations<LeNet5>(false, 0f, 1f));

    [Fact]
    public void Residual_cnn() => Assert.Equal(0, AllocatedByExplanations<ResidualCnn>(false, 0f, 1f));
}
