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

    /// <summary>Every run with its counts and classes (a run without summary.json yet is listed as running).</summary>
    public object List() => runs.Select(r =>
    {
        var summary = Summary(r.Folder);
        if (summary is not { } s) return (object)new { name = r.Name, finished = false, inputs = 0, explained = 0, failed = 0, classes = Array.Empty<object>() };
        return new
        {
            name = r.Name,
            finished = true,
            inputs = s.GetProperty("inputs").GetInt32(),
            explained = s.GetProperty("explained").GetInt32(),
            failed = s.GetProperty("failed").GetInt32(),
            classes = s.GetProperty("classes").EnumerateArray().Select(c => new
            {
                target = c.GetProperty("target").GetInt32(),
                label = c.TryGetProperty("class", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null,
                count = c.GetProperty("count").GetInt32(),
                meanF = c.GetProperty("mean_f").GetDouble(),
                heatmap = File.Exists(ClassMean(r.Folder, c.GetProperty("target").GetInt32())) ? $"/api/runs/{Uri.EscapeDataString(r.Name)}/class-means/{c.GetProperty("target").GetInt32()}.png" : null,
            }).ToList(),
        };
    }).ToList();

    /// <summary>The class-mean heatmap of a run's target, or null when the run or its summary does not list it.</summary>
    public byte[]? ClassMeanPng(string run, int target)
    {
        var folder = runs.FirstOrDefault(r => r.Name == run).Folder;
        if (folder is null || Summary(folder) is not { } s) return null;
        if (!s.GetProperty("classes").EnumerateArray().Any(c => c.GetProperty("target").GetInt32() == target)) return null;
        var file = ClassMean(folder, target);
        return File.Exists(file) ? File.ReadAllBytes(file) : null;
    }

    private static string ClassMean(string folder, int target) => Path.Combine(folder, "class-means", $"{target}.png");

    private static JsonElement? Summary(string folder)
    {
        var file = Path.Combine(folder, "summary.json");
        if (!File.Exists(file)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
