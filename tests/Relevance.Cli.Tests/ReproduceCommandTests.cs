using System.Text.Json;

namespace Relevance.Cli.Tests;

public class ReproduceCommandTests
{
    [Fact]
    public void Reproduce_mnist_writes_the_figures_the_table_and_the_network()
    {
        var dir = Cli.TempDirectory();
        var r = Cli.Run("reproduce", "mnist", "--data", Cli.Data("mnist"), "--out", dir, "--iterations", "300", "--pairs", "2000", "--explain", "6",
            "--minmax-samples", "40", "--minmax-epochs", "1");
        Assert.True(r.ExitCode == 0, r.Error);
        foreach (var file in new[] { "figure5-heatmaps.png", "figure6-conservation.png", "figure6-histograms.png", "section3-table.md", "section3-detector-weights.npy",
            "section3-detector-bias.npy", "figure8-heatmaps.png", "figure9-conservation.png", "figure9-histograms.png", "section4-table.md", "section4.json",
            "section4-detector-w1.npy", "section4-detector-w2.npy", "section3-detector.onnx", "section4-detector.onnx" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        var table = File.ReadAllText(Path.Combine(dir, "section3-table.md"));
        Assert.Contains("| nearest-root Taylor |", table);
        Assert.Contains("24.5", table);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "section3.json")));
        Assert.Equal(3, json.RootElement.GetProperty("methods").GetArrayLength());
        var four = File.ReadAllText(Path.Combine(dir, "section4-table.md"));
        Assert.Contains("| deep Taylor (min-max) |", four);
        Assert.Contains("Min-max relevance model", four);
    }

    [Theory]
    [InlineData("42", "not a digit class")]
    [InlineData("0,1,2,3,4,5,6,7,8,9", "between one and nine")]
    [InlineData(",", "between one and nine")]
    public void Classes_that_leave_no_digits_or_no_distractors_exit_2(string classes, string message)
    {
        var r = Cli.Run("reproduce", "mnist", "--classes", classes, "--out", Cli.TempDirectory(), "--iterations", "1");
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Error}");
        Assert.Contains(message, r.Error);
    }

    [Fact]
    public void Bad_sections_exit_2() => Assert.Equal(2, Cli.Run("reproduce", "mnist", "--sections", "5").ExitCode);

    [Fact]
    public void A_missing_data_folder_exits_4()
    {
        var r = Cli.Run("reproduce", "mnist", "--data", Path.Combine(Path.GetTempPath(), "no-such-mnist"), "--out", Cli.TempDirectory(), "--iterations", "1");
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("no-such-mnist", r.Error);
    }
}

public class ReproduceImageNetTests
{
    [Fact]
    public void Reproduce_imagenet_explains_squeezenet_on_the_shipped_photos_by_default()
    {
        var dir = Cli.TempDirectory();
        var r = Cli.Run("reproduce", "imagenet", "--out", dir);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.True(new FileInfo(Path.Combine(dir, "figure10-imagenet.png")).Length > 10_000);
        var classes = File.ReadAllText(Path.Combine(dir, "imagenet.md"));
        // SqueezeNet 1.1 names the cat and the espresso cup among the shipped photos.
        Assert.Contains("| chelsea.png | 285 Egyptian cat |", classes);
        Assert.Contains("| coffee.png | 967 espresso |", classes);
    }
}

public class EvaluateCommandTests
{
    [Fact]
    public void Evaluate_writes_the_aopc_table_and_curves()
    {
        var dir = Cli.TempDirectory();
        var r = Cli.Run("evaluate", "--data", Cli.Data("mnist"), "--out", dir, "--iterations", "200", "--explain", "6", "--steps", "3");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("| random |", File.ReadAllText(Path.Combine(dir, "aopc.md")));
        Assert.True(File.Exists(Path.Combine(dir, "aopc-curves.png")));
        Assert.Equal(2, Cli.Run("evaluate", "--region", "5").ExitCode);
    }

    // The shipped MNIST transformer on test digits: the digits are written as PNGs beside the table, every method named is
    // ranked on them, and AttnLRP's order makes the logit fall faster than the random one: on these 20 digits (seed 1) by
    // 1.04 AOPC with a paired standard error of 0.25, so the order is not a draw of the noise.
    [Fact]
    public void Evaluate_a_transformer_on_test_digits()
    {
        var dir = Cli.TempDirectory();
        var r = Cli.Run("evaluate", "--model", Cli.Data("onnx", "mnist_vit", "vit.onnx"), "--digits", "20", "--region", "4", "--steps", "10",
            "--methods", "attnlrp", "cp-lrp", "random", "--out", dir);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(20, Directory.GetFiles(Path.Combine(dir, "digits"), "digit-*.png").Length);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "aopc.json")));
        var methods = json.RootElement.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("method").GetString()!);
        Assert.Equal(["attnlrp", "cp-lrp", "random"], methods.Keys);
        Assert.True(methods["attnlrp"].GetProperty("aopc").GetDouble() > methods["random"].GetProperty("aopc").GetDouble());
        Assert.Equal(2, Cli.Run("evaluate", "--model", Cli.Data("onnx", "mnist_vit", "vit.onnx"), "--digits", "4", "--images", dir).ExitCode);

        // By default, every method whose rules hold on a transformer: not epsilon-plus-flat, whose z⁺ would meet GELU's
        // negative outputs in the token-wise layers.
        var all = Cli.TempDirectory();
        r = Cli.Run("evaluate", "--model", Cli.Data("onnx", "mnist_vit", "vit.onnx"), "--digits", "2", "--region", "7", "--steps", "2", "--out", all);
        Assert.True(r.ExitCode == 0, r.Error);
        using var defaults = JsonDocument.Parse(File.ReadAllText(Path.Combine(all, "aopc.json")));
        Assert.Equal(["dtd", "epsilon-gamma-box", "epsilon-alpha2-beta1", "attnlrp", "cp-lrp", "gradient × input", "sensitivity", "random"],
            defaults.RootElement.GetProperty("methods").EnumerateArray().Select(m => m.GetProperty("method").GetString()));
        Assert.Equal(2, Cli.Run("evaluate", "--digits", "4").ExitCode);
        // A run that fails (the epsilon-plus-flat preset, named, meets GELU's negative outputs) leaves no digits behind.
        var failed = Cli.TempDirectory();
        Assert.NotEqual(0, Cli.Run("evaluate", "--model", Cli.Data("onnx", "mnist_vit", "vit.onnx"), "--digits", "2", "--steps", "2", "--methods", "epsilon-plus-flat", "--out", failed).ExitCode);
        Assert.False(Directory.Exists(Path.Combine(failed, "digits")));
    }

    // SqueezeNet 1.1 on two shipped photos, coarse regions and few steps to stay quick: every composite and baseline is
    // ranked, each composite's heatmap is reported with f, Σ R and bias share, and deep Taylor's conserves. On these
    // photos (seed 1) deep Taylor's order makes the logit fall faster than the random one: the faithfulness the command
    // exists to measure, checked on real photos.
    [Fact]
    public void Evaluate_on_photos_ranks_every_composite_and_baseline()
    {
        var dir = Cli.TempDirectory();
        // The shipped SqueezeNet by name, with its preprocessing (BGR, 0..255).
        var r = Cli.Run("evaluate", "--model", "squeezenet",
            "--images", Cli.Data("images", "chelsea.png"), Cli.Data("images", "coffee.png"), "--steps", "6", "--region", "32", "--out", dir);
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "aopc.json")));
        var methods = json.RootElement.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("method").GetString()!);
        Assert.Equal(["dtd", "epsilon-gamma-box", "epsilon-plus-flat", "epsilon-alpha2-beta1", "attnlrp", "cp-lrp", "gradient × input", "sensitivity", "random"], methods.Keys);
        Assert.All(methods.Values, m => Assert.Equal(7, m.GetProperty("drop").GetArrayLength()));
        Assert.All(methods.Values, m => Assert.Equal(2, m.GetProperty("per_photo").GetArrayLength()));
        Assert.True(methods["dtd"].GetProperty("aopc").GetDouble() > methods["random"].GetProperty("aopc").GetDouble());
        var heatmaps = json.RootElement.GetProperty("heatmaps").EnumerateArray().ToList();
        Assert.Equal(2 * 8, heatmaps.Count);
        var cat = heatmaps.Single(h => h.GetProperty("photo").GetString() == "chelsea.png" && h.GetProperty("method").GetString() == "dtd");
        Assert.Equal("Egyptian cat", cat.GetProperty("label").GetString());
        var f = cat.GetProperty("f").GetDouble();
        // float32 sums over 150 528 pixels: 1e-3 of f (as for relevance explain).
        Assert.True(Math.Abs(cat.GetProperty("relevance_sum").GetDouble() + cat.GetProperty("bias_relevance").GetDouble() - f) <= 1e-3 * f);
        Assert.Equal(JsonValueKind.Null, heatmaps.First(h => h.GetProperty("method").GetString() == "sensitivity").GetProperty("relevance_sum").ValueKind);
        Assert.Contains("| vs random |", File.ReadAllText(Path.Combine(dir, "aopc.md")));
        foreach (var png in new[] { "aopc-curves.png", "aopc-heatmaps.png" }) Assert.True(new FileInfo(Path.Combine(dir, png)).Length > 10_000, png);
    }

    [Fact]
    public void Evaluate_refuses_options_of_the_other_experiment_and_unknown_methods_or_photos()
    {
        var squeezeNet = Cli.Data("onnx", "squeezenet1.1_fp16_winml", "SqueezeNet_fp16.onnx");
        var mixed = Cli.Run("evaluate", "--model", squeezeNet, "--iterations", "5");
        Assert.Equal(2, mixed.ExitCode);
        Assert.Contains("--iterations", mixed.Error);
        var noModel = Cli.Run("evaluate", "--images", Cli.Data("images", "chelsea.png"));
        Assert.Equal(2, noModel.ExitCode);
        Assert.Contains("needs --model", noModel.Error);
        var unknown = Cli.Run("evaluate", "--model", squeezeNet, "--methods", "dtd", "saliency");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("gradient-x-input", unknown.Error);
        var missing = Cli.Run("evaluate", "--model", squeezeNet, "--images", Path.Combine(Cli.TempDirectory(), "none.png"));
        Assert.Equal(4, missing.ExitCode);
        Assert.Contains("no such file or folder", missing.Error);
        Assert.Equal(2, Cli.Run("evaluate", "--model", squeezeNet, "--region", "300").ExitCode);
        var named = Cli.Run("evaluate", "--model", "squeezenet", "--scale", "1");
        Assert.Equal(2, named.ExitCode);
        Assert.Contains("its own preprocessing", named.Error);
    }
}
