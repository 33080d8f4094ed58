using System.Collections.Immutable;
using Relevance.IO;

namespace Relevance;

/// <summary>How a photo becomes a network input: the channel order and x = (pixel · Scale − Mean_c) / Std_c, at the model's size.</summary>
/// <remarks>Its pixel range 0..255 also gives the input box of z^B on the first layer: l = (0 − μ)/σ, h = (255·Scale − μ)/σ
/// per element (docs/rules.md, "The input box").</remarks>
/// <param name="Order">The channel order the model expects.</param>
/// <param name="Scale">Multiplies the pixel value 0..255 (1/255 maps to [0, 1]).</param>
/// <param name="Mean">The mean subtracted per channel (in the model's channel order), after scaling: one value, one per channel, or one per element.</param>
/// <param name="Std">The standard deviation divided per channel: one value or one per channel.</param>
public sealed record ImageInput(ChannelOrder Order, double Scale, ImmutableArray<double> Mean, ImmutableArray<double> Std)
{
    /// <summary>RGB pixels scaled to [0, 1], not normalised.</summary>
    public static ImageInput UnitRange { get; } = new(ChannelOrder.Rgb, 1.0 / 255, [0], [1]);

    /// <summary>RGB scaled to [0, 1] and normalised with the ImageNet means and standard deviations (torchvision's models).</summary>
    public static ImageInput ImageNet { get; } = new(ChannelOrder.Rgb, 1.0 / 255, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    /// <summary>Pixels 0..255 as they are, in the given channel order (Caffe-lineage models such as SqueezeNet 1.1).</summary>
    public static ImageInput Raw(ChannelOrder order = ChannelOrder.Rgb) => new(order, 1, [0], [1]);

    /// <summary>The preprocessing of this mapping for a model input of the given shape ([1 or 3, H, W]).</summary>
    /// <exception cref="InvalidInputException">The model does not take a one- or three-channel image.</exception>
    /// <exception cref="ArgumentException">A parameter is out of range (non-positive scale or deviation, a wrong number of means).</exception>
    public Preprocessing For(Shape input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3 || input[0] is not (1 or 3))
            throw new InvalidInputException($"The model takes inputs of shape {input}, not a one- or three-channel image [C, H, W]; give it tensors instead of photos.");
        return new Preprocessing(input[2], input[1], Order, Scale, Mean, Std, Grayscale: input[0] == 1).Validate();
    }
}
