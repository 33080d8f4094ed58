using Microsoft.CodeAnalysis.Text;

namespace Relevance.Generators.Tests;

/// <summary>The source generated for each sample network, byte for byte against a golden file (and compiled without a diagnostic).</summary>
public class GoldenTests
{
    public static TheoryData<string> Samples => new() { "OneLayerDetector", "TwoLayerDetector", "LeNet5", "ResidualCnn" };

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Generated_source_matches_its_golden_file(string name)
    {
        var source = File.ReadAllText(SourceTree.Sample(name));
        var baseline = SourceTree.Baseline(name);
        if (SourceTree.Accepting)
        {
            var (_, text) = GeneratorHarness.Generate(source).Single();
            var temp = baseline + ".tmp";
            File.WriteAllText(temp, text);
            File.Move(temp, baseline, overwrite: true);
        }
        Assert.True(File.Exists(baseline), $"No golden file {baseline}; run the tests once with RELEVANCE_ACCEPT_BASELINES=1 to write it.");
        await new GeneratorTest
        {
            TestState =
            {
                Sources = { source },
                GeneratedSources = { (typeof(NetworkGenerator), $"Relevance.Samples.{name}.g.cs", SourceText.From(File.ReadAllText(baseline), System.Text.Encoding.UTF8)) },
            },
        }.RunAsync();
    }
}
