using Relevance;
using Relevance.Kernels;
using Relevance.Samples;

// Binds random weights to each declared network, explains one input with the generated code and with the reference,
// and prints f(x), Σ R and the largest difference between the two heatmaps.
var random = new Random(7);

Report(OneLayerDetector.Bind(RandomParameters<OneLayerDetector>(random, nonPositiveBias: true)), Box(random, 1568, -0.5f, 1.5f));
Report(TwoLayerDetector.Bind(RandomParameters<TwoLayerDetector>(random, nonPositiveBias: true)), Box(random, 1568, -0.5f, 1.5f));
Report(LeNet5.Bind(RandomParameters<LeNet5>(random, nonPositiveBias: false)), Box(random, 784, 0f, 1f));
Report(ResidualCnn.Bind(RandomParameters<ResidualCnn>(random, nonPositiveBias: false)), Box(random, 784, 0f, 1f));
return 0;

static void Report<TNet>(TNet net, float[] input) where TNet : class, INetworkKernel<TNet>
{
    var heatmap = new float[input.Length];
    var f = net.Explain(input, heatmap);
    var reference = Relevance.Reference.Propagation.Explain(net.ToNetwork(), Tensor.From(TNet.InputShape, [.. input.Select(v => (double)v)]), TNet.Composite, TNet.Options, net.Target);
    var difference = heatmap.Select((r, i) => Math.Abs(r - reference.Heatmap[i])).Max();
    Console.WriteLine($"{typeof(TNet).Name,-18} target {net.Target}  f(x) = {f,10:G5}  Σ R = {heatmap.Sum(),10:G5}  bias {net.BiasRelevance,9:G3}  " +
        $"max |R − R_reference| = {difference:E1}");
}

static LayerParameters[] RandomParameters<TNet>(Random random, bool nonPositiveBias) where TNet : class, INetworkKernel<TNet> =>
    [.. TNet.ParameterSizes.Select(s => new LayerParameters(
        [.. Enumerable.Range(0, s.Weights).Select(_ => (float)(random.NextDouble() * 2 - 1) / MathF.Sqrt(s.FanIn))],
        [.. Enumerable.Range(0, s.Bias).Select(_ => (float)(nonPositiveBias ? -random.NextDouble() * 0.1 : random.NextDouble() * 0.2 - 0.1))]))];

static float[] Box(Random random, int n, float low, float high) =>
    [.. Enumerable.Range(0, n).Select(_ => low + (high - low) * random.NextSingle())];
