using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Relevance.IO;
using Relevance.Onnx;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>The options of a text model's input: vocabulary, casing, attention mask, token types and the HTML page.</summary>
internal sealed class TextOptions
{
    private readonly Option<string?> _vocab = new("--vocab") { Description = "A text model's vocab.txt (one token per line): names the tokens and tokenizes a .txt input; default: vocab.txt beside the model, if there is one." };
    private readonly Option<bool> _cased = new("--cased") { Description = "Keep the text's case when tokenizing (cased models); default: lower-case, as uncased BERT." };
    private readonly Option<string?> _mask = new("--attention-mask") { Description = "A text model's attention mask as an integer .npy (1 attended, 0 padding) of the ids' length; default: all ones." };
    private readonly Option<string?> _types = new("--token-types") { Description = "A text model's token types (segments) as an integer .npy of the ids' length; default: all zeros." };
    private readonly Option<string?> _html = new("--html") { Description = "For a text model, write the tokens coloured by relevance as an HTML page." };

    public static TextOptions Create() => new();

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _vocab, _cased, _mask, _types, _html }) command.Options.Add(o);
    }

    public TextChoice Read(ParseResult parse) =>
        new(parse.GetValue(_vocab), parse.GetValue(_cased), parse.GetValue(_mask), parse.GetValue(_types), parse.GetValue(_html));
}

/// <summary>A text model's input options as given.</summary>
internal sealed record TextChoice(string? Vocab, bool Cased, string? AttentionMask, string? TokenTypes, string? Html)
{
    /// <summary>The first text option given, for a message when the input is not text.</summary>
    public string? Given => Vocab is not null ? "--vocab" : Cased ? "--cased" : AttentionMask is not null ? "--attention-mask" : TokenTypes is not null ? "--token-types" : Html is not null ? "--html" : null;
}

/// <summary>`relevance explain` of a text model: token ids or text in, relevance per token out.</summary>
internal static class ExplainText
{
    /// <summary>Whether an input is a text model's: a .txt, or a .npy of signed integers (token ids; a uint8 .npy is an image's
    /// pixels, used as stored).</summary>
    public static bool IsText(string input) =>
        input.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)
        || input.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) && File.Exists(input) && Npy.ElementType(input) is ['<' or '>' or '|', 'i', ..];

    public static int Run(ExplainCommand.Request r)
    {
        var t = r.Text;
        if (r.Heatmap is not null || r.Overlay is not null)
            throw new UsageException($"{(r.Heatmap is not null ? "--heatmap" : "--overlay")} draws an image; a text model's relevance is per token: write it with --html, --out or --json.");
        if (r.PreprocessingGiven.Length > 0)
            throw new UsageException($"{string.Join(", ", r.PreprocessingGiven)}: preprocessing applies to images; the input '{r.Input}' is text.");
        OutputPaths.Check([("--out", r.Out), ("--html", t.Html)], [r.Model, r.Input, .. new[] { t.Vocab, t.AttentionMask, t.TokenTypes }.OfType<string>()]);
        r.Rules.Check();
        if (!File.Exists(r.Model)) throw new ModelFormatException($"Cannot read the model '{r.Model}': the file does not exist.");

        var vocabPath = t.Vocab ?? (Path.Combine(Path.GetDirectoryName(Path.GetFullPath(r.Model))!, "vocab.txt") is var beside && File.Exists(beside) ? beside : null);
        var vocabulary = vocabPath is null ? null : TextVocabulary.Load(vocabPath, lowerCase: !t.Cased);
        var (tokens, storedShape) = Tokens(r, vocabulary);
        using var explainer = TextExplainer.Load(r.Model, Settings(r), vocabulary);
        explainer.Prepare(tokens);
        var clock = Stopwatch.StartNew();
        TokenExplanation explained;
        try
        {
            explained = explainer.Explain(tokens, r.Target);
        }
        catch (ArgumentOutOfRangeException) when (r.Target is { } target)
        {
            var outputs = explainer.Forward(tokens).Length;
            throw new UsageException($"--target {target}: the model has {outputs} outputs, numbered 0 to {outputs - 1}.");
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var rulesName = r.Rules.Preset ?? (r.Rules.RuleGiven || r.Rules.FirstRuleGiven ? $"{r.Rules.FirstRule} first, {r.Rules.Rule} above" : "attnlrp");

        var staged = new List<StagedFile>();
        try
        {
            if (r.Out is not null) staged.Add(AtomicFile.Stage(r.Out, s => Npy.Write(s, [.. storedShape], [.. explained.Tokens.Select(k => (float)k.Relevance)])));
            if (t.Html is not null) staged.Add(AtomicFile.Stage(t.Html, s => s.Write(System.Text.Encoding.UTF8.GetBytes(TokenHeatmap.Html(explained, $"{Path.GetFileName(r.Model)} on {Path.GetFileName(r.Input)}, {rulesName}")))));
            foreach (var file in staged) file.Publish();
        }
        finally
        {
            foreach (var file in staged) file.Dispose();
        }
        if (r.Json)
        {
            Console.WriteLine(Json(r, rulesName, explained, seconds));
            return ExitCodes.Success;
        }

        var e = explained.Explanation;
        var c = e.Consistency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"target {e.Target}{(explained.Label is { } l ? $" ({l})" : "")}: f = {e.Output:G6}, Σ R = {c.HeatmapSum:G6}, bias share = {c.BiasRelevance:G6}, negative mass = {c.NegativeMass:G4}"));
        Print(explained);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rules: {rulesName}{(r.Rules.Options.Attention == AttentionRedistribution.ValuesOnly ? "; attention weights held constant" : "")}; relevance of the word embeddings, summed per token; {seconds:F3} s"));
        foreach (var (path, what) in new[] { (r.Out, "relevance"), (t.Html, "page") })
            if (path is not null) Console.WriteLine($"{what}: {Path.GetFullPath(path)}");
        return ExitCodes.Success;
    }

    // Text models are explained with the AttnLRP preset unless rules are given; a first-layer z^B needs its box given.
    private static ExplainerSettings Settings(ExplainCommand.Request r)
    {
        var settings = new ExplainerSettings { Options = r.Rules.Options, MaxWorkspaceBytes = (long)r.MaxMemory << 20 };
        if (r.Rules.Preset is null && !r.Rules.RuleGiven && !r.Rules.FirstRuleGiven) return settings;
        var rules = r.Rules.Resolve(() => r.Rules.Bounds is { } b ? Rules.ZBox(RuleSpec.Bounds(b).Low, RuleSpec.Bounds(b).High)
            : throw new UsageException("A text model's embeddings have no box to derive z^B's from: give --bounds LOW:HIGH, another --first-rule, or --composite attnlrp|cp-lrp."));
        return settings with { FirstRule = rules.First, Rule = rules.Rest, Composite = rules.Composite };
    }

    // The sequence: token ids from a .npy ([T] or [1, T]) with the optional mask and types, or a .txt tokenized.
    private static (TokenInput Tokens, ImmutableArray<int> StoredShape) Tokens(ExplainCommand.Request r, TextVocabulary? vocabulary)
    {
        if (r.Input.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            if (vocabulary is null)
                throw new UsageException($"A .txt input is tokenized with the model's vocabulary: give --vocab, or put vocab.txt beside '{r.Model}'.");
            string text;
            try
            {
                text = File.ReadAllText(r.Input);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidInputException($"Cannot read '{r.Input}': {e.Message}");
            }
            var encoded = vocabulary.Encode(text.Trim());
            return (new TokenInput(encoded.Ids, Sequence(r.Text.AttentionMask, "--attention-mask"), Sequence(r.Text.TokenTypes, "--token-types")), [1, encoded.Ids.Length]);
        }
        var (shape, ids) = Npy.ReadIntegers(r.Input);
        if (!(shape.Length == 1 || shape.Length == 2 && shape[0] == 1))
            throw new InvalidInputException($"'{r.Input}' holds token ids of shape ({string.Join(", ", shape)}); one sequence is expected: (T,) or (1, T).");
        return (new TokenInput(ids, Sequence(r.Text.AttentionMask, "--attention-mask"), Sequence(r.Text.TokenTypes, "--token-types")), shape);
    }

    private static ImmutableArray<long> Sequence(string? path, string option)
    {
        if (path is null) return default;
        var (shape, values) = Npy.ReadIntegers(path);
        return shape.Length == 1 || shape.Length == 2 && shape[0] == 1 ? values
            : throw new InvalidInputException($"{option} '{path}' has shape ({string.Join(", ", shape)}); one sequence is expected: (T,) or (1, T).");
    }

    // On a terminal, the tokens as a coloured line; otherwise one line per token (index, token, id, relevance).
    private static void Print(TokenExplanation explained)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.ColorSystem >= ColorSystem.Standard)
        {
            var scale = TokenHeatmap.Scale(explained);
            foreach (var token in explained.Tokens)
            {
                var (text, joins) = TokenHeatmap.Display(token);
                var c = HeatmapImage.Color(token.Relevance, scale);
                AnsiConsole.Markup($"{(joins || token.Index == 0 ? "" : " ")}[{(TokenHeatmap.IsStrong(token, scale) ? "white" : "black")} on #{c.Red:x2}{c.Green:x2}{c.Blue:x2}]{Markup.Escape(text)}[/]");
            }
            AnsiConsole.WriteLine();
            return;
        }
        foreach (var token in explained.Tokens)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{token.Index,5}  {TokenHeatmap.Display(token).Text,-16} {token.Id,8}  {token.Relevance:G6}"));
    }

    private static string Json(ExplainCommand.Request r, string rules, TokenExplanation explained, double seconds)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("model", r.Model);
            w.WriteString("input", r.Input);
            w.WriteString("rule", rules);
            Report.Sample(w, explained.Explanation, explained.Label);
            w.WriteStartArray("tokens");
            foreach (var token in explained.Tokens)
            {
                w.WriteStartObject();
                w.WriteNumber("index", token.Index);
                w.WriteNumber("id", token.Id);
                if (token.Token is { } text) w.WriteString("token", text);
                w.WriteNumber("relevance", token.Relevance);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("seconds", seconds);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
