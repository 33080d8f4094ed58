using Relevance.IO;

namespace Relevance.Cli;

/// <summary>Checks a command's output paths before any work is done, so that a bad path costs nothing and destroys nothing.</summary>
internal static class OutputPaths
{
    /// <summary>Every given output can be written and replaced (<see cref="AtomicFile.RequireReplaceable"/>), in a folder that can
    /// be written; no two outputs are the same file, and none is one of the command's inputs.</summary>
    /// <exception cref="UsageException">An output breaks one of these; the message names the option.</exception>
    public static void Check(IEnumerable<(string Option, string? Path)> outputs, IEnumerable<string> inputs)
    {
        var read = inputs.ToList();
        var seen = new List<(string Full, string Option)>();
        foreach (var (option, path) in outputs)
        {
            if (path is null) continue;
            string full;
            try
            {
                full = AtomicFile.RequireReplaceable(path);
            }
            catch (IOException e)
            {
                throw new UsageException($"{option}: {e.Message}");
            }
            // The same file under another name too (a symbolic or hard link): a rename over it would replace the input.
            if (read.Any(i => AtomicFile.SameFile(i, full))) throw new UsageException($"{option} '{path}' is an input of this command; it is not overwritten.");
            if (seen.FirstOrDefault(s => AtomicFile.SameFile(s.Full, full)) is { Option: { } other })
                throw new UsageException($"{option} and {other} name the same file '{path}'.");
            seen.Add((full, option));
            RequireWritableFolder(option, Path.GetDirectoryName(full));
        }
    }

    /// <summary>A folder a command writes its outputs in is a folder, or can be made, and takes new files; checked before the
    /// command's work, which a path naming a file would otherwise lose at its end.</summary>
    /// <exception cref="UsageException">The path or a folder on its way is a file, or the folder cannot be written; the
    /// message names the option.</exception>
    public static void CheckFolder(string option, string folder)
    {
        var full = Path.GetFullPath(folder);
        for (var at = full; at is not null; at = Path.GetDirectoryName(at))
            if (File.Exists(at))
                throw new UsageException(at == full
                    ? $"{option} '{folder}' is a file; it names the folder the outputs go in."
                    : $"{option} '{folder}': '{at}' is a file, so the folder cannot be made.");
        RequireWritableFolder(option, full);
    }

    // The nearest folder that exists from `start` up must take a new file (the folders below it are made when outputs are published).
    private static void RequireWritableFolder(string option, string? start)
    {
        var folder = start;
        while (folder is not null && !Directory.Exists(folder)) folder = Path.GetDirectoryName(folder);
        if (folder is null) throw new UsageException($"{option}: no folder of '{start}' exists.");
        try
        {
            using var probe = new FileStream(Path.Combine(folder, $".relevance-probe-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot write in '{folder}': {e.Message}");
        }
    }
}
