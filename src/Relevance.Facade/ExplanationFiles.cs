using Relevance.IO;

namespace Relevance;

/// <summary>Writes an explanation as files people open: the heatmap, the heatmap over the photo, and the relevance as .npy.</summary>
/// <remarks>Each file is written atomically (a temporary file beside it, then a rename): a reader sees the old file or the new one.</remarks>
public static class ExplanationFiles
{
    /// <summary>The heatmap as PNG: red positive, blue negative, white zero, symmetric about 0, channels summed.</summary>
    public static void WriteHeatmapPng(this Explanation explanation, string path) => AtomicFile.Write(path, s => explanation.WriteHeatmapPng(s));

    /// <summary>The heatmap as PNG, into a stream.</summary>
    public static void WriteHeatmapPng(this Explanation explanation, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        using var bitmap = HeatmapImage.Render(explanation.Heatmap);
        HeatmapImage.WritePng(stream, bitmap);
    }

    /// <summary>The heatmap over the photo it explains (cropped and resized as the input was), as PNG.</summary>
    /// <exception cref="ArgumentException">The heatmap is not an image's ([C, H, W]).</exception>
    /// <exception cref="ImageFormatException">The photo cannot be decoded, or has more than <paramref name="maxPixels"/> pixels.</exception>
    public static void WriteOverlayPng(this Explanation explanation, string path, string photo, long maxPixels = Images.DefaultMaxPixels) =>
        AtomicFile.Write(path, s => explanation.WriteOverlayPng(s, photo, maxPixels));

    /// <summary>The heatmap over the photo it explains, as PNG, into a stream.</summary>
    public static void WriteOverlayPng(this Explanation explanation, Stream stream, string photo, long maxPixels = Images.DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        var shape = explanation.Shape;
        if (shape.Rank != 3) throw new ArgumentException($"An overlay needs an image's heatmap [C, H, W], not {shape}.", nameof(explanation));
        using var picture = Images.Load(photo, shape[2], shape[1], maxPixels);
        using var over = HeatmapImage.Overlay(picture, explanation.Heatmap);
        HeatmapImage.WritePng(stream, over);
    }

    /// <summary>The relevance as a float32 .npy array with a batch axis of 1 before the input's shape.</summary>
    public static void WriteNpy(this Explanation explanation, string path)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        Npy.Write(path, [1, .. explanation.Shape.Dims], explanation.HeatmapSingles());
    }
}
