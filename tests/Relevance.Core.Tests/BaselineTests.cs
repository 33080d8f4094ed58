using FsCheck;
using FsCheck.Fluent;
using Relevance.Baselines;
using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests;

/// <summary>Sensitivity, gradient × input and nearest-root Taylor decomposition.</summary>
public class BaselineTests
{
    [SpecProperty]
    public Property Nearest_root_search_stops_below_a_tenth_of_f_and_the_heatmap_is_the_first_order_term() =>
        Prop.ForAll(Arbitraries.OneLayer(InputDomain.Real), s =>
        {
            var t = NearestRootTaylor.Explain(s.Network, s.Input);
            if (t.Output <= 0) return (t.Iterations == 0 && t.Heatmap.Data.All(v => v == 0)).Label("f(x) ≤ 0 needs no search");
            var fRoot = Forward.Output(s.Network, t.Root)[0];
            var gradient = Gradient.Of(s.Network, t.Root, 0);
            var expected = t.Heatmap.Data.Select((_, i) => gradient[i] * (s.Input[i] - t.Root[i]));
            return (t.Converged && fRoot < 0.1 * t.Output && fRoot == t.OutputAtRoot
                    && expected.Zip(t.Heatmap.Data).All(p => Math.Abs(p.First - p.Second) <= 1e-12 * Math.Max(1, Math.Abs(p.First))))
                .Label($"f(x) = {t.Output}, f(ξ) = {fRoot} after {t.Iterations} iterations");
        });

    [Fact]
    public void Nearest_root_on_a_linear_piece_follows_the_projection_and_dissipates_exactly_f_at_the_root()
    {
        // f(x) = max(0, x0 + x1 − 1) at x = (2, 2), f = 3, ∇f = (1, 1): half Newton steps give f = 1.5, 0.75, 0.375, 0.1875;
        // the last is the first below 0.1·3, at ξ = (0.59375, 0.59375). R_p = 1·(2 − 0.59375); Σ R = f(x) − f(ξ).
        var net = Network.Sequential(Shape.Of(2), new Dense(2, 1, [1, 1], [-1]), new ReLU(), new Sum());
        var t = NearestRootTaylor.Explain(net, Tensor.Vector(2, 2));
        Assert.Equal(4, t.Iterations);
        Assert.Equal([0.59375, 0.59375], t.Root.ToArray());
        Assert.Equal([1.40625, 1.40625], t.Heatmap.ToArray());
        Assert.Equal(0.1875, t.OutputAtRoot);
    }

    [Fact]
    public void Nearest_root_respects_the_input_domain()
    {
        var net = Network.Sequential(Shape.Of(2), new Dense(2, 1, [1, 1], [-1]), new ReLU(), new Sum());
        var t = NearestRootTaylor.Explain(net, Tensor.Vector(2, 2), options: new NearestRootOptions(Low: Bounds.Scalar(1), High: Bounds.Scalar(3)));
        Assert.All(t.Root.Data, v => Assert.InRange(v, 1, 3));
        Assert.False(t.Converged);
    }

    [Fact]
    public void Sensitivity_and_gradient_times_input_match_hand_computations()
    {
        // f = max(0, 2 x0 − 3 x1) at (2, 1): ∂f/∂x = (2, −3).
        var net = Network.Sequential(Shape.Of(2), new Dense(2, 1, [2, -3], [0]), new ReLU(), new Sum());
        Assert.Equal([4.0, 9.0], Sensitivity.Explain(net, Tensor.Vector(2, 1)).ToArray());
        Assert.Equal([4.0, -3.0], GradientTimesInput.Explain(net, Tensor.Vector(2, 1)).ToArray());
    }
}
