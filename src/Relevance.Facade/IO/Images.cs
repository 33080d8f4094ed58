using SkiaSharp;

namespace Relevance.IO;

/// <summary>A picture that cannot be decoded; the message names the file.</summary>
public sealed class ImageFormatException(string message) : Exception(message);

/// <summary>Reads photos (PNG, JPEG, …) into network inputs through SkiaSharp.</summary>
public static class Images
{
    /// <summary>The default limit on a decoded image's pixels: 100 million (a 10 000 × 10 000 photo), checked from its header before decoding.</summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>Decodes an image file into RGBA pixels: the central crop with the target's aspect ratio, resized to width × height.</summary>
    /// <exception cref="ImageFormatException">The file is missing, not an image, larger than <paramref name="maxPixels"/> by its header, truncated or corrupt.</exception>
    public static SKBitmap Load(string path, int width, int height, long maxPixels = DefaultMaxPixels)
    {
        if (!File.Exists(path)) throw new ImageFormatException($"The image '{path}' does not exist.");
        using var codec = SKCodec.Create(path, out var opened);
        return CropAndResize(Decode(codec, opened, path, maxPixels), path, width, height);
    }

    /// <summary>Decodes an image held in memory (an upload, named <paramref name="name"/> in messages), as <see cref="Load(string, int, int, long)"/> does a file.</summary>
    /// <exception cref="ImageFormatException">The bytes are not an image, larger than <paramref name="maxPixels"/> by its header, truncated or corrupt.</exception>
    public static SKBitmap Load(ReadOnlySpan<byte> bytes, string name, int width, int height, long maxPixels = DefaultMaxPixels)
    {
        if (bytes.IsEmpty) throw new ImageFormatException($"'{name}' is empty.");
        using var data = SKData.CreateCopy(bytes);
        // The codec owns the stream it was made from; without a codec, the stream is ours to release.
        var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var opened);
        if (codec is null) stream.Dispose();
        return CropAndResize(Decode(codec, opened, name, maxPixels), name, width, height);
    }

    private static SKBitmap CropAndResize(SKBitmap whole, string name, int width, int height)
    {
        using var decoded = whole;
        var (cw, ch) = decoded.Width * height > decoded.Height * width
            ? (decoded.Height * width / height, decoded.Height)
            : (decoded.Width, decoded.Width * height / width);
        using var cropped = new SKBitmap(Math.Max(1, cw), Math.Max(1, ch), SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (!decoded.ExtractSubset(cropped, SKRectI.Create((decoded.Width - cw) / 2, (decoded.Height - ch) / 2, cw, ch)))
            throw new ImageFormatException($"'{name}' could not be cropped.");
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        return cropped.Resize(info, new SKSamplingOptions(SKCubicResampler.Mitchell))
            ?? throw new ImageFormatException($"'{name}' could not be resized to {width}×{height}.");
    }

    // The whole image, decoded only after its header's size is checked, and refused when the data ends early or is damaged
    // (a decoder would otherwise fill the missing rows with black).
    private static SKBitmap Decode(SKCodec? codec, SKCodecResult opened, string path, long maxPixels)
    {
        if (codec is null) throw new ImageFormatException($"'{path}' is not an image SkiaSharp can decode (PNG, JPEG, WebP, BMP, GIF): {opened}.");
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if (w <= 0 || h <= 0) throw new ImageFormatException($"'{path}' declares a size of {w}×{h}.");
        if ((long)w * h > maxPixels)
            throw new ImageFormatException($"'{path}' is {w}×{h} = {(long)w * h:N0} pixels by its header, more than the limit of {maxPixels:N0}; it was not decoded.");
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new ImageFormatException($"'{path}' could not be decoded whole ({result}): it is truncated or corrupt.");
        }
        return bitmap;
    }

    /// <summary>The network input [C, H, W] for an image file of at most <paramref name="maxPixels"/> pixels.</summary>
    public static Tensor ToTensor(string path, Preprocessing pre, long maxPixels = DefaultMaxPixels)
    {
        pre.Validate();
        using var bitmap = Load(path, pre.Width, pre.Height, maxPixels);
        return ToTensor(bitmap, pre);
    }

    /// <summary>The network input [C, H, W] for decoded pixels of the preprocessing's size.</summary>
    public static Tensor ToTensor(SKBitmap bitmap, Preprocessing pre)
    {
        var (w, h, plane) = (pre.Width, pre.Height, pre.Width * pre.Height);
        var data = new double[pre.Channels * plane];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var px = bitmap.GetPixel(x, y);
                double[] rgb = pre.Grayscale ? [0.299 * px.Red + 0.587 * px.Green + 0.114 * px.Blue]
                    : pre.Order == ChannelOrder.Rgb ? [px.Red, px.Green, px.Blue] : [px.Blue, px.Green, px.Red];
                for (var c = 0; c < rgb.Length; c++)
                {
                    var i = c * plane + y * w + x;
                    data[i] = (rgb[c] * pre.Scale - pre.MeanAt(c, i)) / pre.StdAt(c);
                }
            }
        return Tensor.Own(Shape.Of(pre.Channels, h, w), data);
    }
}
