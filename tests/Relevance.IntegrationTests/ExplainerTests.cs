using Relevance.IO;

namespace Relevance.IntegrationTests;

/// <summary>The library's front door: loading ONNX models with their image input, the derived z^B box, threads, cores and misuse.</summary>
public class ExplainerTests
{
    private static readonly string SqueezeNet = RepositoryData.Path("onnx", "squeezenet1.1_fp16_winml", "SqueezeNet_fp16.onnx");
    private static readonly string Mnist = RepositoryData.Path("onnx", "mnist-8", "mnist-8.onnx");
    private static readonly string Cat = RepositoryData.Path("images", "chelsea.png");

    private static float[] Floats(Tensor t) => [.. t.Data.Select(v => (float)v)];

    [Fact]
    public void Loading_derives_the_first_layers_box_from_the_image_input_and_matches_the_oracle()
    {
        // mnist-8 takes one channel of raw pixels 0..255: the derived box is [0, 255] for every pixel.
        using var explainer = Explainer.Load(Mnist, new ExplainerSettings { Image = ImageInput.Raw() });
        var rules = explainer.Composite.Resolve(explainer.Network);
        var box = Assert.IsType<ZBoxRule>(rules[explainer.Network.Nodes.First(n => n.Layer is Conv2d).Name]);
        Assert.All(box.Low.Values, v => Assert.Equal(0, v));
        Assert.All(box.High.Values, v => Assert.Equal(255, v));

        var x = explainer.ReadImage(RepositoryData.Path("onnx", "mnist-8", "mnist_28.png"));
        Assert.Equal(explainer.Network.InputShape, x.Shape);
        var fast = explainer.Explain(x);
        var exact = explainer.Oracle().Explain(x);
        Assert.Equal(exact.Target, fast.Target);
        // float32 against double through two convolutions and a dense layer: 1e-4 of the largest relevance (EngineParityTests' bound, κ = 1).
        var scale = Math.Max(1, exact.Heatmap.Data.Max(Math.Abs));
        Assert.All(exact.Heatmap.Data.Zip(fast.Heatmap.Data), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4 * scale, $"{p.First} vs {p.Second}"));
        Assert.Equal(exact.Output, fast.Output, 1e-4 * Math.Max(1, Math.Abs(exact.Output)));
    }

    [Fact]
    public void Concurrent_calls_and_a_single_core_give_the_same_explanation()
    {
        using var explainer = Explainer.Load(SqueezeNet, new ExplainerSettings { Image = ImageInput.Raw(ChannelOrder.Bgr) });
        using var serial = Explainer.Load(SqueezeNet, new ExplainerSettings { Image = ImageInput.Raw(ChannelOrder.Bgr), Parallelism = 1 });
        Assert.Equal(1, serial.Parallelism);
        var x = Floats(explainer.ReadImage(Cat));
        var expected = explainer.Explain(x).Heatmap.ToArray();
        // Work split between cores is split by rows, columns or channels, never inside a sum: every route gives the same bits.
        Assert.Equal(expected, serial.Explain(x).Heatmap.ToArray());
        var results = new Explanation[6];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 3 }, i => results[i] = explainer.Explain(x));
        Assert.All(results, r => Assert.Equal(expected, r.Heatmap.ToArray()));
        Assert.Equal(285, results[0].Target);
        Assert.Equal("Egyptian cat", explainer.Label(285));
    }

    [Fact]
    public void A_batch_is_explained_as_its_inputs_one_by_one()
    {
        using var explainer = Explainer.Load(Mnist, new ExplainerSettings { Image = ImageInput.Raw() });
        var rng = new Random(3);
        var inputs = Enumerable.Range(0, 3 * 784).Select(_ => (float)(rng.NextDouble() * 255)).ToArray();
        var batch = explainer.ExplainBatch(inputs);
        Assert.Equal(3, batch.Length);
        for (var b = 0; b < 3; b++) Assert.Equal(explainer.Explain(inputs.AsSpan(b * 784, 784)).Heatmap.ToArray(), batch[b].Heatmap.ToArray());
        Assert.Throws<InvalidInputException>(() => explainer.ExplainBatch(inputs.AsMemory(0, 783)));
    }

    [Fact]
    public void Misuse_is_a_typed_error_that_says_what_to_do()
    {
        // A model that takes no image has no pixel range to derive a box from.
        var network = Network.Sequential(Shape.Of(4), new Dense(4, 2, [1, 0, 0, 1, 0, 0, 0, 0], [0, 0]));
        var model = new Onnx.ImportedModel(network, "x", [1, 4], false, "y", false, 13);
        var e = Assert.Throws<InvalidInputException>(() => Explainer.Create(model));
        Assert.Contains("FirstRule", e.Message);
        using var vector = Explainer.Create(model, new ExplainerSettings { FirstRule = Rules.ZBox(-1, 1) });
        Assert.Throws<InvalidOperationException>(() => vector.ReadImage(Cat));
        Assert.Throws<InvalidInputException>(() => vector.Explain(Tensor.Vector(1, 2, 3)));
        Assert.Throws<InvalidInputException>(() => vector.Explain([1f, float.NaN, 0f, 0f]));
        Assert.Throws<RuleDomainException>(() => vector.Explain([1f, 2f, 0f, 0f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.Explain([1f, 0f, 0f, 0f], target: 2));

        var explainer = Explainer.Load(Mnist, new ExplainerSettings { Image = ImageInput.Raw() });
        explainer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => explainer.Explain(new float[784]));
        Assert.Throws<ImageFormatException>(() => Explainer.Load(Mnist, new ExplainerSettings { Image = ImageInput.Raw() }).ExplainImage("no-such-photo.png"));
    }

    [Theory]
    [InlineData("mnist-8/mnist-8.onnx")]
    [InlineData("squeezenet1.1_fp16_winml/SqueezeNet_fp16.onnx")]
    public void Imported_weights_stay_in_single_precision(string file)
    {
        // float32 and float16 files: weights are held once as float32, never widened to doubles.
        var layers = Onnx.OnnxImporter.Load(RepositoryData.Path("onnx", file)).Network.Nodes.Select(n => n.Layer).ToList();
        Assert.All(layers.OfType<Dense>(), d => Assert.True(d.Weights.IsSingle));
        Assert.All(layers.OfType<Conv2d>(), c => Assert.True(c.Weights.IsSingle));
        Assert.Contains(layers, l => l is Dense or Conv2d);
    }

    [Fact]
    public void A_padding_that_makes_a_layer_enormous_is_refused_before_anything_is_allocated()
    {
        // A few hundred bytes of ONNX: a 3×3 convolution of a 1×5×5 input padded by 3000 on every side has 8 outputs of
        // 6003×6003, about 5 GiB of buffers for one explanation.
        var b = new OnnxBuilder("x", 1, 1, 5, 5);
        var w = b.Weights("w", 8, 1, 3, 3);
        var path = b.Node("Conv", ["x", w], "c", OnnxBuilder.Ints("pads", 3000, 3000, 3000, 3000)).Save("c", 13, 1, 8, 6003, 6003);
        try
        {
            var before = GC.GetTotalAllocatedBytes();
            var e = Assert.Throws<ResourceLimitException>(() => Explainer.Load(path, new ExplainerSettings { FirstRule = Rules.ZBox(-1, 1) }));
            Assert.True(e.Bytes > e.Limit, e.Message);
            Assert.Contains("MiB", e.Message);
            Assert.Contains(e.Node, e.Message);
            // Refused from the shapes: far less than the buffers were allocated on the way.
            Assert.True(GC.GetTotalAllocatedBytes() - before < 100L << 20, $"{(GC.GetTotalAllocatedBytes() - before) >> 20} MiB allocated");
            // A limit below what a small model needs refuses it too: the limit is the user's to set.
            Assert.Throws<ResourceLimitException>(() => Explainer.Load(Mnist, new ExplainerSettings { Image = ImageInput.Raw(), MaxWorkspaceBytes = 1 << 10 }));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
