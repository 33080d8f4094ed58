using Relevance.Engine;

namespace Relevance.Tests.Engine;

/// <summary>A residual Add's shares x ⊙ (R ⊘ y), and the measure taken as they are written.</summary>
public class SumSharesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(1000)]
    [InlineData(2 * MeasuredHalves.Threshold + 37)]
    public void Shares_are_x_times_R_over_y_with_zero_for_a_zero_sum_and_measured_as_Relevances_Measure_measures_them(int n)
    {
        var (x, upper, y) = Operands(n);
        var lower = new float[n];
        var measure = SumShares.Write(x, upper, y, lower);
        for (var i = 0; i < n; i++)
            Assert.Equal(y[i] == 0 ? 0f : x[i] * (upper[i] / y[i]), lower[i]);
        var expected = Relevances.Measure(lower);
        // Both sum the same floats in double, in different orders (the long array in two halves): at most n roundings of
        // 2⁻⁵³ of Σ|share| each.
        var tolerance = n * Math.Pow(2, -53) * lower.Sum(v => Math.Abs((double)v));
        Assert.InRange(Math.Abs(expected.Sum - measure.Sum), 0, tolerance);
        Assert.InRange(Math.Abs(expected.NegativeMass - measure.NegativeMass), 0, tolerance);
        Assert.Equal(expected.Minimum, measure.Minimum);
    }

    // A long array's halves run on two cores or on one: the shares and their measure are the same bits either way, so an
    // input explained alone (both cores) and in a batch (one core each) gets the same report.
    [Fact]
    public void Shares_and_their_measure_are_the_same_bits_on_one_core_and_on_two()
    {
        var n = 3 * MeasuredHalves.Threshold + 5;
        var (x, upper, y) = Operands(n);
        var (alone, together) = (new float[n], new float[n]);
        (double, double, double) one;
        using (Relevance.Kernels.Parallelism.Limit(1)) one = SumShares.Write(x, upper, y, alone);
        var two = SumShares.Write(x, upper, y, together);
        Assert.Equal(one, two);
        Assert.Equal(alone, together);
    }

    private static (float[] X, float[] Upper, float[] Y) Operands(int n)
    {
        var random = new Random(n);
        var x = new float[n];
        var upper = new float[n];
        var y = new float[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = (float)(random.NextDouble() * 2 - 1);
            upper[i] = (float)(random.NextDouble() * 2 - 1);
            // Every fifth sum is zero: its share is 0, not ±∞ or NaN.
            y[i] = i % 5 == 0 ? 0f : x[i] + (float)(random.NextDouble() * 2 - 1);
        }
        return (x, upper, y);
    }
}
