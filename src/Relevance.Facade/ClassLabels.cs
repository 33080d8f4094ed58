using System.Collections.Immutable;

namespace Relevance;

/// <summary>Class names for a model's outputs, read from a Labels.txt beside it.</summary>
public static class ClassLabels
{
    /// <summary>The names in Labels.txt (or labels.txt) in the model's folder — "index,name" or one name per line —, or empty when there is none.</summary>
    public static ImmutableArray<string> Near(string modelPath)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var folder = Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        var file = new[] { "Labels.txt", "labels.txt" }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
        if (file is null) return [];
        return [.. File.ReadAllLines(file).Where(l => l.Length > 0).Select(l =>
        {
            var comma = l.IndexOf(',');
            return comma > 0 && int.TryParse(l[..comma], out _) ? l[(comma + 1)..].Trim() : l.Trim();
        })];
    }
}
