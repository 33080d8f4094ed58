using System.Runtime.InteropServices;

namespace Relevance.Engine;

/// <summary>Allocates the weight matrices and buffers that are large enough for the first touch of their pages to cost more
/// than what is done with them: on Linux they are backed by transparent huge pages where the system allows it.</summary>
/// <remarks>Fresh memory is paid for by one page fault per page, which under a hypervisor costs about as much as copying a
/// few MiB of warm memory (docs/performance.md, "Loading and memory"); a 2 MiB page takes one fault for 512 small ones.
/// Where transparent huge pages are "madvise" (most distributions' default) a range is eligible only when advised, which is
/// what this does; where they are "always" or "never", or on other systems, the advice changes nothing.</remarks>
internal static partial class LargeArrays
{
    private const int HugePage = 2 << 20;
    private const int AdviseHugePage = 14; // MADV_HUGEPAGE

    /// <summary>An array whose contents are not cleared: every element must be written before it is read.</summary>
    public static T[] Uninitialized<T>(int length) where T : unmanaged
    {
        var array = GC.AllocateUninitializedArray<T>(length);
        Advise(array);
        return array;
    }

    /// <summary>An array of zeros, as <c>new T[length]</c>.</summary>
    public static T[] Zeroed<T>(int length) where T : unmanaged
    {
        if (!IsLarge<T>(length)) return new T[length];
        var array = Uninitialized<T>(length);
        Array.Clear(array);
        return array;
    }

    /// <summary>Zeroed buffers of the given lengths, as slices of one array, each at a multiple of 64 bytes from the array's
    /// start: a network's many buffers of a few MiB then share one advised range (see the remarks) instead
    /// of taking a page fault per 4 KiB each on their first use. Lengths past one array's reach get arrays of their own.</summary>
    public static Memory<float>[] Slices(IReadOnlyList<int> lengths)
    {
        const int Align = 64 / sizeof(float);
        var (offsets, total) = (new long[lengths.Count], 0L);
        for (var i = 0; i < lengths.Count; i++)
        {
            offsets[i] = total;
            total += (lengths[i] + Align - 1L) / Align * Align;
        }
        if (total > Array.MaxLength) return [.. lengths.Select(n => new Memory<float>(Zeroed<float>(n)))];
        var slab = Zeroed<float>((int)total);
        return [.. lengths.Select((n, i) => slab.AsMemory((int)offsets[i], n))];
    }

    private static unsafe bool IsLarge<T>(int length) where T : unmanaged => (long)length * sizeof(T) >= 2L * HugePage;

    private static unsafe void Advise<T>(T[] array) where T : unmanaged
    {
        if (!IsLarge<T>(array.Length) || !OperatingSystem.IsLinux()) return;
        // Large arrays live on the large object heap, which the runtime does not compact unless asked, so the range stays the
        // array's; were it moved, the advice would only have been given to memory the runtime reuses.
        fixed (T* start = array)
        {
            var first = ((nint)start + HugePage - 1) & ~(nint)(HugePage - 1);
            var end = ((nint)start + (nint)((long)array.Length * sizeof(T))) & ~(nint)(HugePage - 1);
            if (end > first) _ = MAdvise(first, end - first, AdviseHugePage);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int MAdvise(nint address, nint length, int advice);
}
