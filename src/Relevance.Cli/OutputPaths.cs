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
        var read = inputs.Select(Resolve).ToHashSet(StringComparer.Ordinal);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
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
            if (read.Contains(Resolve(full))) throw new UsageException($"{option} '{path}' is an input of this command; it is not overwritten.");
            if (!seen.TryAdd(full, option)) throw new UsageException($"{option} and {seen[full]} name the same file '{path}'.");
            RequireWritableFolder(option, full);
        }
    }

    // The file a path names after following symbolic links, so that a link to an input is recognised as that input.
    private static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
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
