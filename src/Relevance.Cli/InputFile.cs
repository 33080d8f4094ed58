using System.Collections.Immutable;
using System.Globalization;
using Relevance.IO;
using Relevance.Onnx;

namespace Relevance.Cli;

/// <summary>An input to explain as loaded from the command line: the batch of tensors, their shape as stored, and the z^B box it implies.</summary>
/// <param name="Data">The inputs, laid end to end.</param>
/// <param name="Batch">How many inputs.</param>
/// <param name="StoredShape">The shape as stored, batch axis first.</param>
/// <param name="Preprocessing">How an image input was mapped; null for .npy.</param>
/// <param name="Range">The smallest interval holding 0 and a .npy input's values; null for an image.</param>
/// <param name="BoundsSource">Where the z^B box comes from, for the report.</param>
/// <param name="ImagePath">The photo, for an image input.</param>
internal sealed record InputFile(float[] Data, int Batch, ImmutableArray<int> StoredShape, Preprocessing? Preprocessing, (double Low, double High)? Range,
    string BoundsSource, string? ImagePath)
{
    /// <summary>The first layer's z^B rule implied by the input: the preprocessing's pixel range, or the data's range for .npy.</summary>
    public ZBoxRule Box(Network network) =>
        Preprocessing is not null ? Explainer.InputBox(network, Preprocessing) : Rules.ZBox(Range!.Value.Low, Range.Value.High);

    /// <summary>Reads a .npy tensor (used exactly as stored, batch axis included) or an image (preprocessed to the model's input).</summary>
    public static InputFile Load(string path, ImportedModel model, ImageInput image, long maxPixels = Images.DefaultMaxPixels)
    {
        var sample = model.Network.InputShape;
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var array = Npy.Read(path);
            if (array.Shape.Length != sample.Rank + 1 || !array.Shape.Skip(1).SequenceEqual(sample.Dims) || array.Shape[0] < 1)
                throw new InvalidInputException($"'{path}' has shape ({string.Join(", ", array.Shape)}); the model '{model.InputName}' takes (N, {string.Join(", ", sample.Dims)}).");
            var (data, (low, high)) = NpyValues(array, path);
            return new InputFile(data, array.Shape[0], array.Shape, null, (low, high),
                string.Create(CultureInfo.InvariantCulture, $"the data's range [{low:G4}, {high:G4}] (no preprocessing is known for .npy input; pass --bounds)"), null);
        }
        if (!TakesImages(sample))
            throw new InvalidInputException($"'{path}' is an image, but the model takes {sample}, not a 1- or 3-channel image; give a .npy tensor.");
        var pre = PreprocessingOptions.For(image, sample);
        var tensor = Images.ToTensor(path, pre, maxPixels);
        return new InputFile(tensor.ToSingles(), 1, [1, .. sample.Dims], pre, null, "the preprocessing's pixel range 0..255", path);
    }

    /// <summary>Whether an input of this shape is a 1- or 3-channel image.</summary>
    public static bool TakesImages(Shape sample) => sample.Rank == 3 && sample[0] is 1 or 3;

    /// <summary>A .npy tensor's values, refused when one is not finite, and the smallest interval holding 0 and them.</summary>
    /// <remarks>Without preprocessing to derive a box from, that interval is z^B's box.</remarks>
    public static (float[] Data, (double Low, double High) Range) NpyValues(NpyArray array, string name)
    {
        var data = array.Data.ToArray();
        for (var i = 0; i < data.Length; i++)
            if (!float.IsFinite(data[i])) throw new InvalidInputException($"'{name}' holds a non-finite value ({data[i]}) at flat index {i}.");
        return (data, (Math.Min(0, data.Min()), Math.Max(0, data.Max())));
    }
}
