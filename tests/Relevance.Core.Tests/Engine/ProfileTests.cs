using System.Diagnostics;
using Relevance.Engine;

namespace Relevance.Tests.Engine;

/// <summary>A workspace's profile: per node, mean times that add up to no more than the calls took, in the phase they were spent.</summary>
public class ProfileTests
{
    private static (EngineNetwork Engine, float[] Input) Small()
    {
        var rng = new Random(7);
        var conv1 = new Conv2d(3, 16, 3, 3, TwoConvolutions.Random(rng, 16 * 27, 0.3), TwoConvolutions.Random(rng, 16, 0.05), 1, 1);
        var conv2 = new Conv2d(16, 16, 3, 3, TwoConvolutions.Random(rng, 16 * 16 * 9, 0.1), TwoConvolutions.Random(rng, 16, 0.05), 1, 1);
        var dense = new Dense(16 * 64, 3, TwoConvolutions.Random(rng, 16 * 64 * 3, 0.02), TwoConvolutions.Random(rng, 3, 0.05));
        var c = TwoConvolutions.Case(Shape.Of(3, 8, 8), conv1, conv2, dense, rng);
        return (EngineNetwork.Compile(c.Network, Composite.TrainingFreeDtd(c.Box)), [.. c.Input.Data.Select(v => (float)v)]);
    }

    [Fact]
    public void Node_times_add_up_to_at_most_the_calls_and_stay_in_their_phase()
    {
        var (engine, input) = Small();
        var ws = engine.CreateWorkspace();
        engine.Explain(input, ws);
        ws.Profiling = true;
        var longest = TimeSpan.Zero;
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            engine.Explain(input, ws);
            longest = TimeSpan.FromTicks(Math.Max(longest.Ticks, clock.Elapsed.Ticks));
        }
        var profile = engine.Profile([ws]);
        Assert.Equal(engine.Network.Nodes.Select(n => n.Name), profile.Select(t => t.Node));
        Assert.All(profile, t => Assert.Equal(TimeSpan.Zero, t.Forward));
        // A pass-through layer can take less than a TimeSpan's 100 ns; a linear layer's products cannot.
        Assert.All(profile.Where(t => t.Kind is "Conv2d" or "Dense"), t => Assert.True(t.ExplanationForward > TimeSpan.Zero && t.Relevance > TimeSpan.Zero, t.ToString()));
        var total = profile.Aggregate(TimeSpan.Zero, (sum, t) => sum + t.Explanation);
        Assert.True(total <= longest, $"the nodes' means add up to {total}, the longest explanation took {longest}");

        // Turned on again, the profile starts afresh: forward passes alone leave no explanation time.
        ws.Profiling = true;
        engine.Forward(input, ws);
        var forwards = engine.Profile([ws]);
        Assert.All(forwards, t => Assert.Equal(TimeSpan.Zero, t.Explanation));
        Assert.All(forwards.Where(t => t.Kind is "Conv2d" or "Dense"), t => Assert.True(t.Forward > TimeSpan.Zero, t.ToString()));
    }

    [Fact]
    public void A_profile_needs_profiling_workspaces_of_the_network()
    {
        var (engine, input) = Small();
        var ws = engine.CreateWorkspace();
        engine.Explain(input, ws);
        Assert.Throws<InvalidOperationException>(() => engine.Profile([ws]));
        Assert.Throws<InvalidOperationException>(() => engine.Profile([]));
    }
}
