using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Stride-2 max-, sum- and average-pooling and the proportional redistribution, 16 outputs of a row at a time.</summary>
/// <remarks>The taps kx = 2j and 2j + 1 of 16 neighbouring outputs are the even and odd lanes of the 32 inputs from column
/// 2·ox − pad + 2j on, so a window is ⌈k/2⌉ pairs of loads per input row, with lanes whose tap falls outside the row (or
/// whose output is past the row's end) masked to the reduction's identity. The redistribution works from the inputs'
/// side: input column 2i − pad takes the ratios r / Σ_window x of outputs i − j over its even taps 2j, and 2i + 1 − pad
/// over its odd ones, which are loads of zero-padded rows of ratios; x ⊙ their sum is stored straight into the lower
/// relevance. Each input and output is read once, where the separable passes (<see cref="SeparablePooling"/>) walked short
/// strided rows several times. (At stride 1 every chunk of a small padded plane needs masks, and the separable passes'
/// whole-plane shifts measured faster.)
/// Padded positions are not part of a window, as in <see cref="Pooling"/>.</remarks>
internal static class StrideTwoPooling
{
    private const int Lanes16 = 16;

    /// <summary>Whether this route covers the pooling: stride 2 both ways, max, sum or average, on AVX-512.</summary>
    public static bool Covers(Pool2d p) => Vector512.IsHardwareAccelerated && p.StrideHeight == 2 && p.StrideWidth == 2
        && p.Pool is PoolKind.Max or PoolKind.Sum or PoolKind.Average;

    /// <summary>y = the pooling of x; for a max-pooling, also each window's sum into <paramref name="sums"/> when it is not
    /// empty (an explanation's forward pass leaves them for <see cref="Proportional"/>, from the same loads).</summary>
    public static void Forward(Pool2d p, Shape input, ReadOnlySpan<float> x, Span<float> y, Span<float> sums = default)
    {
        var (c, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = p.OutputPlane(h, w);
        var max = p.Pool == PoolKind.Max;
        for (var ch = 0; ch < c; ch++)
        {
            for (var oy = 0; oy < oh; oy++)
                for (var ox = 0; ox < ow; ox += Lanes16)
                {
                    var (main, sum) = Window(p, x, ch * h * w, h, w, oy, ox, ow, max, sums: !sums.IsEmpty);
                    Put(y, (ch * oh + oy) * ow + ox, main);
                    if (!sums.IsEmpty) Put(sums, (ch * oh + oy) * ow + ox, sum);
                }
            if (p.Pool == PoolKind.Average) SeparablePooling.DivideByWindowSize(p, y.Slice(ch * oh * ow, oh * ow), h, w, oh, ow);
        }
    }

    /// <summary>lower = x ⊙ Σ over the windows holding each input of r / Σ_window x (docs/rules.md §4), for every kind of pooling;
    /// the window sums are taken from <paramref name="sums"/> (left by <see cref="Forward"/>) when it is not empty.</summary>
    public static void Proportional(Pool2d p, Shape input, ReadOnlySpan<float> x, ReadOnlySpan<float> upper, Span<float> lower,
        ReadOnlySpan<float> sums = default)
    {
        var (c, h, w) = (input[0], input[1], input[2]);
        var (oh, ow) = p.OutputPlane(h, w);
        var (k, left) = (p.KernelWidth, p.Pads.Left);
        // Input column 2i − pad takes the ratios of outputs i − j for its even taps 2j < k, column 2i + 1 − pad those of its
        // odd taps 2j + 1 < k: each row of ratios is kept with `lead` zeros before it and zeros after, so that q[i − j] is a
        // plain load at every i a row needs.
        var (evenTaps, oddTaps) = ((k + 1) / 2, k / 2);
        var spans = (Math.Max((w - 1 + left) / 2 + 1, ow + evenTaps - 1) + Lanes16 - 1) / Lanes16;
        var (lead, stride) = (evenTaps, evenTaps + (spans + 1) * Lanes16);
        var rented = ArrayPool<float>.Shared.Rent(oh * stride);
        try
        {
            var ratios = rented.AsSpan(0, oh * stride);
            ref var rq = ref MemoryMarshal.GetReference(ratios);
            for (var ch = 0; ch < c; ch++)
            {
                ratios.Clear();
                var r = upper.Slice(ch * oh * ow, oh * ow);
                for (var oy = 0; oy < oh; oy++)
                    for (var ox = 0; ox < ow; ox += Lanes16)
                    {
                        var total = sums.IsEmpty ? Window(p, x, ch * h * w, h, w, oy, ox, ow, max: false, sums: false).Main
                            : Vector512.ConditionalSelect(Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(ow - ox)).AsSingle(),
                                Load(sums, (ch * oh + oy) * ow + ox), Vector512<float>.Zero);
                        // Lanes past the row's end have an empty window (total 0), so their ratio is 0.
                        var ratio = Vector512.ConditionalSelect(Vector512.Equals(total, Vector512<float>.Zero), Vector512<float>.Zero, Load(r, oy * ow + ox) / total);
                        ratio.StoreUnsafe(ref rq, (nuint)(oy * stride + lead + ox));
                    }
                for (var iy = 0; iy < h; iy++)
                {
                    // The output rows whose windows hold input row iy: iy = 2·oy − pad + ky for 0 ≤ ky < k.
                    var first = Math.Max(0, (iy + p.Pads.Top - p.KernelHeight + 2) / 2);
                    var last = Math.Min(oh - 1, (iy + p.Pads.Top) / 2);
                    var row = (ch * h + iy) * w;
                    if (first > last)
                    {
                        lower.Slice(row, w).Clear();
                        continue;
                    }
                    for (var i = 0; i < spans * Lanes16; i += Lanes16)
                    {
                        var (even, odd) = (Vector512<float>.Zero, Vector512<float>.Zero);
                        for (var oy = first; oy <= last; oy++)
                            for (var j = 0; j < evenTaps; j++)
                            {
                                var q = Vector512.LoadUnsafe(ref rq, (nuint)(oy * stride + lead + i - j));
                                even += q;
                                if (j < oddTaps) odd += q;
                            }
                        var (low, high) = Lanes.Interleave(even, odd);
                        Scale(x, lower, row, w, 2 * i - left, low, high);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    // lower[row + col + t] = x[row + col + t] · spread[t] for the 32 columns col + t of one row that lie in [0, w). Columns
    // past the row's end may be written (the next row writes them again after) while the 32 values stay inside lower;
    // a chunk starting left of the row, or at lower's end, goes value by value.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale(ReadOnlySpan<float> x, Span<float> lower, int row, int w, int col, Vector512<float> low, Vector512<float> high)
    {
        var at = row + col;
        if (col >= 0 && at + 2 * Lanes16 <= lower.Length)
        {
            ref var rx = ref MemoryMarshal.GetReference(x);
            ref var rl = ref MemoryMarshal.GetReference(lower);
            (Vector512.LoadUnsafe(ref rx, (nuint)at) * low).StoreUnsafe(ref rl, (nuint)at);
            if (col + Lanes16 < w) (Vector512.LoadUnsafe(ref rx, (nuint)(at + Lanes16)) * high).StoreUnsafe(ref rl, (nuint)(at + Lanes16));
            return;
        }
        ScaleEdge(x, lower, row, w, col, low, high);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ScaleEdge(ReadOnlySpan<float> x, Span<float> lower, int row, int w, int col, Vector512<float> low, Vector512<float> high)
    {
        Span<float> spread = stackalloc float[2 * Lanes16];
        low.CopyTo(spread);
        high.CopyTo(spread[Lanes16..]);
        for (var t = Math.Max(0, -col); t < spread.Length && col + t < w; t++) lower[row + col + t] = x[row + col + t] * spread[t];
    }

    // max or sum over the windows of outputs (oy, ox … ox + 15) of one channel's plane starting at `plane`, and with `sums`
    // the sum beside the max; lanes past the row's end hold the identity (−∞ or 0). A chunk whose taps all fall inside the
    // row and inside x needs no masks.
    private static (Vector512<float> Main, Vector512<float> Sum) Window(Pool2d p, ReadOnlySpan<float> x, int plane, int h, int w, int oy, int ox, int ow,
        bool max, bool sums)
    {
        var (k, left) = (p.KernelWidth, p.Pads.Left);
        var (y0, y1) = (Math.Max(0, 2 * oy - p.Pads.Top), Math.Min(h, 2 * oy - p.Pads.Top + p.KernelHeight));
        var first = plane + 2 * ox - left;
        var inside = ox + Lanes16 <= ow && 2 * ox - left >= 0 && 2 * (ox + Lanes16 - 1) - left + k <= w
            && first + y0 * w >= 0 && first + (y1 - 1) * w + k + 2 * Lanes16 <= x.Length;
        return inside ? Inside(x, first, y0, y1, w, k, max, sums) : Masked(p, x, plane, h, w, oy, ox, ow, max, sums);
    }

    // Window for a chunk without masks: per row, ⌈k/2⌉ pairs of loads split into even and odd lanes.
    private static (Vector512<float> Main, Vector512<float> Sum) Inside(ReadOnlySpan<float> x, int first, int y0, int y1, int w, int k, bool max, bool sums)
    {
        ref var rx = ref MemoryMarshal.GetReference(x);
        var acc = Vector512.Create(max ? float.NegativeInfinity : 0f);
        var total = Vector512<float>.Zero;
        for (var iy = y0; iy < y1; iy++)
        {
            var at = (nuint)(first + iy * w);
            for (var kx = 0; kx < k; kx += 2)
            {
                var lo = Vector512.LoadUnsafe(ref rx, at + (nuint)kx).AsUInt64();
                var hi = Vector512.LoadUnsafe(ref rx, at + (nuint)(kx + Lanes16)).AsUInt64();
                var even = Vector512.Narrow(lo, hi).AsSingle();
                acc = max ? Vector512.Max(acc, even) : acc + even;
                if (sums) total += even;
                if (kx + 1 == k) break;
                var odd = Vector512.Narrow(Vector512.ShiftRightLogical(lo, 32), Vector512.ShiftRightLogical(hi, 32)).AsSingle();
                acc = max ? Vector512.Max(acc, odd) : acc + odd;
                if (sums) total += odd;
            }
        }
        return (acc, total);
    }

    // Window for a chunk at a row's edges (padding, the row's end) or at x's ends: each tap's lanes masked to the identity
    // where the tap falls outside the row or the output past its end.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Vector512<float> Main, Vector512<float> Sum) Masked(Pool2d p, ReadOnlySpan<float> x, int plane, int h, int w, int oy, int ox, int ow,
        bool max, bool sums)
    {
        var identity = Vector512.Create(max ? float.NegativeInfinity : 0f);
        var acc = identity;
        var total = Vector512<float>.Zero;
        var outputs = Vector512<int>.Indices + Vector512.Create(ox);
        var inRow = Vector512.LessThan(outputs, Vector512.Create(ow));
        var column = outputs * 2 - Vector512.Create(p.Pads.Left);
        var width = Vector512.Create(w);
        for (var ky = 0; ky < p.KernelHeight; ky++)
        {
            var iy = 2 * oy - p.Pads.Top + ky;
            if ((uint)iy >= (uint)h) continue;
            var start = plane + iy * w + 2 * ox - p.Pads.Left;
            for (var kx = 0; kx < p.KernelWidth; kx += 2)
            {
                var (even, odd) = Pair(x, start + kx);
                var evenValid = Valid(inRow, column, kx, width);
                var oddValid = kx + 1 < p.KernelWidth ? Valid(inRow, column, kx + 1, width) : Vector512<float>.Zero;
                var pair = (even & evenValid) + (odd & oddValid);
                acc = max ? Vector512.Max(acc, Vector512.Max(Vector512.ConditionalSelect(evenValid, even, identity), Vector512.ConditionalSelect(oddValid, odd, identity)))
                    : acc + pair;
                if (sums) total += pair;
            }
        }
        return (acc, total);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Valid(Vector512<int> inRow, Vector512<int> column, int kx, Vector512<int> width)
    {
        var at = column + Vector512.Create(kx);
        return (inRow & Vector512.GreaterThanOrEqual(at, Vector512<int>.Zero) & Vector512.LessThan(at, width)).AsSingle();
    }

    // The even and odd values of x[at … at + 31]; positions outside x read as 0 (their lanes are masked by the caller).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Even, Vector512<float> Odd) Pair(ReadOnlySpan<float> x, int at)
    {
        if (at >= 0 && at + 2 * Lanes16 <= x.Length)
        {
            ref var rx = ref MemoryMarshal.GetReference(x);
            return Lanes.Split(Vector512.LoadUnsafe(ref rx, (nuint)at), Vector512.LoadUnsafe(ref rx, (nuint)(at + Lanes16)));
        }
        return EdgePair(x, at);
    }

    // Pair at x's first or last values, apart so that its buffer is not taken on every call.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Vector512<float> Even, Vector512<float> Odd) EdgePair(ReadOnlySpan<float> x, int at)
    {
        Span<float> edge = stackalloc float[2 * Lanes16];
        for (var t = 0; t < edge.Length; t++) edge[t] = (uint)(at + t) < (uint)x.Length ? x[at + t] : 0f;
        return Lanes.Split(Vector512.Create((ReadOnlySpan<float>)edge), Vector512.Create((ReadOnlySpan<float>)edge[Lanes16..]));
    }

    // r[at … at + 15], with 0 past r's end.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector512<float> LoadEdge(ReadOnlySpan<float> r, int at)
    {
        Span<float> edge = stackalloc float[Lanes16];
        r[at..].CopyTo(edge);
        return Vector512.Create((ReadOnlySpan<float>)edge);
    }

    private static Vector512<float> Load(ReadOnlySpan<float> r, int at)
    {
        return at + Lanes16 <= r.Length ? Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(r), (nuint)at) : LoadEdge(r, at);
    }

    // y[at … at + 15] = v, the lanes past a row's end landing on the next row's first outputs (written after) or, at y's
    // end, dropped.
    private static void Put(Span<float> y, int at, Vector512<float> v)
    {
        if (at + Lanes16 <= y.Length) v.StoreUnsafe(ref MemoryMarshal.GetReference(y), (nuint)at);
        else PutEdge(y, at, v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PutEdge(Span<float> y, int at, Vector512<float> v)
    {
        Span<float> edge = stackalloc float[Lanes16];
        v.CopyTo(edge);
        edge[..(y.Length - at)].CopyTo(y[at..]);
    }
}
