using Relevance.Kernels;
using Relevance.Samples;

namespace Relevance.Generators.Tests;

/// <summary>Weights in PyTorch's [out, in] layout bind through <see cref="LayerParameters.Dense"/>; a transposed matrix of the right size is refused.</summary>
public class BindingLayoutTests
{
    private static float[] Values(Random rng, int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 0.1 - 0.05))];

    [Fact]
    public void An_outputs_by_inputs_matrix_binds_as_its_transpose()
    {
        var rng = new Random(3);
        var (inputs, outputs) = (1568, 400);
        var inputMajor = Values(rng, inputs * outputs);
        var bias = Values(rng, outputs).Select(b => -Math.Abs(b)).ToArray();
        var outputMajor = Weights.Transpose(inputMajor, inputs, outputs);
        var a = OneLayerDetector.Bind([LayerParameters.Dense(inputs, outputs, inputMajor, bias)]);
        var b = OneLayerDetector.Bind([LayerParameters.Dense(inputs, outputs, outputMajor, bias, WeightLayout.OutputsByInputs)]);
        var x = RandomNetworks.Input(new Random(4), inputs, -0.5f, 1.5f);
        var (ha, hb) = (new float[inputs], new float[inputs]);
        Assert.Equal(a.Explain(x, ha), b.Explain(x, hb));
        Assert.Equal(ha, hb);
    }

    [Fact]
    public void A_matrix_given_with_the_dimensions_swapped_is_refused_as_transposed()
    {
        var rng = new Random(5);
        var swapped = LayerParameters.Dense(400, 1568, Values(rng, 400 * 1568), new float[1568]);
        var e = Assert.Throws<ArgumentException>(() => OneLayerDetector.Bind([swapped]));
        Assert.Contains("[1568×400], got [400×1568] (transposed: give WeightLayout.OutputsByInputs", e.Message);
        Assert.Throws<ArgumentException>(() => LayerParameters.Dense(3, 4, new float[11], new float[4]));
    }
}
