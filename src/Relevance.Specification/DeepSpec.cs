using System.Collections.Immutable;

namespace Relevance.Specification;

/// <summary>A random deep layer graph of the training-free model's kind: convolutions, pools, residual Adds, Concats and
/// dense layers with ReLUs, ending in Dense → ReLU → Sum, so that f(x) ≥ 0 and every layer above the first reads non-negative values.</summary>
/// <param name="Channels">Input channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="Blocks">The body; the first block, if any, is a <see cref="ConvBlock"/> (so the first linear layer reads the pixels).</param>
/// <param name="Hidden">Width of the last detection layer before the sum.</param>
/// <param name="GlobalPoolHead">GlobalAvgPool instead of Flatten before the dense layers.</param>
/// <param name="Seed">The seed of weights, biases and input.</param>
/// <param name="NonPositiveBias">Biases ≤ 0 (the paper's constraint) or of either sign.</param>
/// <param name="ZeroWeights">Every weight zero (a degenerate case that must still give finite relevance).</param>
/// <param name="ZeroInput">The all-zero input.</param>
/// <param name="Dead">Set the last detection layer's biases so that f(x) = 0 exactly.</param>
public sealed record DeepSpec(int Channels, int Height, int Width, ImmutableArray<Block> Blocks, int Hidden, bool GlobalPoolHead,
    int Seed, bool NonPositiveBias = true, bool ZeroWeights = false, bool ZeroInput = false, bool Dead = false)
{
    /// <summary>A random well-formed spec whose size grows with <paramref name="size"/>.</summary>
    public static DeepSpec Random(Random rng, int size, bool nonPositiveBias = true, bool dead = false)
    {
        var c = rng.Next(1, 4);
        var h = rng.Next(3, 5 + Math.Min(size / 10, 5));
        var w = rng.Next(3, 5 + Math.Min(size / 10, 5));
        var blocks = ImmutableArray.CreateBuilder<Block>();
        var count = rng.Next(0, 2 + Math.Min(size / 15, 4));
        for (var b = 0; b < count; b++)
            blocks.Add(b == 0 ? RandomConv(rng) : rng.Next(7) switch
            {
                6 => new LrnBlock(rng.Next(1, 6)),
                0 or 1 => RandomConv(rng),
                2 => RandomPool(rng),
                3 => new ResidualBlock(rng.Next(2) * 2 + 1),
                4 => new BranchBlock(rng.Next(1, 4), rng.Next(1, 4)),
                _ => new DenseBlock(rng.Next(1, 7)),
            });
        return new DeepSpec(c, h, w, blocks.ToImmutable(), rng.Next(1, 7), rng.Next(3) == 0, rng.Next(), nonPositiveBias, Dead: dead);
    }

    private static ConvBlock RandomConv(Random rng)
    {
        var padding = rng.Next(0, 2);
        return new(rng.Next(1, 5), rng.Next(1, 4), rng.Next(1, 3), padding, rng.Next(4) == 0 ? 1 - padding : padding);
    }

    private static PoolBlock RandomPool(Random rng)
    {
        var kernel = rng.Next(1, 4);
        return new PoolBlock((PoolKind)rng.Next(4), kernel, rng.Next(1, 3), rng.Next(3) == 0 ? rng.Next(0, kernel) : 0);
    }

    /// <summary>True when the first block (if any) is a convolution.</summary>
    public bool IsWellFormed => Blocks.IsEmpty || Blocks[0] is ConvBlock;

    /// <summary>Smaller well-formed specs: fewer blocks, narrower layers, a smaller input, zero input.</summary>
    public IEnumerable<DeepSpec> Shrink()
    {
        for (var b = Blocks.Length - 1; b >= 0; b--)
        {
            var fewer = this with { Blocks = Blocks.RemoveAt(b) };
            if (fewer.IsWellFormed) yield return fewer;
        }
        if (Hidden > 1) yield return this with { Hidden = 1 };
        if (Channels > 1) yield return this with { Channels = 1 };
        if (Height > 3) yield return this with { Height = Height - 1 };
        if (Width > 3) yield return this with { Width = Width - 1 };
        if (GlobalPoolHead) yield return this with { GlobalPoolHead = false };
        if (!ZeroInput) yield return this with { ZeroInput = true };
    }

    /// <summary>Builds the network, the input box and an input inside it.</summary>
    public DeepCase Build()
    {
        var rng = new Random(Seed);
        var shape = Shape.Of(Channels, Height, Width);
        var low = Enumerable.Range(0, shape.Size).Select(_ => Draw.Low(rng)).ToArray();
        var high = Enumerable.Range(0, shape.Size).Select(_ => Draw.High(rng)).ToArray();
        var x = Enumerable.Range(0, shape.Size).Select(i => ZeroInput ? 0 : Draw.Input(rng, InputDomain.Box, low[i], high[i])).ToArray();
        var builder = new GraphBuilder(shape, rng, NonPositiveBias, ZeroWeights);
        foreach (var block in Blocks) builder.Add(block);
        // Without a convolution first, a global pool would put an average, not the pixels, under the first linear layer.
        builder.Head(GlobalPoolHead && !Blocks.IsEmpty, Hidden);
        var network = builder.Build();
        var input = Tensor.From(shape, x);
        if (Dead) network = Kill(network, input, rng);
        return new DeepCase(network, input, Tensor.From(shape, low), Tensor.From(shape, high));
    }

    // Sets the last Dense layer's biases to b_j = −max(0, z_j) − u so that every ReLU before the sum outputs 0: f(x) = 0.
    // u ≥ 0.01: with u = 0 the new pre-activation z_j + b_j − z_j is a rounding residue that can be +1e-16.
    private static Network Kill(Network network, Tensor input, Random rng)
    {
        var activations = Reference.Forward.Run(network, input);
        var last = network.Nodes.Last(n => n.Layer is Dense);
        var dense = (Dense)last.Layer;
        var z = activations.Of(last.Name);
        var bias = Enumerable.Range(0, dense.Outputs).Select(j => dense.Bias[j] - Math.Max(0, z[j]) - 0.01 - Math.Round(0.5 * rng.NextDouble(), 4));
        var nodes = network.Nodes.Select(n => n.Name == last.Name ? n with { Layer = new Dense(dense.Inputs, dense.Outputs, dense.Weights, [.. bias]) } : n);
        return new Network(network.InputShape, [.. nodes], network.Output);
    }

    /// <summary>input C×H×W; blocks; head.</summary>
    public override string ToString() =>
        $"input {Channels}×{Height}×{Width}{(ZeroInput ? " (zero)" : "")}; {string.Join(" → ", Blocks.Select(b => b.ToString()).Append($"{(GlobalPoolHead ? "GlobalAvgPool" : "Flatten")} → Dense({Hidden})→ReLU → Sum"))}; seed {Seed}; biases {(NonPositiveBias ? "≤ 0" : "any sign")}{(ZeroWeights ? "; zero weights" : "")}{(Dead ? "; f(x) = 0" : "")}";
}

/// <summary>A built random deep case: the network, its input, and the per-element box the input lies in.</summary>
public sealed record DeepCase(Network Network, Tensor Input, Tensor Low, Tensor High)
{
    /// <summary>z^B with this case's per-element box, shaped as the first linear layer's input.</summary>
    public ZBoxRule Box
    {
        get
        {
            var first = Network.Nodes.First(n => n.Layer is Dense or Conv2d);
            var shape = Network.ShapeOf(first.Inputs[0]);
            return new ZBoxRule(Bounds.PerElement(Low.Reshape(shape)), Bounds.PerElement(High.Reshape(shape)));
        }
    }
}
