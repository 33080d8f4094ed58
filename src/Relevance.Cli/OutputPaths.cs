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
            RequireWritableFolder(option, full);
        }
    }

    // The nearest folder that exists on the way to the output must take a new file (the output's folders are made when it is published).
    private static void RequireWritableFolder(string option, string full)
    {
        var folder = Path.GetDirectoryName(full);
        while (folder is not null && !Directory.Exists(folder)) folder = Path.GetDirectoryName(folder);
        if (folder is null) throw new UsageException($"{option}: no folder of '{full}' exists.");
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
