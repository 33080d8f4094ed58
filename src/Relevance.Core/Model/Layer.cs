using System.Collections.Immutable;

namespace Relevance;

/// <summary>A layer of a network: a closed hierarchy of records, each holding its parameters.</summary>
/// <remarks>Shapes are per sample: images are [C, H, W], vectors [N]. Shape inference lives in <see cref="ShapeInference"/>.</remarks>
public abstract record Layer
{
    private protected Layer() { }

    /// <summary>A short name of the layer kind (Dense, Conv2d, …).</summary>
    public virtual string Kind => GetType().Name;

    private protected static ImmutableArray<double> Require(ImmutableArray<double> values, int length, string what, string layer)
    {
        if (values.IsDefault) throw new ArgumentException($"{layer}: {what} are missing.");
        Require((ParameterArray)values, length, what, layer);
        return values;
    }

    private protected static ParameterArray Require(ParameterArray values, int length, string what, string layer)
    {
        if (values is null) throw new ArgumentException($"{layer}: {what} are missing.");
        if (values.Length != length) throw new ArgumentException($"{layer}: expected {length} {what}, got {values.Length}.");
        var bad = values.IndexOfNonFinite();
        if (bad >= 0) throw new ArgumentException($"{layer}: {what} contain a non-finite value ({values[bad]}).");
        return values;
    }

    private protected static int Positive(int value, string what, string layer) =>
        value > 0 ? value : throw new ArgumentException($"{layer}: {what} must be positive, got {value}.");
}

/// <summary>A fully connected layer z_j = Σ_i x_i w_ij + b_j; weights are row-major W[i, j] (inputs × outputs).</summary>
public sealed record Dense : Layer
{
    /// <summary>Creates a dense layer from its weight matrix (inputs × outputs, row-major) and biases.</summary>
    public Dense(int inputs, int outputs, ParameterArray weights, ParameterArray bias)
    {
        Inputs = Positive(inputs, "inputs", "Dense");
        Outputs = Positive(outputs, "outputs", "Dense");
        Weights = Require(weights, inputs * outputs, "weights", "Dense");
        Bias = Require(bias, outputs, "biases", "Dense");
    }

    /// <summary>The number of inputs i.</summary>
    public int Inputs { get; }
    /// <summary>The number of outputs j.</summary>
    public int Outputs { get; }
    /// <summary>w_ij at index i · Outputs + j.</summary>
    public ParameterArray Weights { get; }
    /// <summary>b_j.</summary>
    public ParameterArray Bias { get; }

    /// <summary>The weight w_ij.</summary>
    public double W(int i, int j) => Weights[i * Outputs + j];
}

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

    /// <summary>Creates a convolution with a square stride and per-border zero padding.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelHeight, int kernelWidth,
        ParameterArray weights, ParameterArray bias, int stride, Padding2d pads)
    {
        InChannels = Positive(inChannels, "input channels", "Conv2d");
        OutChannels = Positive(outChannels, "output channels", "Conv2d");
        KernelHeight = Positive(kernelHeight, "kernel height", "Conv2d");
        KernelWidth = Positive(kernelWidth, "kernel width", "Conv2d");
        Stride = Positive(stride, "stride", "Conv2d");
        Pads = pads.Validate("Conv2d");
        Weights = Require(weights, outChannels * inChannels * kernelHeight * kernelWidth, "weights", "Conv2d");
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
    /// <summary>Weights [out, in, kh, kw], row-major.</summary>
    public ParameterArray Weights { get; }
    /// <summary>One bias per output channel.</summary>
    public ParameterArray Bias { get; }

    /// <summary>The flat index of weight [o, c, ky, kx].</summary>
    public int WeightIndex(int o, int c, int ky, int kx) => ((o * InChannels + c) * KernelHeight + ky) * KernelWidth + kx;
}

/// <summary>The rectifier x_j = max(0, z_j).</summary>
public sealed record ReLU : Layer;

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
}

/// <summary>Average over all spatial positions: [C, H, W] → [C].</summary>
public sealed record GlobalAvgPool : Layer;

/// <summary>The sum of all inputs, x_k = Σ_j x_j: the paper's sum-pooling output neuron ([…] → [1]).</summary>
public sealed record Sum : Layer;

/// <summary>Views the input as a vector.</summary>
public sealed record Flatten : Layer;

/// <summary>Views the input with another shape of the same size.</summary>
public sealed record Reshape(Shape Target) : Layer;

/// <summary>Element-wise sum of two or more inputs of one shape (a residual connection).</summary>
public sealed record Add : Layer;

/// <summary>Concatenation along the first (channel) axis.</summary>
public sealed record Concat : Layer;

/// <summary>Inference-time batch normalisation over the first (channel) axis.</summary>
public sealed record BatchNorm : Layer
{
    /// <summary>Creates a batch normalisation y = γ (x − μ) / √(σ² + ε) + β per channel.</summary>
    public BatchNorm(ImmutableArray<double> scale, ImmutableArray<double> shift, ImmutableArray<double> mean, ImmutableArray<double> variance, double epsilon = 1e-5)
    {
        if (scale.IsDefaultOrEmpty) throw new ArgumentException("BatchNorm: the scale is empty.");
        var n = scale.Length;
        Scale = Require(scale, n, "scales", "BatchNorm");
        Shift = Require(shift, n, "shifts", "BatchNorm");
        Mean = Require(mean, n, "means", "BatchNorm");
        Variance = Require(variance, n, "variances", "BatchNorm");
        foreach (var v in variance)
            if (v < 0) throw new ArgumentException($"BatchNorm: variances must be non-negative, got {v}.");
        Epsilon = epsilon >= 0 && double.IsFinite(epsilon) ? epsilon : throw new ArgumentException($"BatchNorm: epsilon must be finite and ≥ 0, got {epsilon}.");
    }

    /// <summary>γ per channel.</summary>
    public ImmutableArray<double> Scale { get; }
    /// <summary>β per channel.</summary>
    public ImmutableArray<double> Shift { get; }
    /// <summary>Running mean μ per channel.</summary>
    public ImmutableArray<double> Mean { get; }
    /// <summary>Running variance σ² per channel.</summary>
    public ImmutableArray<double> Variance { get; }
    /// <summary>ε added to the variance.</summary>
    public double Epsilon { get; }
    /// <summary>The number of channels.</summary>
    public int Channels => Scale.Length;

    /// <summary>The per-channel multiplier γ / √(σ² + ε).</summary>
    public double Multiplier(int c) => Scale[c] / Math.Sqrt(Variance[c] + Epsilon);
}

/// <summary>Local response normalisation across channels (AlexNet, GoogLeNet):
/// y_c = x_c / (k + α/n · Σ_{c' near c} x_c'²)^β over a window of n channels, as ONNX defines it.</summary>
/// <remarks>The relevance pass bypasses it (R passes through unchanged), as the paper does for its ILSVRC networks (docs/rules.md §5).</remarks>
public sealed record LocalResponseNorm : Layer
{
    /// <summary>Creates the layer; the window size must be positive, α, β and k finite, k &gt; 0.</summary>
    public LocalResponseNorm(int size, double alpha = 1e-4, double beta = 0.75, double bias = 1)
    {
        Size = Positive(size, "window size", "LocalResponseNorm");
        if (!double.IsFinite(alpha) || !double.IsFinite(beta) || !(bias > 0) || !double.IsFinite(bias))
            throw new ArgumentException($"LocalResponseNorm: α, β must be finite and k positive, got α = {alpha}, β = {beta}, k = {bias}.");
        (Alpha, Beta, Bias) = (alpha, beta, bias);
    }

    /// <summary>n, the number of channels in the window.</summary>
    public int Size { get; }
    /// <summary>α.</summary>
    public double Alpha { get; }
    /// <summary>β.</summary>
    public double Beta { get; }
    /// <summary>k.</summary>
    public double Bias { get; }

    /// <summary>The channels [first, last] in the window of channel c among <paramref name="channels"/>.</summary>
    public (int First, int Last) Window(int c, int channels) => (Math.Max(0, c - (Size - 1) / 2), Math.Min(channels - 1, c + Size / 2));
}

/// <summary>A layer that passes its input through (Dropout at inference, or LRN bypassed in the relevance pass).</summary>
public sealed record Identity(string Replaces = "Identity") : Layer;
