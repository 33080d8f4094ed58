using Relevance.IO;
using SkiaSharp;

namespace Relevance.IntegrationTests;

/// <summary>Heatmap pictures, pixel by pixel: the colour scale's value in every zoomed block, and an overlay's mix of grey
/// photo and colour, the same whichever way the photo's pixels are stored.</summary>
public class HeatmapImageTests
{
    [Fact]
    public void Every_pixel_of_a_zoomed_heatmap_has_its_values_colour()
    {
        // 5 × 3 values, channels summed: the largest magnitude is full red (positive) or blue (negative), zero is white.
        float[] values = [1, -2, 0, 0.5f, 4, -4, 0, 3, -1, 2, 0.25f, -0.5f, 1.5f, 0, -3];
        var relevance = Tensor.FromSingles(Shape.Of(1, 3, 5), values);
        using var bitmap = HeatmapImage.Render(relevance);
        var zoom = (224 + 5 - 1) / 5;
        Assert.Equal((5 * zoom, 3 * zoom), (bitmap.Width, bitmap.Height));
        for (var y = 0; y < bitmap.Height; y++)
            for (var x = 0; x < bitmap.Width; x++)
                Assert.Equal(HeatmapImage.Color(values[y / zoom * 5 + x / zoom], 4), bitmap.GetPixel(x, y));
        Assert.Equal(new SKColor(255, 0, 0), bitmap.GetPixel(4 * zoom, 0));
        Assert.Equal(new SKColor(0, 0, 255), bitmap.GetPixel(0, zoom));
        Assert.Equal(SKColors.White, bitmap.GetPixel(2 * zoom, 0));
    }

    [Fact]
    public void A_written_png_decodes_to_the_pictures_pixels()
    {
        var rng = new Random(7);
        var relevance = Tensor.FromSingles(Shape.Of(3, 31, 23), [.. Enumerable.Range(0, 3 * 31 * 23).Select(_ => (float)(rng.NextDouble() - 0.4))]);
        using var photo = new SKBitmap(23, 31, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bytes = photo.GetPixelSpan();
        rng.NextBytes(bytes);
        for (var i = 3; i < bytes.Length; i += 4) bytes[i] = 255;
        using var heatmap = HeatmapImage.Render(relevance);
        using var overlay = HeatmapImage.Overlay(photo, relevance);
        foreach (var picture in new[] { heatmap, overlay })
        {
            using var png = new MemoryStream();
            HeatmapImage.WritePng(png, picture);
            png.Position = 0;
            using var decoded = SKBitmap.Decode(png);
            Assert.Equal((picture.Width, picture.Height), (decoded.Width, decoded.Height));
            for (var y = 0; y < picture.Height; y++)
                for (var x = 0; x < picture.Width; x++)
                    Assert.Equal(picture.GetPixel(x, y), decoded.GetPixel(x, y));
        }
    }

    [Fact]
    public void An_overlay_mixes_grey_and_colour_alike_whatever_the_photos_pixel_format()
    {
        var rng = new Random(5);
        const int w = 13, h = 9;
        var relevance = Tensor.FromSingles(Shape.Of(3, h, w), [.. Enumerable.Range(0, 3 * h * w).Select(i => i % 5 == 0 ? 0f : (float)(rng.NextDouble() - 0.4))]);
        // As Images.Load gives a photo (unpremultiplied RGBA, read where it lies), and as BGRA (read through GetPixel).
        using var rgba = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bytes = rgba.GetPixelSpan();
        rng.NextBytes(bytes);
        for (var i = 3; i < bytes.Length; i += 4) bytes[i] = 255;
        using var bgra = rgba.Copy(SKColorType.Bgra8888);
        using var fromRgba = HeatmapImage.Overlay(rgba, relevance);
        using var fromBgra = HeatmapImage.Overlay(bgra, relevance);
        var (map, _, _) = HeatmapImage.Map(relevance);
        var scale = map.Max(Math.Abs);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var p = rgba.GetPixel(x, y);
                var grey = (0.299 * p.Red + 0.587 * p.Green + 0.114 * p.Blue) * 0.6 + 40;
                var c = HeatmapImage.Color(map[y * w + x], scale);
                var a = Math.Min(1, Math.Abs(map[y * w + x]) / scale * 2);
                byte Mix(byte colour) => (byte)Math.Round(a * colour + (1 - a) * grey);
                var expected = new SKColor(Mix(c.Red), Mix(c.Green), Mix(c.Blue));
                Assert.Equal(expected, fromRgba.GetPixel(x, y));
                Assert.Equal(expected, fromBgra.GetPixel(x, y));
            }
    }
}
