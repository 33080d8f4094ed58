using Relevance.Engine;

namespace Relevance.Tests.Engine;

/// <summary>A workspace's buffers are planned for the network that made it: every entry point refuses another's, even one
/// compiled from the same graph, before touching it.</summary>
public class WorkspaceOwnerTests
{
    [Fact]
    public void A_workspace_made_by_another_network_is_refused_by_every_entry_point()
    {
        var rng = new Random(3);
        var conv1 = new Conv2d(3, 8, 3, 3, TwoConvolutions.Random(rng, 8 * 27, 0.3), TwoConvolutions.Random(rng, 8, 0.05), 1, 1);
        var conv2 = new Conv2d(8, 8, 3, 3, TwoConvolutions.Random(rng, 8 * 8 * 9, 0.1), TwoConvolutions.Random(rng, 8, 0.05), 1, 1);
        var dense = new Dense(8 * 36, 3, TwoConvolutions.Random(rng, 8 * 36 * 3, 0.02), TwoConvolutions.Random(rng, 3, 0.05));
        var c = TwoConvolutions.Case(Shape.Of(3, 6, 6), conv1, conv2, dense, rng);
        float[] input = [.. c.Input.Data.Select(v => (float)v)];
        var engine = EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(c.Box));
        var twin = EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(c.Box));
        var foreign = twin.CreateWorkspace();
        foreign.Profiling = true;
        var expected = engine.Explain(input, engine.CreateWorkspace());

        void Refused(Action call) => Assert.Contains("another EngineNetwork", Assert.Throws<ArgumentException>(call).Message);
        Refused(() => engine.Explain(input, foreign));
        Refused(() => engine.Forward(input, foreign));
        Refused(() => engine.Gradient(input, foreign));
        Refused(() => engine.ExplainBatch(input.Concat(input).ToArray(), 2, [foreign]));
        Refused(() => engine.ForwardBatch(input.Concat(input).ToArray(), 2, [foreign]));
        Refused(() => engine.Profile([foreign]));
        Assert.Throws<ArgumentNullException>(() => engine.Explain(input, (Workspace)null!));
        // Refused before anything was written: the twin's workspace still explains for the twin, and alike.
        Assert.Equal(expected.HeatmapSingles(), twin.Explain(input, foreign).HeatmapSingles());
    }
}
