using Relevance.Engine;
using Relevance.Specification;

namespace Relevance.Tests.Engine;

/// <summary>Concats whose inputs the engine computes, and whose relevance it writes, in place (see BufferPlan), and every
/// case it must copy instead.</summary>
public class EngineConcatTests
{
    // c1 = [ra, rb] is read only by c2 = [c1, rd], which sits in m = [c2, c3, c4]: values two Concats deep in place, and
    // c1's and rd's relevance in place. ra and rb are read by two Concats each (c1 and c4, c1 and c3 twice): the later one
    // holds them and c1 copies, and their relevance is added up from both. c4 holds the network's input, copied.
    private static DeepCase Case(int seed)
    {
        var rng = new Random(seed);
        Conv2d Conv(int inputs, int outputs, int kernel) => new(inputs, outputs, kernel, kernel,
            TwoConvolutions.Random(rng, outputs * inputs * kernel * kernel, 0.5), TwoConvolutions.Random(rng, outputs, 0.1), 1, kernel / 2);
        var network = new Network(Shape.Of(2, 5, 5), [
            new Node("a", Conv(2, 3, 3), [Network.InputName]), new Node("ra", new ReLU(), ["a"]),
            new Node("b", Conv(2, 2, 1), [Network.InputName]), new Node("rb", new ReLU(), ["b"]),
            new Node("d", Conv(2, 2, 1), [Network.InputName]), new Node("rd", new ReLU(), ["d"]),
            new Node("c1", new Concat(), ["ra", "rb"]),
            new Node("c2", new Concat(), ["c1", "rd"]),
            new Node("c3", new Concat(), ["rb", "rb"]),
            new Node("c4", new Concat(), [Network.InputName, "ra"]),
            new Node("m", new Concat(), ["c2", "c3", "c4"]),
            new Node("e", Conv(16, 3, 3), ["m"]), new Node("re", new ReLU(), ["e"]),
            new Node("flat", new Flatten(), ["re"]),
            new Node("dense", new Dense(75, 3, TwoConvolutions.Random(rng, 75 * 3, 0.3), TwoConvolutions.Random(rng, 3, 0.1)), ["flat"])]);
        return TwoConvolutions.Uniform(network, rng);
    }

    [Theory]
    [InlineData("z^B first")]
    [InlineData("z everywhere")]
    [InlineData("α2β1 everywhere")]
    public void Match_the_reference(string composite)
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var c = Case(seed);
            var (ok, why) = EngineParityTests.Agree(c, TwoConvolutions.Named(composite, c), ExplainOptions.Default);
            Assert.True(ok, $"seed {seed}: {why}");
        }
    }

    // One workspace for explanations of different inputs and gradients in between: nothing read is left over from the
    // call before, and gradients (buffers of their own) agree with the reference.
    [Fact]
    public void A_reused_workspace_gives_what_a_fresh_one_gives()
    {
        var c1 = Case(1);
        var engine = EngineNetwork.Compile(c1.Network, Composite.TrainingFreeDtd(c1.Box));
        float[] Input(DeepCase c) => [.. c.Input.Data.Select(v => (float)v)];
        var (x1, x2) = (Input(c1), Input(TwoConvolutions.Uniform(c1.Network, new Random(9))));
        var ws = engine.CreateWorkspace();
        var first = engine.Explain(x1, ws).Heatmap.ToArray();
        var gradient = engine.Gradient(x2, ws, 0);
        var second = engine.Explain(x2, ws).Heatmap.ToArray();
        Assert.Equal(engine.Explain(x1).Heatmap.ToArray(), first);
        Assert.Equal(engine.Explain(x2).Heatmap.ToArray(), second);
        Assert.Equal(engine.Gradient(x2, engine.CreateWorkspace(), 0), engine.Gradient(x2, ws, 0));
        var reference = Relevance.Baselines.Gradient.Of(c1.Network, Tensor.Own(c1.Network.InputShape, [.. x2.Select(v => (double)v)]), 0);
        // float32 backpropagation through a few layers of ≤ 144 terms: 1e-4 of the largest gradient, as EngineGradientTests.
        var scale = Math.Max(1, reference.Data.Max(Math.Abs));
        Assert.All(reference.Data.Zip(gradient), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4 * scale, $"{p.First} vs {p.Second}"));
        // The explanation's forward pass sums some products in another order (W and W⁺ stacked): equal to float rounding.
        Assert.All(engine.Forward(x2).Zip(engine.Explain(x2, ws).Outputs.Data), p => Assert.Equal(p.First, p.Second, 1e-5 * Math.Max(1, Math.Abs(p.First))));
    }
}
