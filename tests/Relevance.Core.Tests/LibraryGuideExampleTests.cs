using System.Text.RegularExpressions;

namespace Relevance.Tests;

/// <summary>Keeps the library guide's first example compiling and true: the code below must equal docs/library.md's block, and it runs.</summary>
public partial class LibraryGuideExampleTests
{
    // <readme>
    private static void Example(TextWriter Console)
    {
        // The paper's one-layer network (class G): 4 pixels → 3 detectors with ReLU and biases ≤ 0 → sum.
        var network = Network.Sequential(Shape.Of(4),
            new Dense(4, 3,
                [0.5, -0.2, 0.1,
                 0.3, 0.8, -0.4,
                 -0.6, 0.2, 0.9,
                 0.1, -0.3, 0.4],
                [-0.1, 0.0, -0.2]),
            new ReLU(),
            new Sum());

        // Training-free deep Taylor decomposition: z^B with the pixel range [-0.5, 1.5] on the first layer, z⁺ above.
        using var explainer = Explainer.TrainingFreeDtd(network, Rules.ZBox(-0.5, 1.5));
        var x = Tensor.Vector(1.0, 0.0, -0.5, 1.5);
        var explanation = explainer.Explain(x);

        Console.WriteLine($"f(x) = {explanation.Output:F4}");
        Console.WriteLine($"heatmap = [{string.Join(", ", explanation.Heatmap.Data.Select(r => r.ToString("F4")))}]");
        Console.WriteLine($"Σ R = {explanation.Heatmap.Sum():F4}, consistent: {explanation.Consistency.IsConsistent(1e-6)}");
        foreach (var layer in explanation.Consistency.Layers)
            Console.WriteLine($"  {layer.Node,-6} {layer.Redistribution,-12} in {layer.RelevanceIn:F4} out {layer.RelevanceOut:F4}");

        // The double-precision oracle the engine is tested against, on the same network and rules.
        var exact = explainer.Oracle().Explain(x);
        Console.WriteLine($"within 1e-6 of the oracle: {exact.Heatmap.Data.Zip(explanation.Heatmap.Data).All(p => Math.Abs(p.First - p.Second) <= 1e-6)}");
    }
    // </readme>

    // The test runs from tests/…/bin/<configuration>/<framework>; the repository root is the folder holding Relevance.sln.
    private static string RepositoryFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Relevance.sln"))) return Path.Combine(dir.FullName, name);
        throw new FileNotFoundException($"{name} not found above {AppContext.BaseDirectory}");
    }

    private static IEnumerable<string> Lines(string code) =>
        code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);

    [Fact]
    public void The_guide_example_is_the_code_that_this_test_compiles()
    {
        var guide = File.ReadAllText(RepositoryFile("docs/library.md"));
        var block = Regex.Match(guide, "<!-- example:start -->\\s*```csharp\\n(.*?)```\\s*<!-- example:end -->", RegexOptions.Singleline);
        Assert.True(block.Success, "docs/library.md has no example block");
        var source = File.ReadAllText(RepositoryFile("tests/Relevance.Core.Tests/LibraryGuideExampleTests.cs"));
        var body = Regex.Match(source, "// <readme>.*?\\{\\n(.*)\\n    \\}\\n    // </readme>", RegexOptions.Singleline).Groups[1].Value;
        var readmeLines = Lines(block.Groups[1].Value).Where(l => !Regex.IsMatch(l, @"^using [\w.]+;$"));
        Assert.Equal(readmeLines, Lines(body));
    }

    [Fact]
    public void The_guide_example_runs_and_its_explanation_is_consistent()
    {
        var output = new StringWriter();
        Example(output);
        var text = output.ToString();
        Assert.Contains(text.Trim().Replace("\r\n", "\n"), File.ReadAllText(RepositoryFile("docs/library.md")).Replace("\r\n", "\n"));
        Assert.Contains("consistent: True", text);
        var f = double.Parse(Regex.Match(text, @"f\(x\) = (\S+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var sum = double.Parse(Regex.Match(text, @"Σ R = (\S+),").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(f > 0, "the example should explain a positive decision");
        Assert.Equal(f, sum, 4);
    }
}
