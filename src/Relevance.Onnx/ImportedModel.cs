using System.Collections.Immutable;

namespace Relevance.Onnx;

/// <summary>An ONNX model as a Relevance layer graph, with what is needed to feed and read it.</summary>
/// <param name="Network">The layer graph (per-sample shapes, no batch axis); a final Softmax is stripped so the logits are explained.</param>
/// <param name="InputName">The ONNX input tensor's name.</param>
/// <param name="InputDims">The ONNX input's dimensions, batch first (a symbolic batch is 1).</param>
/// <param name="InputIsHalf">Whether the ONNX input is float16.</param>
/// <param name="OutputName">The ONNX output tensor that <see cref="Network"/> computes (the logits before a stripped Softmax).</param>
/// <param name="StrippedSoftmax">Whether a final Softmax was removed.</param>
/// <param name="Opset">The default-domain opset version.</param>
public sealed record ImportedModel(Network Network, string InputName, ImmutableArray<long> InputDims, bool InputIsHalf,
    string OutputName, bool StrippedSoftmax, long Opset);

/// <summary>A text model imported for one token sequence: the network explains the word embeddings the ids look up.</summary>
/// <param name="Model">The layer graph from the word embeddings ([sequence × width]) to the logits.</param>
/// <param name="Tokens">The sequence the model was imported for.</param>
/// <param name="Table">The word-embedding table the ids index.</param>
/// <param name="IdsInputName">The ONNX input that holds the token ids.</param>
/// <param name="ReadsIdValues">Whether the graph computes more than the lookup from the ids' values (a mask from the padding
/// id): then the network holds for these ids only, not for every sequence with the same length, mask and types.</param>
public sealed record ImportedTextModel(ImportedModel Model, TokenInput Tokens, EmbeddingTable Table, string IdsInputName, bool ReadsIdValues)
{
    /// <summary>The network's input for <see cref="Tokens"/>: the table's rows for its ids.</summary>
    public float[] Embeddings => Table.Rows(Tokens.Ids);
}

/// <summary>A word-embedding table: one row of <see cref="Width"/> values per token id.</summary>
/// <param name="Name">The ONNX initializer's name.</param>
/// <param name="Width">The embedding's width.</param>
/// <param name="Values">The rows, end to end.</param>
public sealed record EmbeddingTable(string Name, int Width, ImmutableArray<float> Values)
{
    /// <summary>The number of ids the table holds.</summary>
    public int Count => Values.Length / Width;

    /// <summary>The rows of a sequence's ids, end to end ([sequence × width]); negative ids count from the end, as ONNX's Gather does.</summary>
    /// <exception cref="InvalidInputException">An id is outside the table.</exception>
    public float[] Rows(ImmutableArray<long> ids)
    {
        var rows = new float[checked(ids.Length * Width)];
        for (var t = 0; t < ids.Length; t++)
        {
            var id = ids[t];
            if (id < -Count || id >= Count)
                throw new InvalidInputException($"Token {t} has id {id}; the embedding table '{Name}' has {Count} rows (ids 0 to {Count - 1}).");
            Values.AsSpan((int)(id < 0 ? id + Count : id) * Width, Width).CopyTo(rows.AsSpan(t * Width));
        }
        return rows;
    }
}

/// <summary>What an integer input of a text model holds, recognised by its name.</summary>
public enum TokenRole
{
    /// <summary>The token ids (any name the others do not match, e.g. input_ids).</summary>
    Ids,
    /// <summary>1 for a token attended to, 0 for padding (a name with "mask").</summary>
    AttentionMask,
    /// <summary>The segment of each token (a name with "type" or "segment").</summary>
    TokenTypes,
    /// <summary>Each token's position (a name with "position").</summary>
    Positions,
}

/// <summary>One token sequence for a text model: the ids, and optionally the attention mask and token types (same length).</summary>
/// <param name="Ids">The token ids, [CLS] and [SEP] included as the model was trained.</param>
/// <param name="AttentionMask">1 for tokens attended to, 0 for padding; default: all ones.</param>
/// <param name="TokenTypes">Each token's segment; default: all zeros.</param>
public sealed record TokenInput(ImmutableArray<long> Ids, ImmutableArray<long> AttentionMask = default, ImmutableArray<long> TokenTypes = default)
{
    /// <summary>The ids, checked: at least one token, a mask and types of the same length.</summary>
    public ImmutableArray<long> Ids { get; init; } = Ids.IsDefaultOrEmpty ? throw new InvalidInputException("A token sequence needs at least one token.") : Ids;

    /// <summary>1 for tokens attended to, 0 for padding (all ones when not given).</summary>
    public ImmutableArray<long> AttentionMask { get; init; } = Checked(AttentionMask, Ids.IsDefault ? 0 : Ids.Length, "attention mask");

    /// <summary>Each token's segment (all zeros when not given).</summary>
    public ImmutableArray<long> TokenTypes { get; init; } = Checked(TokenTypes, Ids.IsDefault ? 0 : Ids.Length, "token types");

    private static ImmutableArray<long> Checked(ImmutableArray<long> values, int length, string what) =>
        values.IsDefault || values.Length == length ? values
        : throw new InvalidInputException($"The {what} has {values.Length} values; the sequence has {length} tokens.");

    /// <summary>The role of an integer input, from its name.</summary>
    public static TokenRole RoleOf(string inputName)
    {
        var name = inputName.ToLowerInvariant();
        return name.Contains("mask") ? TokenRole.AttentionMask
            : name.Contains("type") || name.Contains("segment") ? TokenRole.TokenTypes
            : name.Contains("position") ? TokenRole.Positions
            : TokenRole.Ids;
    }

    /// <summary>The values an input of the given role takes for this sequence.</summary>
    /// <exception cref="InvalidInputException">The mask or the types do not have the ids' length (set apart by a <c>with</c>).</exception>
    public ImmutableArray<long> Values(TokenRole role) => role switch
    {
        TokenRole.Ids => Ids,
        TokenRole.AttentionMask => AttentionMask.IsDefault ? [.. Enumerable.Repeat(1L, Ids.Length)] : Checked(AttentionMask, Ids.Length, "attention mask"),
        TokenRole.TokenTypes => TokenTypes.IsDefault ? [.. new long[Ids.Length]] : Checked(TokenTypes, Ids.Length, "token types"),
        TokenRole.Positions => [.. Enumerable.Range(0, Ids.Length).Select(i => (long)i)],
        _ => throw new System.Diagnostics.UnreachableException(),
    };
}
