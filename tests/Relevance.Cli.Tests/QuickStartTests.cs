using System.Globalization;
using System.Text.RegularExpressions;

namespace Relevance.Cli.Tests;

/// <summary>The README's example is samples/QuickStart/Program.cs, and it runs: from an ONNX model and a photo to an overlay, on the engine.</summary>
public partial class QuickStartTests
{
    private static string Repository(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Relevance.sln"))) return Path.Combine([dir.FullName, .. parts]);
        throw new DirectoryNotFoundException("Relevance.sln not found above the test folder.");
    }

    private static IEnumerable<string> Lines(string code) => code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);

    [GeneratedRegex("<!-- example:start -->\\s*```csharp\\n(.*?)```\\s*<!-- example:end -->", RegexOptions.Singleline)]
    private static partial Regex ExampleBlock();

    [Fact]
    public void The_readme_example_is_the_quick_start_program()
    {
        var block = ExampleBlock().Match(File.ReadAllText(Repository("README.md")));
        Assert.True(block.Success, "README.md has no example block");
        Assert.Equal(Lines(File.ReadAllText(Repository("samples", "QuickStart", "Program.cs"))), Lines(block.Groups[1].Value));
    }

    [GeneratedRegex(@"\]\(([^)#:]+)(#[^)]*)?\)")]
    private static partial Regex RelativeLink();

    // The README is a front page: the two set-up commands first, 150 lines at most, and every link it gives leads to a file.
    [Fact]
    public void The_readme_opens_with_its_two_commands_stays_short_and_links_only_to_files_that_exist()
    {
        var lines = File.ReadAllLines(Repository("README.md"));
        Assert.True(lines.Length <= 150, $"README.md has {lines.Length} lines; the rest belongs in docs/.");
        var commands = lines.SkipWhile(l => l != "```sh").Skip(1).TakeWhile(l => l != "```").ToList();
        Assert.Equal(["dotnet run --project src/Relevance.Cli -c Release -- demo", "dotnet test Relevance.sln"],
            commands.Select(c => c.Split('#')[0].Trim()));
        Assert.True(Array.IndexOf(lines, "```sh") < 5, "the two commands come first");
        var missing = RelativeLink().Matches(string.Join('\n', lines)).Select(m => m.Groups[1].Value)
            .Where(target => !File.Exists(Repository(target)) && !Directory.Exists(Repository(target))).ToList();
        Assert.True(missing.Count == 0, $"README.md links to {string.Join(", ", missing)}, which the repository does not have.");
    }

    [Fact]
    public void The_quick_start_explains_the_cat_and_writes_its_overlay()
    {
        // Run where a user runs it, the repository's root, seen through a folder of its own so the overlay lands there.
        var dir = Cli.TempDirectory();
        Directory.CreateSymbolicLink(Path.Combine(dir, "data"), Repository("data"));
        var r = Cli.RunProgram("QuickStart.dll", dir);
        Assert.True(r.ExitCode == 0, r.Error);
        var text = r.Out;
        Assert.StartsWith("285 Egyptian cat: f(x) = ", text);
        double Number(string pattern) => double.Parse(Regex.Match(text, pattern).Groups[1].Value, CultureInfo.InvariantCulture);
        // Training-free DTD conserves: Σ R + bias share = f(x), to the three decimals printed (±1.5e-3 with rounding of each).
        Assert.Equal(Number(@"f\(x\) = (\S+)"), Number(@"Σ R = (\S+),") + Number(@"bias share = (\S+),"), 0.0015);
        Assert.Contains("negative mass = 0", text);
        Assert.True(new FileInfo(Path.Combine(dir, "chelsea-overlay.png")).Length > 10_000);
    }
}
