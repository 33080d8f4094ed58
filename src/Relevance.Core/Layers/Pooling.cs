using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>Which reduction a 2-D pooling layer computes over each window.</summary>
public enum PoolKind
{
    /// <summary>Σ x over the window.</summary>
    Sum,
    /// <summary>Σ x / n over the window.</summary>
    Average,
    /// <summary>max x over the window.</summary>
    Max,
    /// <summary>(Σ |x|^p)^(1/p) over the window.</summary>
    Lp,
}

/// <summary>2-D pooling over [C, H, W] with a rectangular window; padded positions are left out of the window (they are never a maximum and do not count in an average).</summary>
/// <remarks>Relevance is redistributed in proportion to the inputs of each window, or to the maximum alone with
/// <see cref="PoolingRedistribution.WinnerTakeAll"/> (docs/rules.md §4).</remarks>
public sealed record Pool2d : Layer
{
    /// <summary>Creates a pooling layer; the stride defaults to the window.</summary>
    public Pool2d(PoolKind pool, int kernelHeight, int kernelWidth, int? strideHeight = null, int? strideWidth = null, double p = 2, Padding2d pads = default)
    {
        Pads = pads.Validate($"{pool}Pool2d");
        if (pads.Top >= kernelHeight || pads.Bottom >= kernelHeight || pads.Left >= kernelWidth || pads.Right >= kernelWidth)
            throw new ArgumentException($"{pool}Pool2d: padding {pads} must be smaller than the {kernelHeight}×{kernelWidth} window.");
        Pool = pool;
        KernelHeight = Positive(kernelHeight, "window height", $"{pool}Pool2d");
        KernelWidth = Positive(kernelWidth, "window width", $"{pool}Pool2d");
        StrideHeight = Positive(strideHeight ?? kernelHeight, "stride", $"{pool}Pool2d");
        StrideWidth = Positive(strideWidth ?? kernelWidth, "stride", $"{pool}Pool2d");
        P = pool != PoolKind.Lp || (p >= 1 && double.IsFinite(p)) ? p : throw new ArgumentException($"LpPool2d: p must be a finite number ≥ 1, got {p}.");
    }

    /// <summary>The reduction.</summary>
    public PoolKind Pool { get; }
    /// <summary>SumPool2d, AveragePool2d, MaxPool2d or LpPool2d.</summary>
    public override string Kind => $"{Pool}Pool2d";
    /// <summary>Window height.</summary>
    public int KernelHeight { get; }
    /// <summary>Window width.</summary>
    public int KernelWidth { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideHeight { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideWidth { get; }
    /// <summary>The exponent of Lp pooling.</summary>
    public double P { get; }
    /// <summary>Padding per border (excluded from windows).</summary>
    public Padding2d Pads { get; }

    /// <summary>Sum pooling with a square window.</summary>
    public static Pool2d SumPool(int kernel, int? stride = null) => new(PoolKind.Sum, kernel, kernel, stride, stride);
    /// <summary>Average pooling with a square window.</summary>
    public static Pool2d AvgPool(int kernel, int? stride = null) => new(PoolKind.Average, kernel, kernel, stride, stride);
    /// <summary>Max pooling with a square window.</summary>
    public static Pool2d MaxPool(int kernel, int? stride = null) => new(PoolKind.Max, kernel, kernel, stride, stride);
    /// <summary>Lp pooling with a square window.</summary>
    public static Pool2d LpPool(double p, int kernel, int? stride = null) => new(PoolKind.Lp, kernel, kernel, stride, stride, p);

    /// <summary>The output plane's size for an input plane the window fits (shape inference has checked it).</summary>
    internal (int Height, int Width) OutputPlane(int height, int width) => Pads.Positions(height, width, KernelHeight, KernelWidth, StrideHeight, StrideWidth)
        ?? throw new ArgumentException($"{Kind}: the {KernelHeight}×{KernelWidth} window does not fit a {height}×{width} plane with padding {Pads}.");

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs)
    {
        var x = Image(node, inputs[0]);
        var (h, w) = Pads.Positions(x[1], x[2], KernelHeight, KernelWidth, StrideHeight, StrideWidth)
            ?? throw new ShapeMismatchException(node, $"the {KernelHeight}×{KernelWidth} window does not fit input {x} with padding {Pads}.");
        return Shape.Of(x[0], h, w);
    }

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0];
        var xs = x.Data.AsSpan();
        var windows = PoolWindows.Of(this, x.Shape);
        var y = new double[windows.Length];
        for (var k = 0; k < y.Length; k++)
        {
            var win = windows[k];
            y[k] = Pool switch
            {
                PoolKind.Sum => win.Sum(i => x[i]),
                PoolKind.Average => win.Sum(i => x[i]) / win.Length,
                PoolKind.Max => xs[PoolWindows.ArgMax(xs, win)],
                PoolKind.Lp => PoolWindows.LpNorm(xs, win, P),
                _ => throw new System.Diagnostics.UnreachableException(Pool.ToString()),
            };
        }
        return Tensor.Own(output, y);
    }

    internal override Redistribution Redistribute(RelevanceStep step)
    {
        var (x, upper) = (step.X, step.Upper);
        var windows = PoolWindows.Of(this, x.Shape);
        if (Pool != PoolKind.Max || step.Options.Pooling != PoolingRedistribution.WinnerTakeAll)
            return Redistribution.Of(Redistribution.Proportional(x, windows, upper), "proportional");
        var lower = new double[x.Size];
        for (var k = 0; k < windows.Length; k++) lower[PoolWindows.ArgMax(x.Data.AsSpan(), windows[k])] += upper[k];
        return Redistribution.Of(lower, "winner-take-all");
    }

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper)
    {
        var x = inputs[0];
        var windows = PoolWindows.Of(this, x.Shape);
        var xs = x.Data;
        return [Pool switch
        {
            PoolKind.Sum => Redistribution.Windows(x, windows, upper, (_, _) => 1),
            PoolKind.Average => Redistribution.Windows(x, windows, upper, (win, _) => 1.0 / win.Length),
            PoolKind.Max => Redistribution.Windows(x, windows, upper, (win, i) => i == PoolWindows.ArgMax(xs.AsSpan(), win) ? 1 : 0),
            PoolKind.Lp => Redistribution.Windows(x, windows, upper, (win, i) =>
            {
                var norm = PoolWindows.LpNorm(xs.AsSpan(), win, P);
                return norm == 0 ? 0 : Math.Sign(xs[i]) * Math.Pow(Math.Abs(xs[i]) / norm, P - 1);
            }),
            _ => throw new System.Diagnostics.UnreachableException(Pool.ToString()),
        }];
    }

    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative;
}

/// <summary>Average over all spatial positions: [C, H, W] → [C].</summary>
public sealed record GlobalAvgPool : Layer
{
    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => Shape.Of(Image(node, inputs[0])[0]);

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var x = inputs[0];
        return Tensor.Own(output, [.. PoolWindows.Global(x.Shape).Select(win => win.Sum(i => x[i]) / win.Length)]);
    }

    internal override Redistribution Redistribute(RelevanceStep step) =>
        Redistribution.Of(Redistribution.Proportional(step.X, PoolWindows.Global(step.X.Shape), step.Upper), "proportional");

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) =>
        [Redistribution.Windows(inputs[0], PoolWindows.Global(inputs[0].Shape), upper, (win, _) => 1.0 / win.Length)];

    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative;
}

/// <summary>The sum of all inputs, x_k = Σ_j x_j: the paper's sum-pooling output neuron ([…] → [1]).</summary>
public sealed record Sum : Layer
{
    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => Shape.Of(1);

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output) => Tensor.Vector(inputs[0].Sum());

    internal override Redistribution Redistribute(RelevanceStep step) =>
        Redistribution.Of(Redistribution.Proportional(step.X, [[.. Enumerable.Range(0, step.X.Size)]], step.Upper), "proportional");

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) => [[.. Enumerable.Repeat(upper[0], inputs[0].Size)]];

    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative;
}
