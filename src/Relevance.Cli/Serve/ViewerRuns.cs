using System.Collections.Immutable;
using System.Text.Json;

namespace Relevance.Cli.Serve;

/// <summary>The output folders of `relevance batch` the viewer shows as galleries of class-mean heatmaps, given on the command line.</summary>
/// <remarks>Each request reads the folder's summary.json afresh (a run may still be going); only the class-mean pictures the
/// summary lists are served, by their integer target, so no name from the browser becomes a path.</remarks>
internal sealed class ViewerRuns(ImmutableArray<(string Name, string Folder)> runs)
{
    /// <summary>The names the page and the API use.</summary>
    public ImmutableArray<string> Names { get; } = [.. runs.Select(r => r.Name)];

    /// <summary>Names the folders given on the command line: each must exist; the name is the folder's own.</summary>
    public static ViewerRuns From(IEnumerable<string> folders)
    {
        var named = new List<(string, string)>();
        foreach (var folder in folders)
        {
            var full = Path.GetFullPath(folder);
            if (!Directory.Exists(full)) throw new UsageException($"--runs '{folder}' is not a folder (give the --out folder of a relevance batch run).");
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(full));
            if (named.Any(n => n.Item1 == name)) throw new UsageException($"Two runs are named '{name}'; give folders of different names.");
            named.Add((name, full));
        }
        return new ViewerRuns([.. named]);
    }

    /// <summary>Every run with its counts and classes (a run without a readable summary.json is listed as not finished).</summary>
    public object List() => runs.Select(r => Read(r.Folder) is { } s
        ? (object)new
        {
            name = r.Name,
            finished = true,
            inputs = s.Inputs,
            explained = s.Explained,
            failed = s.Failed,
            classes = s.Classes.Select(c => new
            {
                target = c.Target,
                label = c.Label,
                count = c.Count,
                meanF = c.MeanF,
                heatmap = File.Exists(ClassMean(r.Folder, c.Target)) ? $"/api/runs/{Uri.EscapeDataString(r.Name)}/class-means/{c.Target}.png" : null,
            }).ToList(),
        }
        : new { name = r.Name, finished = false, inputs = 0, explained = 0, failed = 0, classes = Array.Empty<object>() }).ToList();

    /// <summary>The class-mean heatmap of a run's target, or null when the run or its summary does not list it.</summary>
    public byte[]? ClassMeanPng(string run, int target)
    {
        var folder = runs.FirstOrDefault(r => r.Name == run).Folder;
        if (folder is null || Read(folder) is not { } s || !s.Classes.Any(c => c.Target == target)) return null;
        var file = ClassMean(folder, target);
        return File.Exists(file) ? File.ReadAllBytes(file) : null;
    }

    private static string ClassMean(string folder, int target) => Path.Combine(folder, "class-means", $"{target}.png");

    private sealed record RunClass(int Target, string? Label, int Count, double MeanF);

    private sealed record RunSummary(int Inputs, int Explained, int Failed, ImmutableArray<RunClass> Classes);

    // The summary `relevance batch` or `relevance merge` wrote; null while there is none, or when it is not one (edited, torn).
    private static RunSummary? Read(string folder)
    {
        var file = Path.Combine(folder, "summary.json");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var s = doc.RootElement;
            return new RunSummary(s.GetProperty("inputs").GetInt32(), s.GetProperty("explained").GetInt32(), s.GetProperty("failed").GetInt32(),
                [.. s.GetProperty("classes").EnumerateArray().Select(c => new RunClass(c.GetProperty("target").GetInt32(),
                    c.TryGetProperty("class", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null,
                    c.GetProperty("count").GetInt32(), c.GetProperty("mean_f").GetDouble()))]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
