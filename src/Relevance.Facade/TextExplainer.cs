using System.Collections.Immutable;
using Relevance.Onnx;

namespace Relevance;

/// <summary>Explains a text model's decisions (a BERT-style encoder from ONNX) per token, with the fast float32 engine.</summary>
/// <remarks>Relevance is computed at the word embeddings the ids look up and summed over the embedding's width, one value per
/// token; the position and token-type embeddings added to them are constants, so what reaches them is bias relevance. The graph
/// is imported and compiled for a sequence's length, mask and token types, and reused while they stay the same. Not
/// thread-safe: use one per thread.</remarks>
public sealed class TextExplainer : IDisposable
{
    private readonly string _path;
    private readonly ExplainerSettings _settings;
    private (string Key, Explainer Explainer, ImportedTextModel Model)? _current;

    private TextExplainer(string path, ExplainerSettings settings, TextVocabulary? vocabulary, ImmutableArray<string> labels)
    {
        _path = path;
        _settings = settings;
        Vocabulary = vocabulary;
        Labels = labels;
    }

    /// <summary>Opens a text model (default rules: the AttnLRP preset, <see cref="Composite.AttnLrp"/>).</summary>
    /// <exception cref="ModelFormatException">The file is not a readable ONNX model.</exception>
    public static TextExplainer Load(string onnxPath, ExplainerSettings? settings = null, TextVocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(onnxPath);
        if (!File.Exists(onnxPath)) throw new ModelFormatException($"Cannot read the model '{onnxPath}': the file does not exist.");
        settings ??= new ExplainerSettings();
        if (settings.Composite is null && settings.FirstRule is null && settings.Rule is null)
            settings = settings with { Composite = Composite.AttnLrp(), Options = Composite.PresetOptions("attnlrp", settings.Options) };
        return new TextExplainer(onnxPath, settings, vocabulary, ClassLabels.Near(onnxPath));
    }

    /// <summary>The vocabulary that names tokens and tokenizes text, if one was given.</summary>
    public TextVocabulary? Vocabulary { get; }

    /// <summary>The class names found beside the model (labels.txt), or empty.</summary>
    public ImmutableArray<string> Labels { get; }

    /// <summary>The rules and options every sequence is explained with.</summary>
    public ExplainerSettings Settings => _settings;

    /// <summary>A text as the model's input, tokenized by <see cref="Vocabulary"/> with [CLS] and [SEP] around it.</summary>
    /// <exception cref="InvalidOperationException">No vocabulary was given.</exception>
    public TokenInput Tokenize(string text) =>
        (Vocabulary ?? throw new InvalidOperationException("No vocabulary was given to tokenize text with; pass token ids, or load with a vocab.txt.")).Encode(text);

    /// <summary>Imports and compiles the graph for a sequence's length, mask and token types, as the first explanation of such a
    /// sequence would (to time explanations apart from loading).</summary>
    /// <exception cref="InvalidInputException">The sequence does not fit the model.</exception>
    /// <exception cref="UnsupportedModelException">The model is not one the importer can read as a text model.</exception>
    public void Prepare(TokenInput tokens) => For(tokens);

    /// <summary>The model's outputs (logits) for one sequence.</summary>
    /// <exception cref="InvalidInputException">The sequence does not fit the model.</exception>
    /// <exception cref="UnsupportedModelException">The model is not one the importer can read as a text model.</exception>
    public float[] Forward(TokenInput tokens)
    {
        var (explainer, model) = For(tokens);
        return explainer.Forward(model.Embeddings);
    }

    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) for one sequence, per token.</summary>
    /// <exception cref="InvalidInputException">The sequence does not fit the model (length, an id outside the vocabulary).</exception>
    /// <exception cref="UnsupportedModelException">The model is not one the importer can read as a text model.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The target is not an output of the model.</exception>
    public TokenExplanation Explain(TokenInput tokens, int? target = null)
    {
        var (explainer, model) = For(tokens);
        var explanation = explainer.Explain(model.Embeddings, target);
        return TokenExplanation.Of(explanation, tokens, Vocabulary, explainer.Label(explanation.Target));
    }

    /// <summary>The explainer compiled for a sequence's length, mask and token types (and ids, when the graph reads their values).</summary>
    private (Explainer, ImportedTextModel) For(TokenInput tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_current is { } c && c.Key == Key(tokens, c.Model.ReadsIdValues)) return (c.Explainer, c.Model with { Tokens = tokens });
        var model = OnnxImporter.Load(_path, tokens);
        var explainer = Explainer.Create(model.Model, _settings, Labels);
        _current?.Explainer.Dispose();
        _current = (Key(tokens, model.ReadsIdValues), explainer, model);
        return (explainer, model);
    }

    private static string Key(TokenInput t, bool ids) =>
        $"{t.Ids.Length}|{string.Join(",", t.Values(TokenRole.AttentionMask))}|{string.Join(",", t.Values(TokenRole.TokenTypes))}{(ids ? "|" + string.Join(",", t.Ids) : "")}";

    private bool _disposed;

    /// <summary>Releases the compiled explainer's buffers.</summary>
    public void Dispose()
    {
        _disposed = true;
        _current?.Explainer.Dispose();
        _current = null;
    }
}

/// <summary>One token's share of an explanation.</summary>
/// <param name="Index">Its position in the sequence.</param>
/// <param name="Id">Its id.</param>
/// <param name="Token">Its text in the vocabulary, or null without one.</param>
/// <param name="Relevance">The relevance of its word embedding, summed over the embedding's width.</param>
public readonly record struct TokenRelevance(int Index, long Id, string? Token, double Relevance);

/// <summary>An explanation of a text model's decision, per token.</summary>
/// <param name="Explanation">The explanation at the word embeddings ([sequence × width]) with f(x), target and consistency report.</param>
/// <param name="Input">The sequence explained.</param>
/// <param name="Tokens">Each token's relevance, in order.</param>
/// <param name="Label">The target's class name, if the model has labels.</param>
public sealed record TokenExplanation(Explanation Explanation, TokenInput Input, ImmutableArray<TokenRelevance> Tokens, string? Label)
{
    /// <summary>Sums an explanation's relevance over each token's embedding.</summary>
    public static TokenExplanation Of(Explanation explanation, TokenInput input, TextVocabulary? vocabulary = null, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentNullException.ThrowIfNull(input);
        var heatmap = explanation.HeatmapSingles();
        var length = input.Ids.Length;
        if (explanation.Shape.Rank != 2 || explanation.Shape[0] != length)
            throw new InvalidInputException($"An explanation of shape {explanation.Shape} is not one of a sequence of {length} tokens ([sequence × width]).");
        var width = explanation.Shape[1];
        var tokens = Enumerable.Range(0, length).Select(t =>
        {
            var sum = 0.0;
            foreach (var r in heatmap.AsSpan(t * width, width)) sum += r;
            return new TokenRelevance(t, input.Ids[t], vocabulary?.Token(input.Ids[t]), sum);
        });
        return new TokenExplanation(explanation, input, [.. tokens], label);
    }
}
