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
    public void Shares_are_x_times_R_over_y_with_zero_for_a_zero_sum_and_measured_as_Relevances_Measure_measures_them(int n)
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
        var lower = new float[n];
        var measure = SumShares.Write(x, upper, y, lower);
        for (var i = 0; i < n; i++)
            Assert.Equal(y[i] == 0 ? 0f : x[i] * (upper[i] / y[i]), lower[i]);
        var expected = Relevances.Measure(lower);
        // Both sum the same floats in double, in different orders: at most n roundings of 2⁻⁵³ of Σ|share| each, far below
        // 1e-12 of Σ|share| for n ≤ 1000.
        var scale = lower.Sum(v => Math.Abs((double)v));
        Assert.InRange(Math.Abs(expected.Sum - measure.Sum), 0, 1e-12 * scale);
        Assert.InRange(Math.Abs(expected.NegativeMass - measure.NegativeMass), 0, 1e-12 * scale);
        Assert.Equal(expected.Minimum, measure.Minimum);
    }
}
