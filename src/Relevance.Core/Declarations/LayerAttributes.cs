namespace Relevance.Declarations;

/// <summary>A layer of a declared network; layers apply in the order their attributes are written.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public abstract class LayerAttribute : Attribute
{
    /// <summary>The layer's name (for <see cref="AddAttribute"/> and reports); default Kind + position, e.g. <c>Dense0</c>.</summary>
    public string? Name { get; set; }
}

/// <summary>A fully connected layer z = Wᵀx + b over a vector input.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class DenseAttribute(int outputs) : LayerAttribute
{
    /// <summary>The number of output neurons.</summary>
    public int Outputs { get; } = outputs;
    /// <summary>This layer's rule; default: the network's composite.</summary>
    public LayerRule Rule { get; set; }
    /// <summary>The constraint on the bias, checked when weights are bound.</summary>
    public BiasConstraint Bias { get; set; }
}

/// <summary>A 2-D convolution over a [C, H, W] input with square kernels.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class Conv2dAttribute(int outChannels, int kernel) : LayerAttribute
{
    /// <summary>The number of output channels.</summary>
    public int OutChannels { get; } = outChannels;
    /// <summary>The kernel's height and width.</summary>
    public int Kernel { get; } = kernel;
    /// <summary>The stride; default 1.</summary>
    public int Stride { get; set; } = 1;
    /// <summary>Zero padding on every side; default 0.</summary>
    public int Padding { get; set; }
    /// <summary>This layer's rule; default: the network's composite.</summary>
    public LayerRule Rule { get; set; }
    /// <summary>The constraint on the bias, checked when weights are bound.</summary>
    public BiasConstraint Bias { get; set; }
}

/// <summary>The rectifier max(0, x).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class ReLUAttribute : LayerAttribute;

/// <summary>Sum-pooling: size×size windows over [C, H, W], or groups of <c>size</c> over a vector.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class SumPoolAttribute(int size) : LayerAttribute
{
    /// <summary>The window size (both axes of an image).</summary>
    public int Size { get; } = size;
    /// <summary>The stride; default the window size.</summary>
    public int Stride { get; set; }
}

/// <summary>Average-pooling: size×size windows over [C, H, W], or groups of <c>size</c> over a vector.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class AvgPoolAttribute(int size) : LayerAttribute
{
    /// <summary>The window size (both axes of an image).</summary>
    public int Size { get; } = size;
    /// <summary>The stride; default the window size.</summary>
    public int Stride { get; set; }
}

/// <summary>Max-pooling: size×size windows over [C, H, W], or groups of <c>size</c> over a vector.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class MaxPoolAttribute(int size) : LayerAttribute
{
    /// <summary>The window size (both axes of an image).</summary>
    public int Size { get; } = size;
    /// <summary>The stride; default the window size.</summary>
    public int Stride { get; set; }
}

/// <summary>Flattens [C, H, W] to a vector of C·H·W.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class FlattenAttribute : LayerAttribute;

/// <summary>Sums every element into one output, the paper's detectors' top layer.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class SumAttribute : LayerAttribute;

/// <summary>A residual connection: adds the output of the named earlier layer to the current value.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class AddAttribute(string skip) : LayerAttribute
{
    /// <summary>The name of the earlier layer whose output is added.</summary>
    public string Skip { get; } = skip;
}
