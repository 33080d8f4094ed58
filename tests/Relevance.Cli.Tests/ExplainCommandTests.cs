using System.Text.Json;
using Relevance.IO;

namespace Relevance.Cli.Tests;

public class ExplainCommandTests
{
    private static readonly string SqueezeNet = Cli.Data("onnx", "squeezenet1.1_fp16_winml", "SqueezeNet_fp16.onnx");
    private static readonly string Kitten = Cli.Data("onnx", "squeezenet1.1_fp16_winml", "kitten_224.png");
    private static readonly string Mnist = Cli.Data("onnx", "mnist-8", "mnist-8.onnx");

    [Fact]
    public void SqueezeNet_sees_a_tabby_in_the_kitten_and_its_relevance_is_conserved()
    {
        var dir = Cli.TempDirectory();
        var (npy, png) = (Path.Combine(dir, "r.npy"), Path.Combine(dir, "h.png"));
        var r = Cli.Run("explain", SqueezeNet, Kitten, "--channels", "bgr", "--scale", "1", "--json", "--out", npy, "--heatmap", png);
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Out);
        var root = json.RootElement;
        Assert.Equal(281, root.GetProperty("target").GetInt32());
        Assert.Contains("tabby", root.GetProperty("label").GetString());
        var f = root.GetProperty("f").GetDouble();
        var sum = root.GetProperty("relevance_sum").GetDouble();
        var bias = root.GetProperty("bias_relevance").GetDouble();
        // float32 sums over 150 528 pixels: 1e-3 of f is ample and still catches lost relevance.
        Assert.True(Math.Abs(sum + bias - f) <= 1e-3 * f, $"Σ R {sum} + bias {bias} vs f {f}");
        Assert.Equal(0, root.GetProperty("negative_mass").GetDouble());
        Assert.True(root.GetProperty("seconds").GetDouble() > 0);
        var relevance = Npy.Read(npy);
        Assert.Equal([1, 3, 224, 224], relevance.Shape.ToArray());
        Assert.Equal(sum, relevance.Data.Sum(v => (double)v), 2);
        Assert.True(new FileInfo(png).Length > 1000);
    }

    [Fact]
    public void A_npy_input_is_used_exactly_as_stored_and_the_target_is_respected()
    {
        var dir = Cli.TempDirectory();
        var input = Path.Combine(dir, "digit.npy");
        var rng = new Random(5);
        Npy.Write(input, [1, 1, 28, 28], [.. Enumerable.Range(0, 784).Select(_ => (float)(rng.NextDouble() * 255))]);
        var r = Cli.Run("explain", Mnist, input, "--target", "3", "--json", "--first-rule", "w2");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Out);
        Assert.Equal(3, json.RootElement.GetProperty("target").GetInt32());
    }

    [Theory]
    [InlineData("--rule", "nonsense")]
    [InlineData("--rule", "alphabeta:3:1")]
    [InlineData("--bounds", "1:2")]
    [InlineData("--maxpool", "median")]
    public void Bad_options_exit_2_with_a_message(string option, string value)
    {
        var r = Cli.Run("explain", Mnist, Kitten, option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("relevance", r.Error);
    }

    [Fact]
    public void Missing_arguments_exit_2() => Assert.Equal(2, Cli.Run("explain").ExitCode);

    [Fact]
    public void Corrupt_and_unsupported_models_exit_3_and_write_nothing()
    {
        var dir = Cli.TempDirectory();
        var corrupt = Path.Combine(dir, "corrupt.onnx");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(Mnist)[..5000]);
        var empty = Path.Combine(dir, "empty.onnx");
        File.WriteAllBytes(empty, []);
        var output = Path.Combine(dir, "out.npy");
        foreach (var model in new[] { corrupt, empty, Path.Combine(dir, "missing.onnx") })
        {
            var r = Cli.Run("explain", model, Kitten, "--out", output);
            Assert.True(r.ExitCode == 3, $"{model}: {r.ExitCode} {r.Error}");
            Assert.Contains(Path.GetFileName(model), r.Error);
        }
        Assert.Empty(Directory.GetFiles(dir, "out*"));
    }

    [Fact]
    public void Bad_input_files_exit_4_and_write_nothing()
    {
        var dir = Cli.TempDirectory();
        var wrongShape = Path.Combine(dir, "shape.npy");
        Npy.Write(wrongShape, [1, 28, 28], new float[784]);
        var nan = Path.Combine(dir, "nan.npy");
        Npy.Write(nan, [1, 1, 28, 28], [.. Enumerable.Repeat(float.NaN, 784)]);
        var truncated = Path.Combine(dir, "truncated.npy");
        File.WriteAllBytes(truncated, File.ReadAllBytes(nan)[..300]);
        var notImage = Path.Combine(dir, "photo.png");
        File.WriteAllText(notImage, "not a picture");
        var outside = Path.Combine(dir, "outside.npy");
        Npy.Write(outside, [1, 1, 28, 28], [.. Enumerable.Repeat(300f, 784)]);
        var output = Path.Combine(dir, "out.npy");
        foreach (var (input, extra) in new[] { (wrongShape, ""), (nan, ""), (truncated, ""), (notImage, ""), (outside, "0:255") })
        {
            var args = new List<string> { "explain", Mnist, input, "--out", output };
            if (extra.Length > 0) args.AddRange(["--bounds", extra]);
            var r = Cli.Run([.. args]);
            Assert.True(r.ExitCode == 4, $"{input}: exit {r.ExitCode}: {r.Error}");
            Assert.False(string.IsNullOrWhiteSpace(r.Error));
        }
        Assert.False(File.Exists(output));
    }
}
