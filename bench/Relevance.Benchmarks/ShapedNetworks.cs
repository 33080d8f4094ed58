using System.Collections.Immutable;

namespace Relevance.Benchmarks;

/// <summary>Networks with the shapes of AlexNet, VGG-16, GoogLeNet and ResNet-50 (random weights, biases ≤ 0): the speed targets are about shapes, not trained values.</summary>
public static class ShapedNetworks
{
    private sealed class Builder(Shape input, int seed)
    {
        private readonly Random _rng = new(seed);
        private readonly List<Node> _nodes = [];
        private readonly Dictionary<string, Shape> _shapes = new() { [Network.InputName] = input };
        public string Last { get; private set; } = Network.InputName;

        public string Add(Layer layer, params string[] inputs)
        {
            if (inputs.Length == 0) inputs = [Last];
            var name = $"{layer.Kind}{_nodes.Count}";
            _shapes[name] = ShapeInference.Infer(name, layer, [.. inputs.Select(i => _shapes[i])]);
            _nodes.Add(new Node(name, layer, [.. inputs]));
            return Last = name;
        }

        public Shape ShapeOf(string node) => _shapes[node];

        // He-scaled random weights keep activations of order one through deep stacks.
        private ImmutableArray<double> Weights(int n, int fanIn)
        {
            var scale = Math.Sqrt(2.0 / fanIn);
            var w = new double[n];
            for (var i = 0; i < n; i++) w[i] = (_rng.NextDouble() * 2 - 1) * scale * Math.Sqrt(3);
            return ImmutableCollectionsMarshalHelper.Own(w);
        }

        private ImmutableArray<double> Biases(int n) => [.. Enumerable.Range(0, n).Select(_ => -0.01 * _rng.NextDouble())];

        public string Conv(int outChannels, int kernel, int stride = 1, int padding = 0, string? from = null, bool relu = true)
        {
            from ??= Last;
            var c = ShapeOf(from)[0];
            Add(new Conv2d(c, outChannels, kernel, kernel, Weights(outChannels * c * kernel * kernel, c * kernel * kernel), Biases(outChannels), stride, padding), from);
            return relu ? Add(new ReLU()) : Last;
        }

        public string Dense(int outputs, bool relu = true)
        {
            var inputs = ShapeOf(Last).Size;
            Add(new Dense(inputs, outputs, Weights(inputs * outputs, inputs), Biases(outputs)));
            return relu ? Add(new ReLU()) : Last;
        }

        public Network Build() => new(_shapes[Network.InputName], [.. _nodes]);
    }

    /// <summary>AlexNet: 5 convolutions (11×11/4, 5×5, 3×3 ×3) with LRN and max-pooling, 3 fully connected layers; 61 M weights.</summary>
    public static Network AlexNet()
    {
        var b = new Builder(Shape.Of(3, 224, 224), 1);
        b.Conv(64, 11, 4, 2); b.Add(new LocalResponseNorm(5)); b.Add(Pool2d.MaxPool(3, 2));
        b.Conv(192, 5, 1, 2); b.Add(new LocalResponseNorm(5)); b.Add(Pool2d.MaxPool(3, 2));
        b.Conv(384, 3, 1, 1); b.Conv(256, 3, 1, 1); b.Conv(256, 3, 1, 1); b.Add(Pool2d.MaxPool(3, 2));
        b.Add(new Flatten()); b.Dense(4096); b.Dense(4096); b.Dense(1000, relu: false);
        return b.Build();
    }

    /// <summary>VGG-16: 13 3×3 convolutions in 5 blocks with max-pooling, 3 fully connected layers; 138 M weights.</summary>
    public static Network Vgg16()
    {
        var b = new Builder(Shape.Of(3, 224, 224), 2);
        foreach (var (channels, convs) in new[] { (64, 2), (128, 2), (256, 3), (512, 3), (512, 3) })
        {
            for (var i = 0; i < convs; i++) b.Conv(channels, 3, 1, 1);
            b.Add(Pool2d.MaxPool(2));
        }
        b.Add(new Flatten()); b.Dense(4096); b.Dense(4096); b.Dense(1000, relu: false);
        return b.Build();
    }

    /// <summary>GoogLeNet: the stem, nine inception modules (1×1, 3×3, 5×5 and pool branches joined by Concat), global average pooling, one classifier.</summary>
    public static Network GoogLeNet()
    {
        var b = new Builder(Shape.Of(3, 224, 224), 3);
        b.Conv(64, 7, 2, 3); b.Add(Pool2d.MaxPool(3, 2)); b.Add(new LocalResponseNorm(5));
        b.Conv(64, 1); b.Conv(192, 3, 1, 1); b.Add(new LocalResponseNorm(5)); b.Add(Pool2d.MaxPool(3, 2));
        void Inception(int c1, int r3, int c3, int r5, int c5, int pool)
        {
            var x = b.Last;
            var a = b.Conv(c1, 1, from: x);
            b.Conv(r3, 1, from: x); var bb = b.Conv(c3, 3, 1, 1);
            b.Conv(r5, 1, from: x); var c = b.Conv(c5, 5, 1, 2);
            b.Add(new Pool2d(PoolKind.Max, 3, 3, 1, 1, pads: Padding2d.Uniform(1)), x); var d = b.Conv(pool, 1);
            b.Add(new Concat(), a, bb, c, d);
        }
        Inception(64, 96, 128, 16, 32, 32); Inception(128, 128, 192, 32, 96, 64); b.Add(Pool2d.MaxPool(3, 2));
        Inception(192, 96, 208, 16, 48, 64); Inception(160, 112, 224, 24, 64, 64); Inception(128, 128, 256, 24, 64, 64);
        Inception(112, 144, 288, 32, 64, 64); Inception(256, 160, 320, 32, 128, 128); b.Add(Pool2d.MaxPool(3, 2));
        Inception(256, 160, 320, 32, 128, 128); Inception(384, 192, 384, 48, 128, 128);
        b.Add(new GlobalAvgPool()); b.Dense(1000, relu: false);
        return b.Build();
    }

    /// <summary>ResNet-50 (v1.5, batch norms folded): the 7×7 stem and max-pooling, 16 bottleneck blocks (1×1, 3×3 with the
    /// stride, 1×1 expanding ×4) in four stages, each block's sum with its input (or a strided 1×1 projection of it) rectified,
    /// global average pooling, one classifier; 25.5 M weights.</summary>
    public static Network ResNet50()
    {
        var b = new Builder(Shape.Of(3, 224, 224), 4);
        b.Conv(64, 7, 2, 3); b.Add(new Pool2d(PoolKind.Max, 3, 3, 2, 2, pads: Padding2d.Uniform(1)));
        foreach (var (width, blocks, stride) in new[] { (64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2) })
            for (var i = 0; i < blocks; i++)
            {
                var x = b.Last;
                var s = i == 0 ? stride : 1;
                var shortcut = i == 0 ? b.Conv(4 * width, 1, s, from: x, relu: false) : x;
                b.Conv(width, 1, from: x); b.Conv(width, 3, s, 1); var residual = b.Conv(4 * width, 1, relu: false);
                b.Add(new Add(), shortcut, residual); b.Add(new ReLU());
            }
        b.Add(new GlobalAvgPool()); b.Dense(1000, relu: false);
        return b.Build();
    }
}

internal static class ImmutableCollectionsMarshalHelper
{
    public static ImmutableArray<double> Own(double[] values) => System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(values);
}
