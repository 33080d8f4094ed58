using System.Globalization;
using System.Net;
using System.Text;

namespace Relevance.IO;

/// <summary>Renders a text explanation as coloured tokens, with the image heatmaps' colours (red positive, blue negative).</summary>
public static class TokenHeatmap
{
    /// <summary>The largest |relevance| of any token: the colour scale's end.</summary>
    public static double Scale(TokenExplanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        return explanation.Tokens.Select(t => Math.Abs(t.Relevance)).DefaultIfEmpty(0).Max();
    }

    /// <summary>A token as text is shown: a WordPiece continuation (##ing) joined to the word before it, an unknown id as #id.</summary>
    public static (string Text, bool JoinsPrevious) Display(TokenRelevance token) =>
        token.Token is { } t ? t.StartsWith("##", StringComparison.Ordinal) && t.Length > 2 ? (t[2..], true) : (t, false) : ($"#{token.Id}", false);

    /// <summary>Whether a token's colour is dark enough to be read in white.</summary>
    public static bool IsStrong(TokenRelevance token, double scale) => scale > 0 && Math.Abs(token.Relevance) > 0.6 * scale;

    /// <summary>A self-contained HTML page: the tokens coloured by relevance, then a table of every token's value.</summary>
    public static string Html(TokenExplanation explanation, string title)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentNullException.ThrowIfNull(title);
        var scale = Scale(explanation);
        var e = explanation.Explanation;
        var html = new StringBuilder();
        string Text(FormattableString s) => WebUtility.HtmlEncode(s.ToString(CultureInfo.InvariantCulture));
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n<style>")
            .Append("body{font-family:sans-serif;margin:2em;max-width:60em}.tokens{font-size:1.3em;line-height:2.2}")
            .Append(".tokens span{padding:.15em .1em;border-radius:.2em}td,th{padding:.1em .8em;text-align:left}td.r{text-align:right;font-family:monospace}")
            .Append("</style></head><body>\n<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n<p>")
            .Append(Text($"target {e.Target}{(explanation.Label is { } l ? $" ({l})" : "")}: f = {e.Output:G6}, Σ R over the tokens = {e.Consistency.HeatmapSum:G6}, bias share = {e.BiasRelevance:G6}. "))
            .Append("Red: relevance for the target; blue: against it; the strongest token has full colour.</p>\n<p class=\"tokens\">");
        foreach (var token in explanation.Tokens)
        {
            var (text, joins) = Display(token);
            var c = HeatmapImage.Color(token.Relevance, scale);
            if (!joins && token.Index > 0) html.Append(' ');
            html.Append(CultureInfo.InvariantCulture, $"<span style=\"background:#{c.Red:x2}{c.Green:x2}{c.Blue:x2}{(IsStrong(token, scale) ? ";color:#fff" : "")}\" title=\"{token.Relevance:G4}\">")
                .Append(WebUtility.HtmlEncode(text)).Append("</span>");
        }
        html.Append("</p>\n<table><tr><th>index</th><th>token</th><th>id</th><th>relevance</th></tr>\n");
        foreach (var token in explanation.Tokens)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"r\">{token.Index}</td><td>{WebUtility.HtmlEncode(token.Token ?? "")}</td><td class=\"r\">{token.Id}</td><td class=\"r\">{token.Relevance:G6}</td></tr>\n");
        return html.Append("</table>\n</body></html>\n").ToString();
    }
}
