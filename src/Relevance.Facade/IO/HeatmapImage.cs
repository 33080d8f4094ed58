using SkiaSharp;

namespace Relevance.IO;

/// <summary>Renders relevance as the paper's heatmaps: red positive, blue negative, white zero, symmetric about 0.</summary>
public static class HeatmapImage
{
    /// <summary>The [H, W] map shown for a relevance tensor: channels summed for [C, H, W]; a vector is shown as one row.</summary>
    public static (double[] Values, int Width, int Height) Map(Tensor relevance)
    {
        var s = relevance.Shape;
        return s.Rank switch
        {
            3 => (Heatmap.SumOverChannels(relevance).ToArray(), s[2], s[1]),
            2 => (relevance.ToArray(), s[1], s[0]),
            4 when s[0] == 1 => Map(relevance.Reshape(Shape.Of(s[1], s[2], s[3]))),
            _ => (relevance.ToArray(), relevance.Size, 1),
        };
    }

    /// <summary>The colour of a relevance value on a scale symmetric about 0 (the "bwr" map of the paper's figures).</summary>
    public static SKColor Color(double r, double scale)
    {
        var t = scale > 0 ? Math.Clamp(r / scale, -1, 1) : 0;
        var fade = (byte)Math.Round(255 * (1 - Math.Abs(t)));
        return t >= 0 ? new SKColor(255, fade, fade) : new SKColor(fade, fade, 255);
    }

    /// <summary>Renders the heatmap at least <paramref name="minimumSize"/> pixels wide (nearest-neighbour upscaling keeps pixels sharp).</summary>
    public static SKBitmap Render(Tensor relevance, int minimumSize = 224)
    {
        var (values, w, h) = Map(relevance);
        var scale = values.Select(Math.Abs).DefaultIfEmpty(0).Max();
        var zoom = Math.Max(1, (minimumSize + w - 1) / w);
        var bitmap = new SKBitmap(w * zoom, h * zoom, SKColorType.Rgba8888, SKAlphaType.Premul);
        // Written into the pixels as RGBA bytes (opaque, so premultiplied is as given) rather than through SetPixel, a native
        // call per pixel; each source row is drawn once and copied zoom − 1 times.
        var pixels = bitmap.GetPixelSpan();
        var stride = bitmap.RowBytes;
        for (var y = 0; y < h; y++)
        {
            var row = pixels.Slice(y * zoom * stride, w * zoom * 4);
            for (var x = 0; x < w; x++)
            {
                var c = Color(values[y * w + x], scale);
                for (var z = 0; z < zoom; z++) Put(row, x * zoom + z, c);
            }
            for (var z = 1; z < zoom; z++) row.CopyTo(pixels[((y * zoom + z) * stride)..]);
        }
        return bitmap;
    }

    private static void Put(Span<byte> row, int x, SKColor c) => (row[4 * x], row[4 * x + 1], row[4 * x + 2], row[4 * x + 3]) = (c.Red, c.Green, c.Blue, 255);

    /// <summary>Renders the heatmap over a photo: the photo in grey, the relevance in colour where it is strong.</summary>
    public static SKBitmap Overlay(SKBitmap photo, Tensor relevance)
    {
        var (values, w, h) = Map(relevance);
        if (w != photo.Width || h != photo.Height) throw new ArgumentException($"The heatmap is {w}×{h} but the photo is {photo.Width}×{photo.Height}.");
        var scale = values.Select(Math.Abs).DefaultIfEmpty(0).Max();
        var result = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Premul);
        var pixels = result.GetPixelSpan();
        var stride = result.RowBytes;
        // A photo as Images.Load gives it (unpremultiplied RGBA bytes) is read where it lies; any other through GetPixel.
        var direct = photo.ColorType == SKColorType.Rgba8888 && photo.AlphaType is SKAlphaType.Unpremul or SKAlphaType.Opaque;
        var source = direct ? photo.GetPixelSpan() : default;
        var sourceStride = direct ? photo.RowBytes : 0;
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var p = direct ? new SKColor(source[y * sourceStride + 4 * x], source[y * sourceStride + 4 * x + 1], source[y * sourceStride + 4 * x + 2]) : photo.GetPixel(x, y);
                var grey = (0.299 * p.Red + 0.587 * p.Green + 0.114 * p.Blue) * 0.6 + 40;
                var c = Color(values[y * w + x], scale);
                var a = scale > 0 ? Math.Min(1, Math.Abs(values[y * w + x]) / scale * 2) : 0;
                byte Mix(byte colour) => (byte)Math.Round(a * colour + (1 - a) * grey);
                Put(pixels[(y * stride)..], x, new SKColor(Mix(c.Red), Mix(c.Green), Mix(c.Blue)));
            }
        return result;
    }

    /// <summary>Encodes a bitmap as PNG and writes it atomically.</summary>
    public static void WritePng(string path, SKBitmap bitmap) => AtomicFile.Write(path, s => WritePng(s, bitmap));

    /// <summary>Encodes a bitmap as PNG into a stream.</summary>
    public static void WritePng(Stream stream, SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(bitmap);
        // zlib level 3 instead of the encoder's 6: a 224 × 224 heatmap or overlay encodes 2–3 times faster, in a file within
        // 10 % of the size (docs/batch.md); the pixels are the same, PNG being lossless.
        using var pixels = bitmap.PeekPixels() ?? throw new IOException("The bitmap has no pixels to encode.");
        using var data = pixels.Encode(Encoding) ?? throw new IOException("The bitmap could not be encoded as PNG.");
        stream.Write(data.Span);
    }

    private static readonly SKPngEncoderOptions Encoding = new(SKPngEncoderFilterFlags.AllFilters, 3);
}
