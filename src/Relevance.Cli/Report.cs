using System.Collections.Immutable;
using System.Text.Json;

namespace Relevance.Cli;

/// <summary>The JSON report of an explanation.</summary>
internal static class Report
{
    public static string Json(string model, string input, Rule first, string rule, ImmutableArray<Explanation> results, double seconds, ImmutableArray<string> labels)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteString("input", input);
            w.WriteString("first_rule", first.Name);
            w.WriteString("rule", rule);
            if (results.Length == 1) Sample(w, results[0], Label(results[0], labels));
            else
            {
                w.WriteStartArray("samples");
                foreach (var e in results)
                {
                    w.WriteStartObject();
                    Sample(w, e, Label(e, labels));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteNumber("seconds", seconds);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string? Label(Explanation e, ImmutableArray<string> labels) => e.Target < labels.Length ? labels[e.Target] : null;

    /// <summary>One explanation's fields: its target and label, f, the heatmap's sum, bias share, conservation error, negative
    /// mass and minimum, and the per-layer report.</summary>
    public static void Sample(Utf8JsonWriter w, Explanation e, string? label)
    {
        var c = e.Consistency;
        w.WriteNumber("target", e.Target);
        if (label is not null) w.WriteString("label", label);
        w.WriteNumber("f", e.Output);
        w.WriteNumber("relevance_sum", c.HeatmapSum);
        w.WriteNumber("bias_relevance", c.BiasRelevance);
        w.WriteNumber("conservation_error", c.ConservationError);
        w.WriteNumber("negative_mass", c.NegativeMass);
        w.WriteNumber("minimum", c.Minimum);
        Layers(w, c);
    }

    /// <summary>The per-layer consistency report as a "layers" array.</summary>
    private static void Layers(Utf8JsonWriter w, ConsistencyReport c)
    {
        w.WriteStartArray("layers");
        foreach (var l in c.Layers)
        {
            w.WriteStartObject();
            w.WriteString("node", l.Node);
            w.WriteString("layer", l.Layer);
            w.WriteString("redistribution", l.Redistribution);
            w.WriteNumber("relevance_in", l.RelevanceIn);
            w.WriteNumber("relevance_out", l.RelevanceOut);
            w.WriteNumber("bias_relevance", l.BiasRelevance);
            w.WriteNumber("relative_error", l.RelativeError);
            w.WriteNumber("negative_mass", l.NegativeMass);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
