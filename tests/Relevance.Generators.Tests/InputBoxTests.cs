using Relevance.Declarations;
using Relevance.Kernels;

namespace Relevance.Generators.Tests;

/// <summary>A network declared with a lower bound only and z⁺ behind a Flatten: the plan takes its input as non-negative,
/// so the declared bound itself must be checked at run time.</summary>
[Network(1, 2, 2, Low = 0, FirstRule = LayerRule.ZPlus)]
[Flatten]
[Dense(3)]
[ReLU]
[Sum]
public partial record LowerBoundOnly;

public class InputBoxTests
{
    [Fact]
    public void An_input_below_a_declared_lower_bound_is_a_rule_domain_error_even_without_an_upper_bound()
    {
        var net = LowerBoundOnly.Bind([new LayerParameters([0.5f, -0.2f, 0.1f, 0.3f, 0.8f, -0.4f, -0.6f, 0.2f, 0.9f, 0.1f, -0.3f, 0.4f], [0f, 0f, 0f])]);
        var e = Assert.Throws<RuleDomainException>(() => net.Explain([1f, -0.5f, 2f, 0f], new float[4]));
        Assert.Contains("input 1 is -0.5", e.Message);
        var heatmap = new float[4];
        var f = net.Explain([1f, 0.5f, 2f, 0f], heatmap);
        Assert.True(f > 0 && Math.Abs(f - heatmap.Sum()) <= 1e-5f * f);
    }
}
