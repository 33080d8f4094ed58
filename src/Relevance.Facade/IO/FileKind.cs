using System.Runtime.InteropServices;

namespace Relevance.IO;

/// <summary>What kind of file-system entry a path names on Unix (a regular file, a device, a FIFO, …), which .NET's
/// <see cref="FileInfo"/> does not tell: a device node or FIFO reports itself as an ordinary existing file.</summary>
internal static partial class FileKind
{
    /// <summary>The entry's kind when it is not a regular file ("character device", "FIFO", …); null for a regular file,
    /// a missing path, on Windows, or where the kind cannot be read.</summary>
    public static string? Special(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        int mode;
        try
        {
            mode = Mode(path);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        // The runtime's own file-type bits (the same values on every Unix it runs on).
        return (mode & 0xF000) switch
        {
            0 or 0x8000 => null,
            0x1000 => "FIFO (named pipe)",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            0x4000 => "directory",
            0xA000 => "symbolic link",
            _ => "special file",
        };
    }

    /// <summary>The file-system entry a path names after following links, as (device, inode); null on Windows, for a
    /// missing path, or where it cannot be read. Two names with one identity are one file (hard links).</summary>
    public static (long Device, long Inode)? Identity(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            return Stat(path);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // stat through the runtime's native shim: its status record holds Dev at byte 88 and Ino at byte 104 (FileStatus of
    // the runtime's pal_io.h), read only when the record's size field agrees with the file's length as .NET reads it.
    private static unsafe (long, long)? Stat(string path)
    {
        var status = stackalloc byte[256];
        if (StatFollowing(path, status) != 0) return null;
        var info = new FileInfo(path);
        if (!info.Exists || *(long*)(status + 16) != info.Length) return null;
        return (*(long*)(status + 88), *(long*)(status + 104));
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int StatFollowing(string path, byte* status);

    // lstat through the runtime's native shim, whose status record begins with (int flags, int mode) on every platform.
    private static unsafe int Mode(string path)
    {
        var status = stackalloc byte[256];
        return LStat(path, status) == 0 ? *(int*)(status + 4) : 0;
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_LStat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int LStat(string path, byte* status);
}
