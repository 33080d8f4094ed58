using System.Text.Json;
using Relevance.IntegrationTests;
using Relevance.IO;
using static Relevance.IntegrationTests.OnnxBuilder;

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

    // mnist-8 is a ReLU network: every layer above the first reads rectified values, so the rule by domain is z⁺ everywhere
    // there and gives the default's explanation exactly; with a z⁺ first rule it is refused as a usage error.
    [Fact]
    public void Rule_dtd_picks_z_plus_on_rectified_inputs_and_names_itself()
    {
        var dir = Cli.TempDirectory();
        var input = Path.Combine(dir, "digit.npy");
        var rng = new Random(6);
        Npy.Write(input, [1, 1, 28, 28], [.. Enumerable.Range(0, 784).Select(_ => (float)(rng.NextDouble() * 255))]);
        var byDomain = Cli.Run("explain", Mnist, input, "--json", "--rule", "dtd");
        var plus = Cli.Run("explain", Mnist, input, "--json", "--rule", "zplus");
        Assert.True(byDomain.ExitCode == 0 && plus.ExitCode == 0, byDomain.Error + plus.Error);
        using var a = JsonDocument.Parse(byDomain.Out);
        using var b = JsonDocument.Parse(plus.Out);
        Assert.Equal("dtd", a.RootElement.GetProperty("rule").GetString());
        foreach (var key in new[] { "f", "relevance_sum", "bias_relevance" })
            Assert.Equal(b.RootElement.GetProperty(key).GetDouble(), a.RootElement.GetProperty(key).GetDouble());
        var refused = Cli.Run("explain", Mnist, input, "--rule", "dtd", "--first-rule", "zplus");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--rule dtd takes zbox or w2", refused.Error);
    }

    // Zennit's presets by name, reported as such; a preset does not take --rule or --first-rule.
    [Theory]
    [InlineData("epsilon-gamma-box")]
    [InlineData("epsilon-plus-flat")]
    [InlineData("epsilon-alpha2-beta1")]
    public void Composite_presets_explain_and_name_themselves(string preset)
    {
        var digit = Cli.Data("onnx", "mnist-8", "mnist_28.png");
        var r = Cli.Run("explain", Mnist, digit, "--composite", preset, "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Out);
        Assert.Equal(preset, json.RootElement.GetProperty("rule").GetString());
        Assert.True(double.IsFinite(json.RootElement.GetProperty("relevance_sum").GetDouble()));
        var conflict = Cli.Run("explain", Mnist, digit, "--composite", preset, "--first-rule", "w2");
        Assert.Equal(2, conflict.ExitCode);
        Assert.Contains("does not take --rule or --first-rule", conflict.Error);
    }

    // The transformer presets on torchvision's ViT at toy size, from a photo: named as such, and CP-LRP's attention held
    // constant shows in the per-layer report as Softmax layers that receive nothing, where AttnLRP's receive some.
    [Theory]
    [InlineData("attnlrp")]
    [InlineData("cp-lrp")]
    public void Transformer_presets_explain_a_vit_and_report_its_softmaxes(string preset)
    {
        var r = Cli.Run("explain", Cli.Data("onnx", "tiny_vit", "vit.onnx"), Cli.Data("images", "chelsea.png"), "--composite", preset, "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Out);
        Assert.Equal(preset, json.RootElement.GetProperty("rule").GetString());
        Assert.True(double.IsFinite(json.RootElement.GetProperty("relevance_sum").GetDouble()));
        var softmaxes = json.RootElement.GetProperty("layers").EnumerateArray().Where(l => l.GetProperty("layer").GetString() == "Softmax")
            .Select(l => l.GetProperty("relevance_in").GetDouble()).ToList();
        Assert.Equal(2, softmaxes.Count);
        Assert.All(softmaxes, s => Assert.Equal(preset == "cp-lrp", s == 0));
    }

    // --gamma puts the γ-rule on a transformer preset's linear layers, named in the report; it belongs to those presets alone.
    [Fact]
    public void Gamma_puts_the_gamma_rule_on_a_transformer_presets_linear_layers()
    {
        var vit = Cli.Data("onnx", "tiny_vit", "vit.onnx");
        var chelsea = Cli.Data("images", "chelsea.png");
        var r = Cli.Run("explain", vit, chelsea, "--composite", "attnlrp", "--gamma", "0.25");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("γ(0.25, ε 1E-06) on every linear layer (attnlrp)", r.Out);
        var plain = Cli.Run("explain", vit, chelsea, "--composite", "attnlrp", "--json");
        var gamma = Cli.Run("explain", vit, chelsea, "--composite", "attnlrp", "--gamma", "0.25", "--json");
        using (JsonDocument a = JsonDocument.Parse(plain.Out), b = JsonDocument.Parse(gamma.Out))
            Assert.NotEqual(a.RootElement.GetProperty("relevance_sum").GetDouble(), b.RootElement.GetProperty("relevance_sum").GetDouble());

        foreach (var args in new[] { new[] { "--gamma", "0.25" }, ["--composite", "epsilon-plus-flat", "--gamma", "0.25"], ["--composite", "cp-lrp", "--gamma", "-1"] })
        {
            var refused = Cli.Run(["explain", vit, chelsea, .. args]);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("--gamma", refused.Error);
        }
    }

    // The command a user runs to compare with Zennit gives Zennit's EpsilonGammaBox heatmap of the fixture network
    // (ZennitComparisonTests): 1e-4 of the largest relevance, float32 against Zennit's float64.
    [Fact]
    public void Bias_zennit_with_the_preset_gives_Zennits_heatmap()
    {
        string Fixture(string name) => Cli.Data("..", "tests", "Relevance.IntegrationTests", "Fixtures", "zennit", name);
        var npy = Path.Combine(Cli.TempDirectory(), "r.npy");
        var r = Cli.Run("explain", Fixture("model.onnx"), Fixture("input.npy"), "--composite", "epsilon-gamma-box", "--bounds", "0:1",
            "--maxpool", "wta", "--bias", "zennit", "--out", npy);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("biases Zennit", r.Out);
        var expected = Npy.Read(Fixture("expected.npy")).Data;
        var scale = expected.Max(Math.Abs);
        Assert.All(Npy.Read(npy).Data.Zip(expected), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4 * scale, $"{p.First} vs {p.Second}"));
    }

    // The γ-rule by name, with its γ and ε in the report.
    [Fact]
    public void Rule_gamma_explains_and_names_itself()
    {
        var r = Cli.Run("explain", Mnist, Cli.Data("onnx", "mnist-8", "mnist_28.png"), "--rule", "gamma:0.5:0.001", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Out);
        Assert.Equal("γ(0.5, ε 0.001)", json.RootElement.GetProperty("rule").GetString());
        Assert.True(double.IsFinite(json.RootElement.GetProperty("relevance_sum").GetDouble()));
    }

    // A linear bottleneck (a convolution whose output no ReLU rectifies feeds the next, as in MobileNet): z⁺ above it is
    // refused, naming the layer and the way out; the default chooses w² there by its input domain, and the explanation
    // conserves: both rules are conservative, and the bottleneck's positive biases keep every z⁺ denominator above 0 where
    // w² above gives relevance to outputs no input reaches through a positive weight (docs/rules.md §4).
    [Fact]
    public void The_default_rule_explains_a_linear_bottleneck_that_z_plus_refuses()
    {
        var b = new OnnxBuilder("x", 1, 3, 16, 16);
        b.Node("Conv", ["x", b.Weights("w1", 6, 3, 3, 3), b.Weights("b1", 6)], "c1", Ints("pads", 1, 1, 1, 1)).Node("Relu", ["c1"], "r1")
            .Node("Conv", ["r1", b.Weights("w2", 4, 6, 1, 1), b.Positive("b2", 4)], "linear")
            .Node("Conv", ["linear", b.Weights("w3", 8, 4, 1, 1)], "c3").Node("Relu", ["c3"], "r3")
            .Node("GlobalAveragePool", ["r3"], "g").Node("Flatten", ["g"], "f").Node("Gemm", ["f", b.Weights("d", 8, 5)], "y");
        var model = b.Save("y", 13, 1, 5);
        var refused = Cli.Run("explain", model, Kitten, "--rule", "zplus");
        Assert.True(refused.ExitCode == 4, $"exit {refused.ExitCode}: {refused.Error}");
        Assert.Contains("Node 'c3': z⁺ needs non-negative inputs", refused.Error);
        Assert.Contains("--rule dtd", refused.Error);
        var r = Cli.Run("explain", model, Kitten, "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Out);
        Assert.Equal("dtd", json.RootElement.GetProperty("rule").GetString());
        var f = json.RootElement.GetProperty("f").GetDouble();
        var sum = json.RootElement.GetProperty("relevance_sum").GetDouble() + json.RootElement.GetProperty("bias_relevance").GetDouble();
        Assert.True(Math.Abs(f - sum) <= 1e-4 * Math.Max(1, Math.Abs(f)), $"{sum} vs f = {f}");
        File.Delete(model);
    }

    // A Keras CNN as tf2onnx exports it (input [1, H, W, 3], Transpose to channels first): the photo is explained channels
    // first, conservatively, with the heatmap written; a .npy is used as stored, channels last.
    [Fact]
    public void A_channels_last_model_explains_a_photo()
    {
        var b = new OnnxBuilder("x", 1, 32, 32, 3);
        b.Node("Transpose", ["x"], "nchw", Ints("perm", 0, 3, 1, 2))
            .Node("Conv", ["nchw", b.Weights("w", 4, 3, 3, 3), b.Weights("cb", 4)], "c", Ints("pads", 1, 1, 1, 1))
            .Node("Relu", ["c"], "r").Node("Transpose", ["r"], "nhwc", Ints("perm", 0, 2, 3, 1))
            .Node("Flatten", ["nhwc"], "f").Node("Gemm", ["f", b.Weights("d", 4096, 5), b.Weights("db", 5)], "y");
        var model = b.Save("y", 13, 1, 5);
        var dir = Cli.TempDirectory();
        var heatmap = Path.Combine(dir, "h.png");
        var r = Cli.Run("explain", model, Kitten, "--heatmap", heatmap, "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Out);
        var f = json.RootElement.GetProperty("f").GetDouble();
        var sum = json.RootElement.GetProperty("relevance_sum").GetDouble() + json.RootElement.GetProperty("bias_relevance").GetDouble();
        Assert.True(Math.Abs(f - sum) <= 1e-4 * Math.Max(1, Math.Abs(f)), $"{sum} vs f = {f}");
        Assert.True(new FileInfo(heatmap).Length > 0);
        var npy = Path.Combine(dir, "x.npy");
        Npy.Write(npy, [1, 32, 32, 3], [.. Enumerable.Range(0, 3072).Select(i => (float)(i % 7) / 7)]);
        Assert.Equal(0, Cli.Run("explain", model, npy).ExitCode);
        File.Delete(model);
    }

    [Theory]
    [InlineData("--rule", "nonsense")]
    [InlineData("--rule", "alphabeta:3:1")]
    [InlineData("--bounds", "1:2")]
    [InlineData("--maxpool", "median")]
    [InlineData("--gate", "half")]
    [InlineData("--max-pixels", "0")]
    [InlineData("--rule", "gamma:-1")]
    [InlineData("--rule", "gamma:0.25:-1")]
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
        var truncatedPhoto = Path.Combine(dir, "half.png");
        File.WriteAllBytes(truncatedPhoto, File.ReadAllBytes(Kitten)[..20000]);

        var outside = Path.Combine(dir, "outside.npy");
        Npy.Write(outside, [1, 1, 28, 28], [.. Enumerable.Repeat(300f, 784)]);
        var output = Path.Combine(dir, "out.npy");
        foreach (var (input, extra) in new[] { (wrongShape, ""), (nan, ""), (truncated, ""), (notImage, ""), (truncatedPhoto, ""), (outside, "0:255") })
        {
            var args = new List<string> { "explain", Mnist, input, "--out", output };
            if (extra.Length > 0) args.AddRange(["--bounds", extra]);
            var r = Cli.Run([.. args]);
            Assert.True(r.ExitCode == 4, $"{input}: exit {r.ExitCode}: {r.Error}");
            Assert.False(string.IsNullOrWhiteSpace(r.Error));
        }
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void An_image_whose_header_claims_ten_billion_pixels_is_refused_before_decoding()
    {
        var dir = Cli.TempDirectory();
        var huge = Path.Combine(dir, "huge.png");
        File.WriteAllBytes(huge, Png(100_000, 100_000));
        var r = Cli.Run("explain", SqueezeNet, huge, "--out", Path.Combine(dir, "r.npy"));
        Assert.True(r.ExitCode == 4, $"exit {r.ExitCode}: {r.Error}");
        Assert.Contains("100000×100000 = 10,000,000,000 pixels by its header, more than the limit", r.Error);
        Assert.Equal([huge], Directory.GetFiles(dir));
    }

    // The limit is the user's: a 224 × 224 photo under --max-pixels 50000 is refused before decoding, and explained with the
    // limit raised to its size (the overlay reads the photo again under the same limit).
    [Fact]
    public void The_pixel_limit_is_an_option()
    {
        var dir = Cli.TempDirectory();
        var (refusedOut, out_, overlay) = (Path.Combine(dir, "refused.npy"), Path.Combine(dir, "r.npy"), Path.Combine(dir, "o.png"));
        var refused = Cli.Run("explain", SqueezeNet, Kitten, "--channels", "bgr", "--scale", "1", "--max-pixels", "50000", "--out", refusedOut);
        Assert.True(refused.ExitCode == 4, $"exit {refused.ExitCode}: {refused.Error}");
        Assert.Contains("224×224 = 50,176 pixels by its header, more than the limit of 50,000", refused.Error);
        var r = Cli.Run("explain", SqueezeNet, Kitten, "--channels", "bgr", "--scale", "1", "--max-pixels", "50176", "--out", out_, "--overlay", overlay);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Error}");
        Assert.Equal(new[] { out_, overlay }.Order(), Directory.GetFiles(dir).Order());
    }

    // A PNG whose header claims the given size, with one small IDAT chunk of image data and the end chunk: a decoder opens it
    // and reads its size; decoding it would need width × height pixels.
    private static byte[] Png(int width, int height)
    {
        using var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Fastest)) z.Write(new byte[16]);
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A,
            .. Chunk("IHDR", [.. BigEndian(width), .. BigEndian(height), 8, 2, 0, 0, 0]), .. Chunk("IDAT", compressed.ToArray()), .. Chunk("IEND", [])];
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        return [.. BigEndian(data.Length), .. typed, .. BigEndian((int)Crc32(typed))];
    }

    private static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
