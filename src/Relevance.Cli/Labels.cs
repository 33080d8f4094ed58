namespace Relevance.Cli;

/// <summary>Class names from a Labels.txt beside a model ("index,name" or one name per line), when there is one.</summary>
internal static class Labels
{
    public static string[]? Near(string modelPath)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        var file = new[] { "Labels.txt", "labels.txt" }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
        if (file is null) return null;
        return [.. File.ReadAllLines(file).Where(l => l.Length > 0).Select(l =>
        {
            var comma = l.IndexOf(',');
            return comma > 0 && int.TryParse(l[..comma], out _) ? l[(comma + 1)..].Trim() : l.Trim();
        })];
    }
}
