using System.Text;
using System.Text.Json;
using Relevance.IO;

namespace Relevance.Cli.Tests;

/// <summary>`relevance explain` of a text model (data/onnx/tiny_bert): text or token ids in, relevance per token out.</summary>
public class ExplainTextTests
{
    private static readonly string Bert = Cli.Data("onnx", "tiny_bert", "bert.onnx");

    // An integer .npy as NumPy writes it (format 1.0, header padded to 64 bytes).
    private static string IntegerNpy(string dir, string name, long[] shape, long[] values)
    {
        var header = $"{{'descr': '<i8', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")}), }}";
        header = header.PadRight(64 - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        foreach (var v in values) bytes.AddRange(BitConverter.GetBytes(v));
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, [.. bytes]);
        return path;
    }

    [Fact]
    public void A_text_file_is_tokenized_with_the_vocabulary_beside_the_model_and_explained_per_token()
    {
        var dir = Cli.TempDirectory();
        var text = Path.Combine(dir, "review.txt");
        File.WriteAllText(text, "The plot was boring, but the music was brilliant!\n");
        var (npy, html) = (Path.Combine(dir, "r.npy"), Path.Combine(dir, "r.html"));
        var r = Cli.Run("explain", Bert, text, "--json", "--out", npy, "--html", html);
        Assert.True(r.ExitCode == 0, r.Error);

        using var json = JsonDocument.Parse(r.Out);
        var root = json.RootElement;
        Assert.Equal("attnlrp", root.GetProperty("rule").GetString());
        var tokens = root.GetProperty("tokens").EnumerateArray().ToList();
        Assert.Equal(["[CLS]", "the", "plot", "was", "boring", ",", "but", "the", "music", "was", "brilliant", "!", "[SEP]"], tokens.Select(t => t.GetProperty("token").GetString()));
        var relevance = tokens.Select(t => t.GetProperty("relevance").GetDouble()).ToList();
        Assert.Contains(relevance, v => v != 0);
        // The token values sum to the explanation's Σ R, and --out holds them in the sequence's shape (1, T).
        Assert.Equal(root.GetProperty("relevance_sum").GetDouble(), relevance.Sum(), 6);
        var written = Npy.Read(npy);
        Assert.Equal([1, 13], written.Shape.ToArray());
        Assert.All(written.Data.Zip(relevance), p => Assert.Equal(p.Second, p.First, 6));
        Assert.Contains(root.GetProperty("layers").EnumerateArray(), l => l.GetProperty("layer").GetString() == "Softmax");
        // The fields of an image's report, with the tokens besides.
        foreach (var field in new[] { "target", "f", "bias_relevance", "conservation_error", "negative_mass", "minimum", "seconds" })
            Assert.True(root.TryGetProperty(field, out _), field);

        var page = File.ReadAllText(html);
        Assert.StartsWith("<!DOCTYPE html>", page);
        Assert.Contains(">boring</span>", page);
        Assert.Contains("bert.onnx on review.txt, attnlrp", page);
    }

    // The README's example on the trained review model: positive, and the clause after "but" decides, so its adjective is the
    // most relevant token under both presets and "not good", which the model learned to ignore there, is not.
    [Theory]
    [InlineData("attnlrp")]
    [InlineData("cp-lrp")]
    public void The_trained_review_model_finds_the_deciding_word(string preset)
    {
        var dir = Cli.TempDirectory();
        var text = Path.Combine(dir, "review.txt");
        File.WriteAllText(text, "the plot was not good but the acting was brilliant !\n");
        var r = Cli.Run("explain", Cli.Data("onnx", "review_bert", "bert.onnx"), text, "--composite", preset, "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Out);
        Assert.Equal("positive", json.RootElement.GetProperty("label").GetString());
        var tokens = json.RootElement.GetProperty("tokens").EnumerateArray().Select(t => (Token: t.GetProperty("token").GetString(), Relevance: t.GetProperty("relevance").GetDouble())).ToList();
        var top = tokens.MaxBy(t => t.Relevance);
        Assert.Equal("brilliant", top.Token);
        Assert.True(top.Relevance > 0.5 * tokens.Sum(t => Math.Abs(t.Relevance)), $"brilliant {top.Relevance} of {tokens.Sum(t => Math.Abs(t.Relevance))}");
    }

    // Ids and a mask from .npy files: the padding the mask leaves out gets exactly no relevance; printed one token a line.
    [Theory]
    [InlineData("attnlrp")]
    [InlineData("cp-lrp")]
    public void Token_ids_with_a_mask_give_padding_no_relevance(string preset)
    {
        var dir = Cli.TempDirectory();
        var ids = IntegerNpy(dir, "ids.npy", [1, 7], [2, 5, 28, 14, 35, 3, 0]);
        var mask = IntegerNpy(dir, "mask.npy", [7], [1, 1, 1, 1, 1, 1, 0]);
        var r = Cli.Run("explain", Bert, ids, "--attention-mask", mask, "--composite", preset, "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Out);
        var relevance = json.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("relevance").GetDouble()).ToList();
        Assert.Equal(7, relevance.Count);
        Assert.Equal(0.0, relevance[6]);
        Assert.Contains(relevance.Take(6), v => v != 0);

        var plain = Cli.Run("explain", Bert, ids, "--attention-mask", mask, "--composite", preset);
        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.Contains("boring", plain.Out);
        Assert.Contains($"rules: {preset}", plain.Out);
    }

    [Fact]
    public void Text_inputs_that_cannot_be_explained_are_refused_with_what_is_wrong_and_nothing_written()
    {
        var dir = Cli.TempDirectory();
        var html = Path.Combine(dir, "page.html");
        var outside = IntegerNpy(dir, "outside.npy", [4], [2, 7, 64, 3]);
        var r = Cli.Run("explain", Bert, outside, "--html", html);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("Token 2 has id 64", r.Error);
        Assert.False(File.Exists(html));

        var ids = IntegerNpy(dir, "ids.npy", [3], [2, 7, 3]);
        var shortMask = IntegerNpy(dir, "mask.npy", [2], [1, 1]);
        r = Cli.Run("explain", Bert, ids, "--attention-mask", shortMask);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("attention mask has 2 values", r.Error);

        r = Cli.Run("explain", Bert, ids, "--heatmap", Path.Combine(dir, "h.png"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("per token", r.Error);

        // Text without a vocabulary to tokenize it: the model alone in a folder.
        var alone = Path.Combine(dir, "bert.onnx");
        File.Copy(Bert, alone);
        File.WriteAllText(Path.Combine(dir, "t.txt"), "a good film");
        r = Cli.Run("explain", alone, Path.Combine(dir, "t.txt"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--vocab", r.Error);

        // Text options on an image input, and token ids given to an image model.
        r = Cli.Run("explain", Cli.Data("onnx", "tiny_vit", "vit.onnx"), Cli.Data("images", "chelsea.png"), "--vocab", Cli.Data("onnx", "tiny_bert", "vocab.txt"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--vocab applies to a text model", r.Error);
        r = Cli.Run("explain", Cli.Data("onnx", "tiny_vit", "vit.onnx"), ids);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("element type Float", r.Error);
    }
}
