using System.Collections.Concurrent;

namespace Relevance.IO;

/// <summary>Writes files atomically: into a temporary file beside the target, then renamed over it, so a reader never sees half a file.</summary>
/// <remarks>A target that is a symbolic link, a directory or read-only is refused rather than replaced, and a replaced file keeps
/// its permissions. Temporary files not yet published are tracked, so a process that is being stopped can remove them
/// (<see cref="DeleteUnpublished"/>).</remarks>
public static class AtomicFile
{
    private static readonly ConcurrentDictionary<string, byte> Unpublished = new();

    // Creating a temporary file and removing them all for a stopping process exclude each other, so that no file is created
    // after the removal ran (it would be left behind); once stopping, no new one is created.
    private static readonly Lock Gate = new();
    private static bool _stopping;

    /// <summary>Writes a file through <paramref name="write"/>; on any failure the target is left as it was and the temporary file is removed.</summary>
    /// <exception cref="IOException">The target is a directory, a symbolic link or read-only, or cannot be written.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        using var staged = Stage(path, write);
        staged.Publish();
    }

    /// <summary>Whether the process is stopping (<see cref="DeleteUnpublished"/> ran): no file is written any more.</summary>
    public static bool Stopping
    {
        get
        {
            lock (Gate) return _stopping;
        }
    }

    /// <summary>Removes the temporary files of <paramref name="path"/> that a killed process left beside it (SIGKILL leaves no
    /// chance to clean up); call it only where no other process is writing that target. Returns how many were removed.</summary>
    public static int DeleteLeftovers(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(directory)) return 0;
        var name = Path.GetFileName(full);
        var removed = 0;
        foreach (var temp in Directory.EnumerateFiles(directory, $".{name}.*.tmp"))
        {
            var middle = Path.GetFileName(temp)[(name.Length + 2)..^4];
            if (middle.Length != 32 || !middle.All(char.IsAsciiHexDigitLower) || Unpublished.ContainsKey(temp)) continue;
            File.Delete(temp);
            removed++;
        }
        return removed;
    }

    /// <summary>Writes bytes atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Writes text (UTF-8) atomically.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Writes a file's new content beside it without publishing it: <see cref="StagedFile.Publish"/> renames it into place,
    /// disposing an unpublished one removes it. Several staged files published together make all or none of them appear.</summary>
    /// <exception cref="IOException">The target is a directory, a symbolic link or read-only, or cannot be written.</exception>
    public static StagedFile Stage(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = RequireReplaceable(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        FileStream created;
        lock (Gate)
        {
            if (_stopping) throw new IOException($"The process is stopping; '{path}' is not written.");
            Unpublished[temp] = 0;
            try
            {
                created = new FileStream(temp, FileMode.CreateNew, FileAccess.Write);
            }
            catch
            {
                Unpublished.TryRemove(temp, out _);
                throw;
            }
        }
        var staged = new StagedFile(full, temp);
        try
        {
            using (var stream = created)
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            return staged;
        }
        catch
        {
            staged.Dispose();
            throw;
        }
    }

    /// <summary>Removes every temporary file this process staged and has not published, for a process that is being stopped:
    /// afterwards the process stages no more files (<see cref="Stage"/> throws <see cref="IOException"/>).</summary>
    public static void DeleteUnpublished()
    {
        lock (Gate)
        {
            _stopping = true;
            foreach (var temp in Unpublished.Keys) Remove(temp);
        }
    }

    /// <summary>The full path of a file that may be written or replaced: not empty, not a directory, not a symbolic link, not
    /// read-only, not a device, FIFO or socket.</summary>
    /// <exception cref="IOException">The path is one of those.</exception>
    public static string RequireReplaceable(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path)) throw new IOException("An output path is empty.");
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"'{path}' is a directory, not a file to write.");
        var existing = new FileInfo(full);
        if (existing.LinkTarget is not null) throw new IOException($"'{path}' is a symbolic link (to '{existing.LinkTarget}'); it is not replaced — write to the file itself.");
        if (existing.Exists && existing.IsReadOnly) throw new IOException($"'{path}' is read-only; it is not replaced.");
        // A rename over a device node or FIFO would replace it with a regular file (as root, /dev/null itself).
        if (existing.Exists && FileKind.Special(full) is { } kind) throw new IOException($"'{path}' is a {kind}, not a regular file; it is not replaced.");
        return full;
    }

    /// <summary>Whether two paths name one file: the same full path after following symbolic links, or (on Unix) the same
    /// file-system entry under two names (hard links).</summary>
    public static bool SameFile(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (string.Equals(Resolved(a), Resolved(b), StringComparison.Ordinal)) return true;
        return FileKind.Identity(a) is { } x && FileKind.Identity(b) is { } y && x == y;
    }

    // The file a path names after following symbolic links.
    private static string Resolved(string path)
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

    internal static void Published(string temp) => Unpublished.TryRemove(temp, out _);

    internal static void Remove(string temp)
    {
        try
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        catch (IOException)
        {
            // Removed by another path already, or the folder went away: nothing is left to clean.
        }
        Unpublished.TryRemove(temp, out _);
    }
}

/// <summary>A file's new content written beside it, not yet renamed into place (see <see cref="AtomicFile.Stage"/>).</summary>
public sealed class StagedFile : IDisposable
{
    private readonly string _temp;
    private bool _published;

    internal StagedFile(string target, string temp)
    {
        Target = target;
        _temp = temp;
    }

    /// <summary>The full path the content is published to.</summary>
    public string Target { get; }

    /// <summary>Renames the content into place, keeping the permissions of a file it replaces.</summary>
    public void Publish()
    {
        ObjectDisposedException.ThrowIf(_published, this);
        if (!OperatingSystem.IsWindows() && File.Exists(Target)) File.SetUnixFileMode(_temp, File.GetUnixFileMode(Target));
        File.Move(_temp, Target, overwrite: true);
        _published = true;
        AtomicFile.Published(_temp);
    }

    /// <summary>Removes the content if it was not published.</summary>
    public void Dispose()
    {
        if (!_published) AtomicFile.Remove(_temp);
    }
}
