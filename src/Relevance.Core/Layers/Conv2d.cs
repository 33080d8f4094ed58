using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>Zero padding on the four borders of an image (ONNX allows the two ends of an axis to differ).</summary>
public readonly record struct Padding2d(int Top, int Left, int Bottom, int Right)
{
    /// <summary>The same padding on every border.</summary>
    public static Padding2d Uniform(int p) => new(p, p, p, p);

    /// <summary>No padding.</summary>
    public bool IsZero => Top == 0 && Left == 0 && Bottom == 0 && Right == 0;

    /// <summary>Rejects negative padding.</summary>
    internal Padding2d Validate(string layer) =>
        Top >= 0 && Left >= 0 && Bottom >= 0 && Right >= 0 ? this : throw new ArgumentException($"{layer}: padding must be non-negative, got {this}.");

    /// <summary>The number of positions of a window sliding over a padded [H, W] plane, or null when it does not fit.</summary>
    internal (int Height, int Width)? Positions(int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth)
    {
        var (h, w) = (height + Top + Bottom, width + Left + Right);
        return h < kernelHeight || w < kernelWidth ? null : ((h - kernelHeight) / strideHeight + 1, (w - kernelWidth) / strideWidth + 1);
    }

    /// <summary>One number when uniform, else top,left,bottom,right.</summary>
    public override string ToString() => Top == Left && Left == Bottom && Bottom == Right ? $"{Top}" : $"{Top},{Left},{Bottom},{Right}";
}

/// <summary>A 2-D cross-correlation over [C, H, W] inputs; weights are [out, in, kh, kw] (the ONNX/PyTorch layout).</summary>
public sealed record Conv2d : Layer
{
    /// <summary>Creates a convolution with a square stride and the same zero padding on every border.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelHeight, int kernelWidth,
        ParameterArray weights, ParameterArray bias, int stride = 1, int padding = 0)
        : this(inChannels, outChannels, kernelHeight, kernelWidth, weights, bias, stride, Padding2d.Uniform(padding)) { }

    /// <summary>Creates a convolution with a square stride, per-border zero padding, its channels split into
    /// <paramref name="groups"/> groups (each output reads only its group's inputs; depthwise when groups = inChannels), and
    /// its taps <paramref name="dilation"/> pixels apart (1: adjacent).</summary>
    public Conv2d(int inChannels, int outChannels, int kernelHeight, int kernelWidth,
        ParameterArray weights, ParameterArray bias, int stride, Padding2d pads, int groups = 1, int dilation = 1)
    {
        InChannels = Positive(inChannels, "input channels", "Conv2d");
        OutChannels = Positive(outChannels, "output channels", "Conv2d");
        KernelHeight = Positive(kernelHeight, "kernel height", "Conv2d");
        KernelWidth = Positive(kernelWidth, "kernel width", "Conv2d");
        Stride = Positive(stride, "stride", "Conv2d");
        Pads = pads.Validate("Conv2d");
        Groups = Positive(groups, "groups", "Conv2d");
        Dilation = Positive(dilation, "dilation", "Conv2d");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: {groups} groups must divide both {inChannels} input and {outChannels} output channels.");
        Weights = Require(weights, outChannels * (inChannels / groups) * kernelHeight * kernelWidth, "weights", "Conv2d");
        Bias = Require(bias, outChannels, "biases", "Conv2d");
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }
    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }
    /// <summary>Stride on both spatial axes.</summary>
    public int Stride { get; }
    /// <summary>Zero padding per border.</summary>
    public Padding2d Pads { get; }
    /// <summary>The number of channel groups (1: every output reads every input channel).</summary>
    public int Groups { get; }
    /// <summary>The distance between adjacent taps on both spatial axes (1: an ordinary convolution).</summary>
    public int Dilation { get; }
    /// <summary>Weights [out, in / groups, kh, kw], row-major.</summary>
    public ParameterArray Weights { get; }
    /// <summary>One bias per output channel.</summary>
    public ParameterArray Bias { get; }

    /// <summary>The input channels each output reads: in / groups.</summary>
    public int GroupInChannels => InChannels / Groups;

    /// <summary>The flat index of weight [o, c, ky, kx], c counted within output o's group.</summary>
    public int WeightIndex(int o, int c, int ky, int kx) => ((o * GroupInChannels + c) * KernelHeight + ky) * KernelWidth + kx;

    /// <summary>The same convolution with other weights and biases (a folded batch norm or bias).</summary>
    public Conv2d WithParameters(ParameterArray weights, ParameterArray bias) =>
        new(InChannels, OutChannels, KernelHeight, KernelWidth, weights, bias, Stride, Pads, Groups, Dilation);

    /// <summary>Group g alone, as a convolution of its in / groups input channels to its out / groups outputs.</summary>
    internal Conv2d Group(int g)
    {
        if (Groups == 1) return this;
        var (outs, perOut) = (OutChannels / Groups, GroupInChannels * KernelHeight * KernelWidth);
        return new Conv2d(GroupInChannels, outs, KernelHeight, KernelWidth, Weights.Slice(g * outs * perOut, outs * perOut), Bias.Slice(g * outs, outs), Stride, Pads, 1, Dilation);
    }

    /// <summary>Channels, kernel, stride, padding and groups, as messages show them.</summary>
    public string Describe() =>
        $"Conv2d {InChannels}→{OutChannels}, kernel {KernelHeight}×{KernelWidth}, stride {Stride}, padding {Pads}{(Groups > 1 ? $", {Groups} groups" : "")}{(Dilation > 1 ? $", dilation {Dilation}" : "")}";

    /// <summary>The window's extent on the two axes: (k − 1)·dilation + 1.</summary>
    internal (int Height, int Width) Extent => ((KernelHeight - 1) * Dilation + 1, (KernelWidth - 1) * Dilation + 1);

    /// <summary>The output plane's size for an input plane the kernel fits (shape inference has checked it).</summary>
    internal (int Height, int Width) OutputPlane(int height, int width) => Pads.Positions(height, width, Extent.Height, Extent.Width, Stride, Stride)
        ?? throw new ArgumentException($"{Kind}: the {KernelHeight}×{KernelWidth} kernel does not fit a {height}×{width} plane with padding {Pads}.");

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs)
    {
        var x = inputs[0];
        if (x.Rank != 3 || x[0] != InChannels)
            throw new ShapeMismatchException(node, $"Conv2d expects [{InChannels}×H×W], got {x}.");
        var (h, w) = Pads.Positions(x[1], x[2], Extent.Height, Extent.Width, Stride, Stride)
            ?? throw new ShapeMismatchException(node, $"the {KernelHeight}×{KernelWidth} kernel{(Dilation > 1 ? $" with dilation {Dilation}" : "")} does not fit input {x} with padding {Pads}.");
        return Shape.Of(OutChannels, h, w);
    }

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output) => LinearLayer.Forward(this, inputs[0], output);

    internal override Redistribution Redistribute(RelevanceStep step) => LinearLayer.Redistribute(this, step);

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) => LinearLayer.Backpropagate(this, inputs[0], upper);
}
