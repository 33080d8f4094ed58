namespace Relevance;

/// <summary>Views of a relevance tensor meant for people.</summary>
public static class Heatmap
{
    /// <summary>The heatmap shown for a multi-channel image: relevance summed over channels ([C, H, W] → [H, W]).</summary>
    public static Tensor SumOverChannels(Tensor relevance)
    {
        ArgumentNullException.ThrowIfNull(relevance);
        if (relevance.Shape.Rank != 3) throw new ArgumentException($"Expected a [C×H×W] relevance tensor, got {relevance.Shape}.", nameof(relevance));
        var (c, plane) = (relevance.Shape[0], relevance.Shape[1] * relevance.Shape[2]);
        var sum = new double[plane];
        for (var k = 0; k < c; k++)
            for (var p = 0; p < plane; p++) sum[p] += relevance[k * plane + p];
        return Tensor.Own(Shape.Of(relevance.Shape[1], relevance.Shape[2]), sum);
    }

    /// <summary>The largest |R|, the scale of a map that is symmetric about 0 (red positive, blue negative); 0 for an empty map.</summary>
    public static double SymmetricScale(Tensor relevance) => relevance.Data.Select(Math.Abs).DefaultIfEmpty(0).Max();
}
