using System.Collections.Immutable;

namespace Relevance.Tests;

/// <summary>Layer parameters keep the precision they came in and read as doubles.</summary>
public class ParameterArrayTests
{
    [Fact]
    public void Single_and_double_storage_read_the_same_values()
    {
        var singles = ParameterArray.Own([0.5f, -0.25f, 3f]);
        ParameterArray doubles = [0.5, -0.25, 3.0];
        Assert.True(singles.IsSingle);
        Assert.False(doubles.IsSingle);
        Assert.Equal(doubles.ToArray(), singles.ToArray());
        Assert.Equal([0.5f, -0.25f, 3f], doubles.ToSingles());
        Assert.Equal(-0.25, singles[1]);
        Assert.Equal(3, singles.Count);
        Assert.Throws<InvalidOperationException>(() => doubles.AsSingleSpan().Length);
    }

    [Fact]
    public void Equality_is_that_of_the_storage_as_for_arrays()
    {
        var values = ImmutableArray.Create(1.0, 2.0);
        ParameterArray a = values, b = values;
        Assert.Equal(a, b);
        Assert.NotEqual(a, ParameterArray.Create([1.0, 2.0]));
        Assert.Equal(new Dense(1, 2, values, [0, 0]).Weights, new Dense(1, 2, values, [0, 0]).Weights);
    }

    [Fact]
    public void Non_finite_parameters_are_refused_in_either_precision()
    {
        Assert.Throws<ArgumentException>(() => new Dense(1, 2, ParameterArray.Own([1f, float.NaN]), [0, 0]));
        Assert.Throws<ArgumentException>(() => new Dense(1, 2, [1.0, double.PositiveInfinity], [0, 0]));
        Assert.Equal(1, ParameterArray.Own([0f, float.NegativeInfinity]).IndexOfNonFinite());
    }

    [Fact]
    public void Folding_a_batch_norm_keeps_float32_weights_float32()
    {
        var dense = new Dense(2, 2, ParameterArray.Own([1f, 2f, 3f, 4f]), [0, 0]);
        var bn = new BatchNorm([2, 0.5], [0, 0], [0, 0], [1, 1], 0);
        var network = new Network(Shape.Of(2), [new Node("d", dense, [Network.InputName]), new Node("bn", bn, ["d"])], "bn");
        var folded = (Dense)Canonizers.Canonize(network).Nodes.Single().Layer;
        Assert.True(folded.Weights.IsSingle);
        Assert.Equal([2.0, 1.0, 6.0, 2.0], folded.Weights.ToArray());
    }
}
