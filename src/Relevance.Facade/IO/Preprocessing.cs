using System.Collections.Immutable;

namespace Relevance.IO;

/// <summary>The order of colour channels a network expects.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (PyTorch, Keras).</summary>
    Rgb,
    /// <summary>Blue, green, red (Caffe lineage).</summary>
    Bgr,
}

/// <summary>How an image becomes a network input: x = (pixel · Scale − Mean_c) / Std_c, channel by channel, after resizing.</summary>
/// <param name="Width">The width to resize to.</param>
/// <param name="Height">The height to resize to.</param>
/// <param name="Order">The channel order of the input tensor.</param>
/// <param name="Scale">Multiplies the pixel value 0..255 (e.g. 1/255 maps to [0, 1]).</param>
/// <param name="Mean">The mean subtracted per channel (in the tensor's channel order), after scaling; or one value per element.</param>
/// <param name="Std">The standard deviation divided per channel, after subtracting the mean.</param>
/// <param name="Grayscale">One channel (the luminance) instead of three.</param>
public sealed record Preprocessing(int Width, int Height, ChannelOrder Order, double Scale, ImmutableArray<double> Mean, ImmutableArray<double> Std, bool Grayscale = false)
{
    /// <summary>The number of channels produced.</summary>
    public int Channels => Grayscale ? 1 : 3;

    /// <summary>Pixels 0..255 as they are, RGB, no normalisation.</summary>
    public static Preprocessing Raw(int width, int height, ChannelOrder order = ChannelOrder.Rgb) => new(width, height, order, 1, [0, 0, 0], [1, 1, 1]);

    /// <summary>The mean of element i (per channel, or per element when one value per element is given).</summary>
    public double MeanAt(int channel, int index) => Mean.Length == Channels * Width * Height ? Mean[index] : Mean[Mean.Length == 1 ? 0 : channel];

    /// <summary>The standard deviation of a channel.</summary>
    public double StdAt(int channel) => Std[Std.Length == 1 ? 0 : channel];

    /// <summary>Checks the parameters; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public Preprocessing Validate()
    {
        if (Width <= 0 || Height <= 0) throw new ArgumentException($"The image size must be positive, got {Width}×{Height}.");
        if (!(Scale > 0) || !double.IsFinite(Scale)) throw new ArgumentException($"The scale must be positive, got {Scale}.");
        if (Mean.Length is not 1 && Mean.Length != Channels && Mean.Length != Channels * Width * Height)
            throw new ArgumentException($"Give 1, {Channels} or {Channels * Width * Height} means, got {Mean.Length}.");
        if (Std.Length is not 1 && Std.Length != Channels) throw new ArgumentException($"Give 1 or {Channels} standard deviations, got {Std.Length}.");
        if (Std.Any(s => !(s > 0) || !double.IsFinite(s))) throw new ArgumentException("Standard deviations must be positive.");
        if (Mean.Any(m => !double.IsFinite(m))) throw new ArgumentException("Means must be finite.");
        return this;
    }

    /// <summary>The z^B box implied by the pixel range 0..255: l = (0 − μ)/σ and h = (255·scale − μ)/σ per element (docs/rules.md §3).</summary>
    public (Tensor Low, Tensor High) Bounds()
    {
        var shape = Shape.Of(Channels, Height, Width);
        var plane = Width * Height;
        var low = new double[shape.Size];
        var high = new double[shape.Size];
        for (var i = 0; i < low.Length; i++)
        {
            var c = i / plane;
            low[i] = (0 - MeanAt(c, i)) / StdAt(c);
            high[i] = (255 * Scale - MeanAt(c, i)) / StdAt(c);
        }
        return (Tensor.Own(shape, low), Tensor.Own(shape, high));
    }
}
