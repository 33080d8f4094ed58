using FsCheck;
using FsCheck.Fluent;
using Relevance.Baselines;
using Relevance.Reference;
using Relevance.Specification;

namespace Relevance.Tests;

/// <summary>The reference forward pass, gradient and canonizers against hand computations and finite differences.</summary>
public class ForwardTests
{
    [Fact]
    public void Convolution_with_stride_and_padding_matches_a_hand_computation()
    {
        // 1×3×3 input 1..9, one 2×2 kernel of ones, stride 2, padding 1: windows over the padded 5×5 image.
        var conv = new Conv2d(1, 1, 2, 2, [1, 1, 1, 1], [0.5], stride: 2, padding: 1);
        var y = Forward.Apply(conv, [Tensor.From(Shape.Of(1, 3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9)], Shape.Of(1, 2, 2));
        Assert.Equal([1.5, 5.5, 11.5, 28.5], y.ToArray());
    }

    [Fact]
    public void Pools_match_hand_computations()
    {
        var x = Tensor.From(Shape.Of(1, 2, 2), 1, 2, 3, 4);
        Assert.Equal(10.0, Forward.Apply(Pool2d.SumPool(2), [x], Shape.Of(1, 1, 1))[0]);
        Assert.Equal(2.5, Forward.Apply(Pool2d.AvgPool(2), [x], Shape.Of(1, 1, 1))[0]);
        Assert.Equal(4.0, Forward.Apply(Pool2d.MaxPool(2), [x], Shape.Of(1, 1, 1))[0]);
        Assert.Equal(Math.Sqrt(30), Forward.Apply(Pool2d.LpPool(2, 2), [x], Shape.Of(1, 1, 1))[0], 12);
        Assert.Equal(2.5, Forward.Apply(new GlobalAvgPool(), [x], Shape.Of(1))[0]);
    }

    [Fact]
    public void Proportional_and_winner_take_all_max_pooling_redistribute_as_documented()
    {
        var pooled = Network.Sequential(Shape.Of(1, 1, 2), new Pool2d(PoolKind.Max, 1, 2), new Flatten(), new Sum());
        var x = Tensor.From(Shape.Of(1, 1, 2), 1, 3);
        var proportional = Propagation.Explain(pooled, x, Composite.Uniform(Rules.WSquare));
        Assert.Equal([0.75, 2.25], proportional.Heatmap.ToArray());
        var wta = Propagation.Explain(pooled, x, Composite.Uniform(Rules.WSquare), new ExplainOptions(PoolingRedistribution.WinnerTakeAll));
        Assert.Equal([0.0, 3.0], wta.Heatmap.ToArray());
    }

    [SpecProperty]
    public Property The_gradient_matches_central_finite_differences() =>
        Prop.ForAll(Arbitraries.Deep(nonPositiveBias: false), spec =>
        {
            var c = spec.Build();
            var g = Gradient.Of(c.Network, c.Input, 0);
            // f is piecewise linear (ReLU, max) or smooth (Lp); a step of 1e-6 stays on one piece unless a kink lies within it,
            // so compare only where f is locally linear (forward and backward differences agree to 1e-6).
            const double h = 1e-6;
            for (var i = 0; i < c.Input.Size; i++)
            {
                double F(double delta)
                {
                    var x = c.Input.ToArray();
                    x[i] += delta;
                    return Forward.Output(c.Network, Tensor.From(c.Input.Shape, x))[0];
                }
                var (plus, zero, minus) = (F(h), F(0), F(-h));
                var (forward, backward) = ((plus - zero) / h, (zero - minus) / h);
                var scale = Math.Max(1, Math.Abs(forward));
                if (Math.Abs(forward - backward) > 1e-6 * scale) continue;
                if (Math.Abs(g[i] - (plus - minus) / (2 * h)) > 1e-5 * scale) return false.Label($"input {i}: gradient {g[i]}, difference {(plus - minus) / (2 * h)}");
            }
            return true.ToProperty();
        });

    [SpecProperty]
    public Property Folding_batch_norms_and_affine_maps_keeps_the_function() =>
        Prop.ForAll(Arbitraries.Deep(nonPositiveBias: false), spec =>
        {
            var c = spec.Build();
            var withNorm = InsertBatchNorms(c.Network);
            var folded = Canonizers.Canonize(withNorm);
            var before = Forward.Output(withNorm, c.Input)[0];
            var after = Forward.Output(folded, c.Input)[0];
            return (folded.Nodes.All(n => n.Layer is not (BatchNorm or ChannelAffine or Identity)) && Math.Abs(before - after) <= 1e-9 * Math.Max(1, Math.Abs(before)))
                .Label($"{before} vs {after}");
        });

    // After every Conv2d and Dense, a BatchNorm with arbitrary statistics, a per-channel affine map (scales of either sign, as
    // arithmetic with constants imports) and an Identity (Dropout).
    private static Network InsertBatchNorms(Network network)
    {
        var nodes = new List<Node>();
        var rng = new Random(network.Nodes.Length);
        var renamed = new Dictionary<string, string>();
        foreach (var node in network.Nodes)
        {
            var inputs = node.Inputs.Select(i => renamed.GetValueOrDefault(i, i)).ToArray();
            nodes.Add(node with { Inputs = [.. inputs] });
            var channels = node.Layer switch { Conv2d c => c.OutChannels, Dense d => d.Outputs, _ => 0 };
            if (channels == 0) continue;
            double[] R(double lo, double hi) => [.. Enumerable.Range(0, channels).Select(_ => lo + rng.NextDouble() * (hi - lo))];
            nodes.Add(new Node(node.Name + ".bn", new BatchNorm([.. R(0.5, 2)], [.. R(-1, 1)], [.. R(-1, 1)], [.. R(0.1, 2)]), [node.Name]));
            nodes.Add(new Node(node.Name + ".affine", new ChannelAffine([.. R(-2, 2)], [.. R(-1, 1)]), [node.Name + ".bn"]));
            nodes.Add(new Node(node.Name + ".dropout", new Identity("Dropout"), [node.Name + ".affine"]));
            renamed[node.Name] = node.Name + ".dropout";
        }
        return new Network(network.InputShape, [.. nodes], renamed.GetValueOrDefault(network.Output, network.Output));
    }
}
