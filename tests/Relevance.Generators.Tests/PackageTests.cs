using System.Diagnostics;

namespace Relevance.Generators.Tests;

/// <summary>The path users take: pack the libraries, then a project that references only the package declares a network,
/// gets its mistakes as compile errors and runs the generated explainer.</summary>
public class PackageTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Relevance.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Relevance.sln not found above the test folder.");
    }

    private static (int ExitCode, string Output) Dotnet(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Root };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in 5 minutes.");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void The_packed_package_carries_the_generator_and_a_consumer_builds_fails_on_a_mistake_and_runs()
    {
        // A version no earlier run used, so NuGet's cache cannot hand back a stale package.
        var version = $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var feed = Path.Combine(Path.GetTempPath(), $"relevance-feed-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(Root, "artifacts", "packages"));
        try
        {
            foreach (var project in new[] { "Relevance.Core", "Relevance.Onnx", "Relevance.Facade" })
            {
                var pack = Dotnet("pack", Path.Combine("src", project), "-c", "Release", "-o", feed, $"-p:Version={version}");
                Assert.True(pack.ExitCode == 0, pack.Output);
            }
            using (var core = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"Relevance.Core.{version}.nupkg")))
                Assert.Contains(core.Entries, e => e.FullName == "analyzers/dotnet/cs/Relevance.Generators.dll");

            string[] consumer = ["samples/PackageConsumer", "-c", "Release", $"-p:RelevancePackageVersion={version}", $"-p:RestoreAdditionalProjectSources={feed}"];
            var mistake = Dotnet(["build", .. consumer, "-p:IncludeMistake=true"]);
            Assert.NotEqual(0, mistake.ExitCode);
            Assert.Contains("Mistake.cs(9,2): error RLV003: Layer 'Dense2' (Dense) cannot take the output of 'ReLU1' of shape [6×24×24]", mistake.Output);

            var heatmap = Path.Combine(feed, "heatmap.png");
            var run = Dotnet(["run", "--project", .. consumer, "--", "--heatmap", heatmap]);
            Assert.True(run.ExitCode == 0, run.Output);
            var numbers = System.Text.RegularExpressions.Regex.Match(run.Output, @"f\(x\) = (\S+) +Σ R = (\S+) +conservation error = (\S+)");
            Assert.True(numbers.Success, run.Output);
            var (f, error) = (double.Parse(numbers.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                double.Parse(numbers.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));
            // The generated z^B pass conserves f(x) up to float32 summation: 1e-4 of f, as in ParityTests.
            Assert.True(f > 0 && Math.Abs(error) <= 1e-4 * f, run.Output);
            Assert.True(new FileInfo(heatmap).Length > 0);
        }
        finally
        {
            Directory.Delete(feed, recursive: true);
        }
    }
}
