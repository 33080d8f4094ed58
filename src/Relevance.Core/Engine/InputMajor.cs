using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Matrix–vector products of a fully connected layer whose matrix is stored input-major, Vᵀ [K×M] (one row per input).</summary>
/// <remarks>Reading weights from memory is the cost of a large fully connected layer, and after a ReLU many inputs are zero.
/// Input-major storage lets every product skip the rows of zero inputs: the forward sum never needs them, and the lower
/// relevance a ⊙ (V s) is zero there whatever V s is. Large products are split across cores: by columns for the sum,
/// by rows for the dot products.</remarks>
public static class InputMajor
{
    private const int ParallelThreshold = 1 << 20;

    /// <summary>z += Σ_i a_i · Vᵀ[i, :] over the inputs with a_i ≠ 0.</summary>
    public static void Accumulate(ReadOnlySpan<float> a, float[] vt, Span<float> z, int k, int m) => Accumulate(a, vt, z, [], k, m);

    /// <summary>z += Σ_i a_i · Vᵀ[i, :] and, when <paramref name="positive"/> is not empty, positive += Σ_i a_i · max(0, Vᵀ[i, :]),
    /// over the inputs with a_i ≠ 0: both sums from one read of the matrix.</summary>
    public static void Accumulate(ReadOnlySpan<float> a, float[] vt, Span<float> z, Span<float> positive, int k, int m)
    {
        if ((long)k * m < ParallelThreshold) AccumulateColumns(a, vt, z, positive, k, m, 0, m);
        else
        {
            unsafe
            {
                fixed (float* pa = a, pz = z, pp = positive)
                {
                    var (ia, iz, ip, paired) = ((nint)pa, (nint)pz, (nint)pp, !positive.IsEmpty);
                    var workers = Environment.ProcessorCount;
                    Workers.For(workers, w =>
                    {
                        // Column ranges rounded to 16 floats keep each core's stores on its own cache lines.
                        int Edge(int part) => Math.Min(m, m * part / workers / 16 * 16);
                        var to = w == workers - 1 ? m : Edge(w + 1);
                        AccumulateColumns(new ReadOnlySpan<float>((float*)ia, k), vt, new Span<float>((float*)iz, m), new Span<float>((float*)ip, paired ? m : 0),
                            k, m, Edge(w), to);
                    });
                }
            }
        }
    }

    private static void AccumulateColumns(ReadOnlySpan<float> a, ReadOnlySpan<float> vt, Span<float> z, Span<float> positive, int k, int m, int from, int to)
    {
        if (positive.IsEmpty)
        {
            AccumulateColumns(a, vt, z, k, m, from, to);
            return;
        }
        var part = z[from..to];
        var plus = positive[from..to];
        ref var rz = ref MemoryMarshal.GetReference(part);
        ref var rp = ref MemoryMarshal.GetReference(plus);
        var n = to - from;
        for (var i = 0; i < k; i++)
        {
            var ai = a[i];
            if (ai == 0) continue;
            var row = vt.Slice(i * m + from, n);
            ref var rw = ref MemoryMarshal.GetReference(row);
            var j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var av = Vector512.Create(ai);
                for (; j + 16 <= n; j += 16)
                {
                    var w = Vector512.LoadUnsafe(ref rw, (nuint)j);
                    Vector512.FusedMultiplyAdd(av, w, Vector512.LoadUnsafe(ref rz, (nuint)j)).StoreUnsafe(ref rz, (nuint)j);
                    Vector512.FusedMultiplyAdd(av, Vector512.Max(w, Vector512<float>.Zero), Vector512.LoadUnsafe(ref rp, (nuint)j)).StoreUnsafe(ref rp, (nuint)j);
                }
            }
            for (; j < n; j++)
            {
                part[j] = MathF.FusedMultiplyAdd(ai, row[j], part[j]);
                plus[j] = MathF.FusedMultiplyAdd(ai, Math.Max(row[j], 0f), plus[j]);
            }
        }
    }

    // The columns [from, to) of the sum; also the generated code's Dense forward (DenseKernel.Accumulate).
    internal static void AccumulateColumns(ReadOnlySpan<float> a, ReadOnlySpan<float> vt, Span<float> z, int k, int m, int from, int to)
    {
        var part = z[from..to];
        for (var i = 0; i < k; i++)
            if (a[i] != 0) TensorPrimitives.MultiplyAdd(vt.Slice(i * m + from, to - from), a[i], part, part);
    }

    /// <summary>t_i = Vᵀ[i, :] · s for every input with mask_i ≠ 0 (or every input when <paramref name="mask"/> is empty); 0 elsewhere.</summary>
    public static void Dots(float[] vt, ReadOnlySpan<float> s, ReadOnlySpan<float> mask, Span<float> t, int k, int m)
    {
        if ((long)k * m < ParallelThreshold) DotRows(vt, s, mask, t, m, 0, k);
        else
        {
            unsafe
            {
                fixed (float* ps = s, pmask = mask, pt = t)
                {
                    var (isv, imask, it) = ((nint)ps, (nint)pmask, (nint)pt);
                    var (masked, workers) = (mask.Length > 0, Environment.ProcessorCount);
                    Workers.For(workers, w => DotRows(vt, new ReadOnlySpan<float>((float*)isv, m), masked ? new ReadOnlySpan<float>((float*)imask, k) : default,
                        new Span<float>((float*)it, k), m, k * w / workers, k * (w + 1) / workers));
                }
            }
        }
    }

    private static void DotRows(ReadOnlySpan<float> vt, ReadOnlySpan<float> s, ReadOnlySpan<float> mask, Span<float> t, int m, int from, int to)
    {
        for (var i = from; i < to; i++)
            t[i] = mask.Length > 0 && mask[i] == 0 ? 0f : TensorPrimitives.Dot(vt.Slice(i * m, m), s[..m]);
    }
}
