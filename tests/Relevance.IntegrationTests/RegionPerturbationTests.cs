using Relevance.Experiments;

namespace Relevance.IntegrationTests;

/// <summary>Region perturbation's pieces on inputs small enough to work out by hand: the order of regions, the curve of
/// drops, and the AOPC's standard errors, plain and paired.</summary>
public class RegionPerturbationTests
{
    // Two channels of 4 × 6 cut into 2 × 2 regions: 2 rows of 3 regions.
    private static readonly RegionPerturbation Grid = new(2, 4, 6, 2);

    [Fact]
    public void Regions_are_ordered_by_summed_relevance_with_ties_in_region_order()
    {
        // Region sums: r0 = 4, r1 = −4, r2 = 4, r3 = 8, r4 = 0, r5 = 1 (a region spans rows 2r..2r+1 and columns 2c..2c+1).
        double[] map =
        [
            1, 1, -1, -1, 2, 2,
            1, 1, -1, -1, 0, 0,
            2, 2, 0, 0, 1, 0,
            2, 2, 0, 0, 0, 0,
        ];
        Assert.Equal([3, 0, 2, 5, 4, 1], Grid.MostRelevantFirst(map));
        Assert.Equal(6, Grid.Count);
        Assert.Throws<ArgumentException>(() => Grid.MostRelevantFirst(new double[23]));
    }

    [Fact]
    public void Each_step_replaces_one_region_in_every_channel_and_measures_the_fall_of_f()
    {
        // f = Σ x, x = 1 everywhere, replacements 0: each region replaced across both channels takes 2 × 4 from f.
        var x = Enumerable.Repeat(1f, 48).ToArray();
        var replacement = new float[48];
        var drops = Grid.Drops(v => v.Sum(), x, replacement, [4, 0, 1], 3);
        Assert.Equal([0, 8, 16, 24], drops);
        // Which values were replaced: f reads only the top-left region of the second channel (indices 24, 25, 30, 31).
        var replaced = Grid.Drops(v => v[24] + v[25] + v[30] + v[31], x, replacement, [1, 0], 2);
        Assert.Equal([0, 0, 4], replaced);
        // Steps beyond the regions stop at the last one; the input is not changed.
        Assert.Equal(7, Grid.Drops(v => v.Sum(), x, replacement, [0, 1, 2, 3, 4, 5], 40).Length);
        Assert.All(x, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Aopc_is_the_mean_drop_and_its_errors_are_over_examples_plain_and_paired()
    {
        var a = RegionPerturbation.Summarise("a", [[0, 2, 4], [0, 4, 8], [0, 6, 12]]);
        var b = RegionPerturbation.Summarise("b", [[0, 1, 2], [0, 3, 6], [0, 5, 10]]);
        Assert.Equal([0d, 4, 8], a.Drop.ToArray());
        Assert.Equal([2d, 4, 6], a.PerExample.ToArray());
        Assert.Equal(4, a.Aopc, 12);
        // Sample standard deviation of 2, 4, 6 is 2; over √3.
        Assert.Equal(2 / Math.Sqrt(3), a.StandardError, 12);
        // a leads b by exactly 1 on every example: the paired error is 0 where the plain ones are not.
        var (lead, error) = a.Versus(b);
        Assert.Equal(1, lead, 12);
        Assert.Equal(0, error, 12);
        Assert.True(double.IsNaN(RegionPerturbation.Summarise("one", [[0, 1]]).StandardError));
    }
}
