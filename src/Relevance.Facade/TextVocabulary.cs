using System.Collections.Immutable;
using Microsoft.ML.Tokenizers;
using Relevance.Onnx;

namespace Relevance;

/// <summary>A BERT vocabulary (vocab.txt, one token per line, the line number its id): names tokens and tokenizes text with WordPiece.</summary>
public sealed class TextVocabulary
{
    private readonly ImmutableArray<string> _tokens;
    private readonly BertTokenizer _tokenizer;

    private TextVocabulary(ImmutableArray<string> tokens, BertTokenizer tokenizer) => (_tokens, _tokenizer) = (tokens, tokenizer);

    /// <summary>Reads a vocab.txt; <paramref name="lowerCase"/> for uncased models (BERT's default).</summary>
    /// <exception cref="InvalidInputException">The file cannot be read, is empty, or lacks [CLS], [SEP], [UNK] or [PAD].</exception>
    public static TextVocabulary Load(string path, bool lowerCase = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot read the vocabulary '{path}': {e.Message}");
        }
        if (lines.Length > 0 && lines[^1].Length == 0) lines = lines[..^1];
        if (lines.Length == 0) throw new InvalidInputException($"The vocabulary '{path}' is empty; a vocab.txt holds one token per line.");
        var missing = new[] { "[CLS]", "[SEP]", "[UNK]", "[PAD]" }.Where(t => !lines.Contains(t)).ToList();
        if (missing.Count > 0)
            throw new InvalidInputException($"The vocabulary '{path}' lacks {string.Join(", ", missing)}: it is not a BERT vocab.txt.");
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));
        return new TextVocabulary([.. lines], BertTokenizer.Create(stream, new BertOptions { LowerCaseBeforeTokenization = lowerCase }));
    }

    /// <summary>The number of tokens.</summary>
    public int Count => _tokens.Length;

    /// <summary>A token's text, or null for an id outside the vocabulary.</summary>
    public string? Token(long id) => id >= 0 && id < _tokens.Length ? _tokens[(int)id] : null;

    /// <summary>A text as token ids, [CLS] first and [SEP] last, unknown words as [UNK].</summary>
    public TokenInput Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new TokenInput([.. _tokenizer.EncodeToIds(text).Select(i => (long)i)]);
    }
}
