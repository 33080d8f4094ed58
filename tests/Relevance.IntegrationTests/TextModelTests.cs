using System.Collections.Immutable;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Relevance.Engine;
using Relevance.Onnx;
using static Relevance.IntegrationTests.OnnxBuilder;

namespace Relevance.IntegrationTests;

/// <summary>BERT-style text models: data/onnx/tiny_bert (made by scripts/export-bert.py as Hugging Face's BERT computes) imports
/// for a token sequence, computes what ONNX Runtime computes from the ids, mask and token types, and explains per token.</summary>
public class TextModelTests
{
    private static string Bert => RepositoryData.Path("onnx", "tiny_bert", "bert.onnx");
    private static string Vocab => RepositoryData.Path("onnx", "tiny_bert", "vocab.txt");

    // A sequence of the tiny vocabulary's words between [CLS] (2) and [SEP] (3).
    private static TokenInput Sequence(int length, int seed, int padding = 0)
    {
        var rng = new Random(seed);
        long[] ids = [2, .. Enumerable.Range(0, length - 2).Select(_ => (long)rng.Next(5, 64)), 3, .. new long[padding]];
        return new TokenInput([.. ids], [.. ids.Select((_, i) => i < length ? 1L : 0L)], [.. ids.Select((_, i) => i < length / 2 ? 0L : 1L)]);
    }

    private static float[] RuntimeLogits(string path, TokenInput tokens)
    {
        using var session = new InferenceSession(path);
        int[] dims = [1, tokens.Ids.Length];
        DenseTensor<long> Of(ImmutableArray<long> v) => new(v.ToArray(), dims);
        using var results = session.Run([
            NamedOnnxValue.CreateFromTensor("input_ids", Of(tokens.Ids)),
            NamedOnnxValue.CreateFromTensor("attention_mask", Of(tokens.Values(TokenRole.AttentionMask))),
            NamedOnnxValue.CreateFromTensor("token_type_ids", Of(tokens.Values(TokenRole.TokenTypes)))]);
        return [.. results.First().AsEnumerable<float>()];
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(7, 0)]
    [InlineData(12, 3)]
    [InlineData(30, 2)]
    public void The_tiny_bert_computes_what_onnx_runtime_computes(int length, int padding)
    {
        var tokens = Sequence(length, length, padding);
        var model = OnnxImporter.Load(Bert, tokens);
        Assert.Equal(new Shape([length + padding, 16]), model.Model.Network.InputShape);
        Assert.Equal("embeddings.word_embeddings.weight", model.Table.Name);
        Assert.False(model.ReadsIdValues);
        var ours = EngineNetwork.Compile(model.Model.Network, Composite.AttnLrp()).Forward(model.Embeddings);
        var theirs = RuntimeLogits(Bert, tokens);
        // float32 against float32 in another order of summation: ~1e-7 of the largest logit (measured 1.6e-7).
        var scale = theirs.Max(Math.Abs);
        Assert.Equal(theirs.Length, ours.Length);
        for (var i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - theirs[i]) <= 1e-5 * scale, $"logit {i}: ours {ours[i]}, ONNX Runtime {theirs[i]}");
    }

    [Theory]
    [InlineData("attnlrp")]
    [InlineData("cp-lrp")]
    public void The_tiny_bert_explains_with_each_preset_as_the_reference_does(string preset)
    {
        var model = OnnxImporter.Load(Bert, Sequence(9, 1, padding: 2));
        var (composite, options) = (Composite.Preset(preset), Composite.PresetOptions(preset, ExplainOptions.Default));
        var ours = EngineNetwork.Compile(model.Model.Network, composite, options).Explain(model.Embeddings);
        var input = model.Embeddings;
        var reference = Reference.Propagation.Explain(model.Model.Network, Tensor.From(model.Model.Network.InputShape, [.. input.Select(v => (double)v)]), composite, options);

        Assert.Equal(reference.Target, ours.Target);
        var (heatmap, expected) = (ours.HeatmapSingles(), reference.Heatmap.Data);
        Assert.All(heatmap, r => Assert.True(float.IsFinite(r)));
        // As for the vision transformer (TransformerTests): float32 against double through two encoder layers agree to ~1e-8
        // of the largest value; a wrong rule or share moves values by a sizeable fraction of it.
        var scale = expected.Max(Math.Abs);
        for (var i = 0; i < heatmap.Length; i++)
            Assert.True(Math.Abs(heatmap[i] - expected[i]) <= 1e-5 * scale, $"{preset}, value {i}: engine {heatmap[i]}, reference {expected[i]} (largest {scale})");
        var softmaxes = ours.Consistency.Layers.Where(l => l.Layer == "Softmax").ToList();
        Assert.Equal(2, softmaxes.Count);
        Assert.All(softmaxes, s => Assert.Equal(preset == "cp-lrp", s.RelevanceIn == 0));
    }

    // The mask's −10 000 makes padding's attention weights exactly 0 in float32, so padding changes no logit beyond rounding,
    // receives exactly no relevance, and leaves the real tokens' relevance as it was.
    [Theory]
    [InlineData("attnlrp")]
    [InlineData("cp-lrp")]
    public void Padding_the_mask_leaves_out_changes_nothing_and_gets_no_relevance(string preset)
    {
        using var explainer = TextExplainer.Load(Bert, new ExplainerSettings { Composite = Composite.Preset(preset), Options = Composite.PresetOptions(preset, ExplainOptions.Default) });
        var plain = explainer.Explain(Sequence(8, 3));
        var padded = explainer.Explain(Sequence(8, 3, padding: 4));

        Assert.Equal(12, padded.Tokens.Length);
        Assert.All(padded.Tokens.Skip(8), t => Assert.Equal(0.0, t.Relevance));
        Assert.Equal(plain.Explanation.Target, padded.Explanation.Target);
        // Both in float32, summing the same non-zero terms with zeros between them: logits and token relevance agree to
        // rounding, 1e-5 of the largest.
        Assert.True(Math.Abs(plain.Explanation.Output - padded.Explanation.Output) <= 1e-5 * Math.Abs(plain.Explanation.Output));
        var scale = plain.Tokens.Max(t => Math.Abs(t.Relevance));
        Assert.True(scale > 0);
        foreach (var (a, b) in plain.Tokens.Zip(padded.Tokens))
            Assert.True(Math.Abs(a.Relevance - b.Relevance) <= 1e-5 * scale, $"token {a.Index}: {a.Relevance} unpadded, {b.Relevance} padded");
    }

    // One to one with LXT, the AttnLRP authors' library: its per-token relevance (gradient × input with the uniform rule
    // on attention products, the identity rule on GELU and tanh, LayerNorm's σ held constant, and for CP-LRP the attention
    // weights held constant) of the trained review model, computed in float64 by scripts/lxt_reference.py, against ours.
    [Theory]
    [InlineData("attnlrp")]
    [InlineData("cp-lrp")]
    public void The_review_model_is_explained_as_LXT_explains_it(string preset)
    {
        var fixture = System.Text.Json.JsonDocument.Parse(File.ReadAllText(RepositoryData.Path("..", "tests", "Relevance.IntegrationTests", "Fixtures", "lxt", "review_bert.json"))).RootElement;
        using var explainer = TextExplainer.Load(RepositoryData.Path("onnx", "review_bert", "bert.onnx"),
            new ExplainerSettings { Composite = Composite.Preset(preset), Options = Composite.PresetOptions(preset, ExplainOptions.Default) });
        foreach (var c in fixture.GetProperty("cases").EnumerateArray())
        {
            ImmutableArray<long> Longs(string name) => [.. c.GetProperty(name).EnumerateArray().Select(v => v.GetInt64())];
            var explained = explainer.Explain(new TokenInput(Longs("ids"), Longs("mask")));
            var text = c.GetProperty("text").GetString();
            Assert.Equal(c.GetProperty("target").GetInt32(), explained.Explanation.Target);
            var logits = c.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(logits[explained.Explanation.Target], explained.Explanation.Output, 4);
            var expected = c.GetProperty(preset).EnumerateArray().Select(v => v.GetDouble()).ToArray();
            // Our ε-rule keeps ε = 10⁻⁶ in its denominators where gradient × input has none: tokens differ from LXT's by up to
            // 6.6e-4 of the largest (measured; the double-precision reference differs as much, and with ε = 10⁻⁹ by up to
            // 3.5e-4). 1e-3 leaves that room, while a rule of another kind moves tokens by tenths of the largest (relevance
            // kept from the position embeddings moved the first token by 0.24 of it).
            var scale = expected.Max(Math.Abs);
            foreach (var (t, ours) in explained.Tokens.Select(t => (t.Index, t.Relevance)))
                Assert.True(Math.Abs(ours - expected[t]) <= 1e-3 * scale, $"{preset}, '{text}', token {t}: ours {ours}, LXT {expected[t]} (largest {scale})");
        }
    }

    [Fact]
    public void Text_is_tokenized_by_the_vocabulary_and_explained_per_token()
    {
        var vocabulary = TextVocabulary.Load(Vocab);
        using var explainer = TextExplainer.Load(Bert, vocabulary: vocabulary);
        var tokens = explainer.Tokenize("The plot was BORING, zzz!");
        Assert.Equal(["[CLS]", "the", "plot", "was", "boring", ",", "[UNK]", "!", "[SEP]"], tokens.Ids.Select(i => vocabulary.Token(i)));

        var explained = explainer.Explain(tokens);
        Assert.Equal(explainer.Settings.Composite, Composite.AttnLrp());
        Assert.Equal(tokens.Ids, explained.Tokens.Select(t => t.Id));
        Assert.Equal("boring", explained.Tokens[4].Token);
        // Each token's relevance is its embedding's, summed over the width: together, the explanation's.
        var heatmap = explained.Explanation.HeatmapSingles();
        for (var t = 0; t < tokens.Ids.Length; t++)
            Assert.Equal(heatmap.Skip(t * 16).Take(16).Sum(r => (double)r), explained.Tokens[t].Relevance, 12);
        Assert.Equal(explainer.Forward(tokens)[explained.Explanation.Target], explained.Explanation.Output, 5);

        // Another sentence of the same length reuses the compiled graph with its own embeddings.
        var other = explainer.Explain(explainer.Tokenize("a good film and a fun story"));
        Assert.Equal(9, other.Tokens.Length);
        Assert.NotEqual(explained.Explanation.Output, other.Explanation.Output);
        Assert.Equal(RuntimeLogits(Bert, other.Input)[other.Explanation.Target], other.Explanation.Output, 5);
    }

    [Fact]
    public void Sequences_that_do_not_fit_the_model_are_refused_with_what_is_wrong()
    {
        var outside = Assert.Throws<InvalidInputException>(() => OnnxImporter.Load(Bert, new TokenInput([2, 7, 64, 3])));
        Assert.Contains("Token 2 has id 64", outside.Message);
        Assert.Contains("64 rows", outside.Message);
        var mask = Assert.Throws<InvalidInputException>(() => new TokenInput([2, 7, 3], AttentionMask: [1, 1]));
        Assert.Contains("attention mask has 2 values", mask.Message);
        Assert.Throws<InvalidInputException>(() => new TokenInput([]));
        var grown = new TokenInput([2, 7, 3], AttentionMask: [1, 1, 1]) with { Ids = [2, 7, 8, 3] };
        Assert.Contains("attention mask has 3 values", Assert.Throws<InvalidInputException>(() => OnnxImporter.Load(Bert, grown)).Message);
        var tooLong = Assert.Throws<InvalidInputException>(() => OnnxImporter.Load(Bert, new TokenInput([2, .. Enumerable.Repeat(7L, 31), 3])));
        Assert.Contains("33 tokens", tooLong.Message);
        Assert.Contains("'embeddings.position_embeddings.weight' hold 32", tooLong.Message);

        // An image model is not a text model, and a text model needs its tokens.
        var image = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(RepositoryData.Path("onnx", "tiny_vit", "vit.onnx"), new TokenInput([2, 3])));
        Assert.Contains("element type Float", image.Message);
        var text = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(Bert));
        Assert.Contains("token ids", text.Message);
        Assert.Contains("input_ids", text.Message);
    }

    // Exports slice constant tables too: a position table cut to the sequence, padding pairs reversed (a step of −1).
    [Fact]
    public void Constant_tables_are_sliced_along_any_axis_with_any_step()
    {
        var b = new OnnxBuilder("x", 1, 2, 4);
        b.Node("Slice", [b.Weights("table", 3, 5), b.Ints64("starts", 1, -1), b.Ints64("ends", 3, -6), b.Ints64("axes", 0, 1), b.Ints64("steps", 1, -1)], "sliced")
            .Node("Slice", ["sliced", b.Ints64("from", 1), b.Ints64("to", 5), b.Ints64("axis", 1)], "reversed_tail")
            .Node("Add", ["x", "reversed_tail"], "y");
        var path = b.Save("y", 13, 1, 2, 4);
        Assert.Contains(OnnxImporter.Load(path).Network.Nodes, n => n.Layer is ChannelAffine { Channels: 8 });
        OperatorParityTests.AssertParity(path);
    }
}
