using Relevance.Experiments;
using Relevance.IO;

namespace Relevance.IntegrationTests;

/// <summary>The section III-C experiment, reduced to a few thousand SGD steps, on real MNIST: the paper's orderings hold.</summary>
public class MnistExperimentTests
{
    private static readonly Lazy<(Digits Train, Digits Test)> Mnist = new(() => Digits.LoadFolder(RepositoryData.Path("mnist")));

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

public class MnistSectionFourTests
{
    [Fact]
    public void Reduced_run_training_free_is_consistent_min_max_is_positive_and_fits_and_nearest_root_dissipates()
    {
        var (train, test) = Digits.LoadFolder(RepositoryData.Path("mnist"));
        var minMax = new Relevance.RelevanceModels.MinMaxTraining(LearningRate: 1e-3, Epochs: 2, BatchSize: 20, Seed: 1);
        var r = SectionFour.Run(train, test, ClassSplit.Paper, new Training(1500), trainingPairs: 10_000, testPairs: 1000, explained: 10,
            minMaxSamples: 150, minMax);
        Assert.True(r.TestAccuracy > 0.8, $"accuracy {r.TestAccuracy}");
        Assert.True(r.MinMaxLosses[^1] < r.MinMaxLosses[0], $"min-max loss {r.MinMaxLosses[0]} → {r.MinMaxLosses[^1]}");
        var meanF = r.Examples.Average(e => e.Output);
        var scores = r.Scores.ToDictionary(s => s.Method);
        Assert.True(scores["deep Taylor (training-free)"].ConservationError <= 1e-3 * meanF);
        Assert.Equal(0, scores["deep Taylor (training-free)"].NegativeMass);
        // The min-max explanation is positive and conserves the model's own output: its error is the fitting error.
        Assert.Equal(0, scores["deep Taylor (min-max)"].NegativeMass);
        Assert.True(scores["deep Taylor (min-max)"].ConservationError > scores["deep Taylor (training-free)"].ConservationError);
        Assert.True(scores["nearest-root Taylor"].ConservationError > 0.05 * meanF);
    }

    [Fact]
    public void The_pooled_relevance_is_what_the_reference_pass_gives_with_z_plus_on_top()
    {
        var (train, _) = Digits.LoadFolder(RepositoryData.Path("mnist"));
        var data = TwoDigitData.Draw(train, ClassSplit.Paper, 200, 4, shift: 2);
        var (d, _) = TwoLayerTrainer.Train(data, new Training(50, Hidden: 40));
        var network = d.ToNetwork();
        foreach (var e in data.Take(5))
        {
            var x = Tensor.From(Shape.Of(TwoDigitData.Size), [.. e.Pixels.Select(v => (double)v)]);
            var reference = Reference.Propagation.Explain(network, x, Composite.FirstLayer(Rules.WSquare, Rules.ZPlus)).RelevanceOf("Flatten4");
            var (p, h, _) = d.Activations(e.Pixels);
            var ours = SectionFour.PooledRelevance(d, p, h);
            for (var k = 0; k < ours.Length; k++)
                // float32 activations against the double reference: 1e-4 of the output is ample.
                Assert.True(Math.Abs(ours[k] - reference[k]) <= 1e-4 * Math.Max(1, reference.Sum()), $"unit {k}: {ours[k]} vs {reference[k]}");
        }
    }
}

public class AopcTests
{
    [Fact]
    public void Relevance_orderings_beat_a_random_ordering_and_deep_Taylor_beats_sensitivity()
    {
        var (train, test) = Digits.LoadFolder(RepositoryData.Path("mnist"));
        var r = SectionThree.Run(train, test, ClassSplit.Paper, new Training(2000), trainingPairs: 10_000, testPairs: 400, explained: 20);
        var curves = Aopc.Run(r.Detector, r.Examples, SectionThree.Methods, steps: 20, region: 4, seed: 2).ToDictionary(c => c.Method);
        Assert.All(curves.Values, c => Assert.Equal(21, c.Drop.Length));
        Assert.All(curves.Values, c => Assert.Equal(0, c.Drop[0]));
        Assert.True(curves["deep Taylor z^B"].Aopc > curves["random"].Aopc, $"{curves["deep Taylor z^B"].Aopc} vs random {curves["random"].Aopc}");
        Assert.True(curves["deep Taylor z^B"].Aopc > curves["sensitivity"].Aopc, $"{curves["deep Taylor z^B"].Aopc} vs sensitivity {curves["sensitivity"].Aopc}");
    }
}
