using Relevance.Specification;

namespace Relevance.Tests;

/// <summary>Proposition 9: the paper's "no" cells, as deterministic searches over seeded random networks that must find a counterexample.</summary>
public class CounterexampleTests
{
    [Theory]
    [InlineData("sensitivity (∂f/∂x)²")]
    [InlineData("LRP ε (ε = 0.01)")]
    public void Not_conservative(string method)
    {
        var row = ConsistencyTable.Measure(method, SpecPropertyAttribute.Cases);
        Assert.True(row.WorstError >= Tolerances.Counterexample, $"{method}: no conservation counterexample in {row.Cases} networks (worst {row.WorstError:G3})");
    }

    [Theory]
    [InlineData("deep Taylor z")]
    [InlineData("LRP α2β1")]
    [InlineData("LRP ε (ε = 0.01)")]
    public void Not_positive(string method)
    {
        var row = ConsistencyTable.Measure(method, SpecPropertyAttribute.Cases);
        Assert.True(row.WorstMinimum <= -Tolerances.Counterexample, $"{method}: no negative relevance in {row.Cases} networks (minimum {row.WorstMinimum:G3})");
    }

    [Fact]
    public void The_whole_table_agrees_with_the_paper()
    {
        var rows = ConsistencyTable.Measure(SpecPropertyAttribute.Cases, seed: 1000);
        Assert.All(rows, r => Assert.True(r.Agrees, $"{r.Method} disagrees: error {r.WorstError:G3}, minimum {r.WorstMinimum:G3}"));
    }
}
