using System.Text.Json;

namespace Relevance.Cli.Tests;

public class DemoCommandTests
{
    [Fact]
    public void The_demo_explains_resnet18_on_the_embedded_photo_and_writes_heatmaps_and_a_report()
    {
        var dir = Cli.TempDirectory();
        var r = Cli.Run("demo", "--out", dir);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains(dir, r.Out);
        Assert.True(File.Exists(Path.Combine(dir, "input.png")));
        Assert.Equal(3, Directory.GetFiles(dir, "output-*-overlay.png").Length);
        Assert.Equal(3, Directory.GetFiles(dir, "output-*-heatmap.png").Length);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        var samples = report.RootElement.GetProperty("samples").EnumerateArray().ToList();
        Assert.Equal(3, samples.Count);
        foreach (var s in samples)
        {
            var f = s.GetProperty("f").GetDouble();
            Assert.True(f > 0);
            Assert.True(Math.Abs(s.GetProperty("relevance_sum").GetDouble() + s.GetProperty("bias_relevance").GetDouble() - f) <= 1e-3 * f);
            Assert.Equal(0, s.GetProperty("negative_mass").GetDouble());
        }
    }
}
