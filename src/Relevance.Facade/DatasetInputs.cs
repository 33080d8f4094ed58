using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.FileSystemGlobbing;

namespace Relevance;

/// <summary>One input of a dataset run: the file, its name in the run (its path below the folder, glob root or manifest that
/// gave it, with '/' separators), and optionally the output to explain and a label of its own.</summary>
public sealed record DatasetInput(string Path, string Name, int? Target = null, string? Label = null);

/// <summary>Finds a dataset's inputs — in folders, by glob, or listed in a manifest — and splits them into shards.</summary>
public static class DatasetInputs
{
    /// <summary>The file kinds a folder or glob yields: images and .npy arrays.</summary>
    public static ImmutableArray<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".npy"];

    /// <summary>The inputs of files, folders (searched recursively) and globs (<c>photos/**/*.jpg</c>), in ordinal name order.</summary>
    /// <exception cref="InvalidInputException">A path matches nothing, or two inputs would have the same name.</exception>
    public static ImmutableArray<DatasetInput> Find(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var found = new List<DatasetInput>();
        foreach (var path in paths)
        {
            if (File.Exists(path)) found.Add(new DatasetInput(path, System.IO.Path.GetFileName(path)));
            else if (Directory.Exists(path))
                found.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(IsInput)
                    .Select(f => new DatasetInput(f, Relative(path, f))));
            else if (path.IndexOfAny(['*', '?']) >= 0) found.AddRange(Glob(path));
            else throw new InvalidInputException($"'{path}': no such file or folder.");
        }
        return Checked(found, string.Join(", ", paths));
    }

    /// <summary>The inputs a manifest lists: CSV with a header row (<c>path</c>, and optionally <c>target</c> and <c>label</c>),
    /// or JSON lines (<c>{"path": …, "target": …, "label": …}</c>, for a .jsonl file); paths relative to the manifest's folder.</summary>
    /// <remarks>A listed file that is missing is not looked for here: its run records it as a failure and goes on, as for any
    /// input that cannot be read (and no shard stats every file of a large manifest).</remarks>
    /// <exception cref="InvalidInputException">The manifest cannot be read, or a row has no path or a target that is not a
    /// whole number ≥ 0 (the message names the line).</exception>
    public static ImmutableArray<DatasetInput> FromManifest(string manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!File.Exists(manifest)) throw new InvalidInputException($"Manifest '{manifest}': no such file.");
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(manifest))!;
        var rows = manifest.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? JsonRows(manifest) : CsvRows(manifest);
        var inputs = new List<DatasetInput>();
        foreach (var (line, path, target, label) in rows)
        {
            if (string.IsNullOrWhiteSpace(path)) throw new InvalidInputException($"Manifest '{manifest}', line {line}: no path.");
            int? t = null;
            if (!string.IsNullOrWhiteSpace(target))
                t = int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
                    : throw new InvalidInputException($"Manifest '{manifest}', line {line}: target '{target}' is not a whole number ≥ 0.");
            var full = System.IO.Path.GetFullPath(path, folder);
            inputs.Add(new DatasetInput(full, path.Replace('\\', '/'), t, string.IsNullOrEmpty(label) ? null : label));
        }
        return Checked(inputs, manifest);
    }

    /// <summary>Shard <paramref name="index"/> of <paramref name="count"/>: every count-th input from index on, in name order, so
    /// shards differ in size by at most one and depend on the inputs alone.</summary>
    /// <exception cref="ArgumentOutOfRangeException">count &lt; 1, or index outside 0..count − 1.</exception>
    public static ImmutableArray<DatasetInput> Shard(ImmutableArray<DatasetInput> inputs, int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        return [.. inputs.Where((_, i) => i % count == index)];
    }

    private static bool IsInput(string file) => Extensions.Contains(System.IO.Path.GetExtension(file).ToLowerInvariant());

    private static string Relative(string root, string file) => System.IO.Path.GetRelativePath(root, file).Replace('\\', '/');

    // A glob's root is the part of the pattern before its first wildcard segment.
    private static IEnumerable<DatasetInput> Glob(string pattern)
    {
        var parts = pattern.Replace('\\', '/').Split('/');
        var fixedParts = parts.TakeWhile(p => p.IndexOfAny(['*', '?']) < 0).ToArray();
        var root = fixedParts.Length == 0 ? "." : string.Join('/', fixedParts);
        if (pattern.StartsWith('/') && fixedParts.Length <= 1) root = "/";
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddInclude(string.Join('/', parts.Skip(fixedParts.Length)));
        var files = Directory.Exists(root) ? matcher.GetResultsInFullPath(root).Where(IsInput).ToList() : [];
        if (files.Count == 0) throw new InvalidInputException($"'{pattern}' matches no image or .npy file.");
        return files.Select(f => new DatasetInput(f, Relative(root, f)));
    }

    private static ImmutableArray<DatasetInput> Checked(List<DatasetInput> inputs, string source)
    {
        if (inputs.Count == 0) throw new InvalidInputException($"{source}: no image or .npy input there.");
        var twice = inputs.GroupBy(i => i.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new InvalidInputException($"Two inputs would have the same name '{twice.Key}' (and the same output files): {string.Join(", ", twice.Select(i => i.Path))}.");
        return [.. inputs.OrderBy(i => i.Name, StringComparer.Ordinal)];
    }

    // CSV as RFC 4180 writes it (quoted fields may hold commas and quotes), read by the framework's TextFieldParser.
    private static IEnumerable<(int Line, string? Path, string? Target, string? Label)> CsvRows(string manifest)
    {
        using var parser = new Microsoft.VisualBasic.FileIO.TextFieldParser(manifest) { TextFieldType = Microsoft.VisualBasic.FileIO.FieldType.Delimited, HasFieldsEnclosedInQuotes = true };
        parser.SetDelimiters(",");
        var rows = new List<(int, string?, string?, string?)>();
        try
        {
            var header = parser.ReadFields()?.Select(h => h.Trim().ToLowerInvariant()).ToList();
            var (path, target, label) = (header?.IndexOf("path") ?? -1, header?.IndexOf("target") ?? -1, header?.IndexOf("label") ?? -1);
            if (path < 0) throw new InvalidInputException($"Manifest '{manifest}': the first line must be a header with a 'path' column (and optionally 'target', 'label').");
            while (!parser.EndOfData)
            {
                var line = (int)parser.LineNumber;
                var fields = parser.ReadFields();
                if (fields is null || fields.All(string.IsNullOrWhiteSpace)) continue;
                string? At(int i) => i >= 0 && i < fields.Length ? fields[i].Trim() : null;
                rows.Add((line, At(path), At(target), At(label)));
            }
        }
        catch (Microsoft.VisualBasic.FileIO.MalformedLineException e)
        {
            throw new InvalidInputException($"Manifest '{manifest}', line {e.LineNumber}: not a CSV row ({e.Message}).");
        }
        return rows;
    }

    private static IEnumerable<(int Line, string? Path, string? Target, string? Label)> JsonRows(string manifest)
    {
        var rows = new List<(int, string?, string?, string?)>();
        var line = 0;
        foreach (var text in File.ReadLines(manifest))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                string? Field(string name) => root.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;
                rows.Add((line, Field("path"), Field("target"), Field("label")));
            }
            catch (JsonException e)
            {
                throw new InvalidInputException($"Manifest '{manifest}', line {line}: not a JSON object ({e.Message}).");
            }
        }
        return rows;
    }
}
