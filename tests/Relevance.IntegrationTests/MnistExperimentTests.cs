using Relevance.Experiments;
using Relevance.IO;

namespace Relevance.IntegrationTests;

/// <summary>The section III-C experiment, reduced to a few thousand SGD steps, on real MNIST: the paper's orderings hold.</summary>
public class MnistExperimentTests
{
    private static readonly Lazy<(Digits Train, Digits Test)> Mnist = new(() => Digits.LoadFolder(SharedData.Path("mnist")));

    [Fact]
    public void The_idx_files_read_as_mnist()
    {
        var (train, test) = Mnist.Value;
        Assert.Equal(10_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(7, test.Labels[0]);
        Assert.Equal(5, train.Labels[0]);
        Assert.All(test.Labels.Take(100), l => Assert.InRange(l, 0, 9));
    }

    [Fact]
    public void Two_digit_pairs_follow_the_task()
    {
        var pairs = TwoDigitData.Draw(Mnist.Value.Test, ClassSplit.Paper, 400, seed: 3);
        Assert.Equal(200, pairs.Count(p => p.Target == 100));
        foreach (var p in pairs)
        {
            Assert.Equal(TwoDigitData.Size, p.Pixels.Length);
            Assert.All(p.Pixels, v => Assert.InRange(v, -0.5f, 1.5f));
            var detected = (p.Left <= 3 ? 1 : 0) + (p.Right <= 3 ? 1 : 0);
            Assert.Equal(p.Target == 100 ? 1 : 0, detected);
        }
    }

    [Fact]
    public void Reduced_run_deep_Taylor_is_conservative_and_positive_and_nearest_root_Taylor_dissipates()
    {
        var (train, test) = Mnist.Value;
        var result = SectionThree.Run(train, test, ClassSplit.Paper, new Training(2000), trainingPairs: 10_000, testPairs: 1000, explained: 20);
        // Chance is 50 %; a few thousand steps already reach ~88 %.
        Assert.True(result.TestAccuracy > 0.8, $"accuracy {result.TestAccuracy}");
        var meanF = result.Examples.Average(e => e.Output);
        var scores = result.Scores.ToDictionary(s => s.Method);
        foreach (var m in new[] { "deep Taylor w²", "deep Taylor z^B" })
        {
            Assert.True(scores[m].ConservationError <= 1e-3 * meanF, $"{m}: {scores[m].ConservationError} vs ⟨f⟩ {meanF}");
            Assert.Equal(0, scores[m].NegativeMass);
        }
        var taylor = scores["nearest-root Taylor"];
        Assert.True(taylor.ConservationError > 0.05 * meanF, $"nearest-root Taylor dissipates only {taylor.ConservationError} of ⟨f⟩ {meanF}");
    }

    [Fact]
    public void Bad_idx_files_are_typed_errors()
    {
        Assert.Throws<IdxFormatException>(() => Idx.Read([]));
        Assert.Throws<IdxFormatException>(() => Idx.Read([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]));
        Assert.Throws<IdxFormatException>(() => Idx.Read([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]));
        Assert.Equal([3], Idx.Read([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]).Shape.ToArray());
        Assert.Throws<IdxFormatException>(() => Digits.LoadFolder(Path.GetTempPath()));
    }
}
