using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Engine;

/// <summary>Matrix–vector products of a fully connected layer whose matrix is stored input-major, Vᵀ [K×M] (one row per input).</summary>
/// <remarks>Reading weights from memory is the cost of a large fully connected layer, and after a ReLU many inputs are zero.
/// Input-major storage lets every product skip the rows of zero inputs: the forward sum never needs them, and the lower
/// relevance a ⊙ (V s) is zero there whatever V s is. Large products are split across cores: by columns for the sum,
/// by rows for the dot products.</remarks>
internal static class InputMajor
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
                    var workers = Kernels.Parallelism.Cores;
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

    /// <summary>z += Σ_i a_i · max(0, Vᵀ[i, :]) over the inputs with a_i ≠ 0: z⁺'s sum from W itself, whose positive part is
    /// taken as it is read (no W⁺ is stored).</summary>
    public static void AccumulatePositivePart(ReadOnlySpan<float> a, float[] vt, Span<float> z, int k, int m)
    {
        // The paired sum's kernel, its other sum discarded: the explanation's forward pass makes z⁺'s denominators paired,
        // so this runs only where a caller asks for them alone.
        var discarded = ArrayPool<float>.Shared.Rent(m);
        try
        {
            Accumulate(a, vt, discarded.AsSpan(0, m), z, k, m);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(discarded);
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
        var n = to - from;
        var rented = ArrayPool<int>.Shared.Rent(k);
        try
        {
            // The inputs that are not zero, taken four at a time: each vector of both sums is then loaded and stored once per
            // four rows of the matrix rather than once per row. Each sum still adds its rows' terms in input order.
            var rows = 0;
            for (var i = 0; i < k; i++)
                if (a[i] != 0) rented[rows++] = i;
            var r = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; r + 4 <= rows; r += 4) FourRows(a, vt, part, plus, m, from, n, rented.AsSpan(r, 4));
            for (; r < rows; r++)
            {
                var ai = a[rented[r]];
                var row = vt.Slice(rented[r] * m + from, n);
                for (var j = 0; j < n; j++)
                {
                    part[j] = MathF.FusedMultiplyAdd(ai, row[j], part[j]);
                    plus[j] = MathF.FusedMultiplyAdd(ai, Math.Max(row[j], 0f), plus[j]);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    // z += Σ a_i Vᵀ[i, :] and positive += Σ a_i max(0, Vᵀ[i, :]) over the four inputs i of `inputs`, in their order.
    private static void FourRows(ReadOnlySpan<float> a, ReadOnlySpan<float> vt, Span<float> z, Span<float> positive, int m, int from, int n, ReadOnlySpan<int> inputs)
    {
        ref var rz = ref MemoryMarshal.GetReference(z);
        ref var rp = ref MemoryMarshal.GetReference(positive);
        ref var r0 = ref MemoryMarshal.GetReference(vt.Slice(inputs[0] * m + from, n));
        ref var r1 = ref MemoryMarshal.GetReference(vt.Slice(inputs[1] * m + from, n));
        ref var r2 = ref MemoryMarshal.GetReference(vt.Slice(inputs[2] * m + from, n));
        ref var r3 = ref MemoryMarshal.GetReference(vt.Slice(inputs[3] * m + from, n));
        var (a0, a1, a2, a3) = (Vector512.Create(a[inputs[0]]), Vector512.Create(a[inputs[1]]), Vector512.Create(a[inputs[2]]), Vector512.Create(a[inputs[3]]));
        var j = 0;
        for (; j + 16 <= n; j += 16)
        {
            var at = (nuint)j;
            var (w0, w1, w2, w3) = (Vector512.LoadUnsafe(ref r0, at), Vector512.LoadUnsafe(ref r1, at), Vector512.LoadUnsafe(ref r2, at), Vector512.LoadUnsafe(ref r3, at));
            var sum = Vector512.LoadUnsafe(ref rz, at);
            sum = Vector512.FusedMultiplyAdd(a0, w0, sum);
            sum = Vector512.FusedMultiplyAdd(a1, w1, sum);
            sum = Vector512.FusedMultiplyAdd(a2, w2, sum);
            Vector512.FusedMultiplyAdd(a3, w3, sum).StoreUnsafe(ref rz, at);
            var pos = Vector512.LoadUnsafe(ref rp, at);
            pos = Vector512.FusedMultiplyAdd(a0, Vector512.Max(w0, Vector512<float>.Zero), pos);
            pos = Vector512.FusedMultiplyAdd(a1, Vector512.Max(w1, Vector512<float>.Zero), pos);
            pos = Vector512.FusedMultiplyAdd(a2, Vector512.Max(w2, Vector512<float>.Zero), pos);
            Vector512.FusedMultiplyAdd(a3, Vector512.Max(w3, Vector512<float>.Zero), pos).StoreUnsafe(ref rp, at);
        }
        for (; j < n; j++)
            for (var t = 0; t < 4; t++)
            {
                var (ai, w) = (a[inputs[t]], vt[inputs[t] * m + from + j]);
                z[j] = MathF.FusedMultiplyAdd(ai, w, z[j]);
                positive[j] = MathF.FusedMultiplyAdd(ai, Math.Max(w, 0f), positive[j]);
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
    public static void Dots(float[] vt, ReadOnlySpan<float> s, ReadOnlySpan<float> mask, Span<float> t, int k, int m) =>
        Dots<WholeWeights>(vt, s, mask, t, k, m);

    /// <summary>t_i = max(0, Vᵀ[i, :]) · s as <see cref="Dots"/>: z⁺'s backward product from W itself (no W⁺ is stored).</summary>
    public static void DotsOfPositivePart(float[] vt, ReadOnlySpan<float> s, ReadOnlySpan<float> mask, Span<float> t, int k, int m) =>
        Dots<PositivePart>(vt, s, mask, t, k, m);

    private static void Dots<TPart>(float[] vt, ReadOnlySpan<float> s, ReadOnlySpan<float> mask, Span<float> t, int k, int m) where TPart : IWeightPart
    {
        if ((long)k * m < ParallelThreshold) DotRows<TPart>(vt, s, mask, t, m, 0, k);
        else
        {
            unsafe
            {
                fixed (float* ps = s, pmask = mask, pt = t)
                {
                    var (isv, imask, it) = ((nint)ps, (nint)pmask, (nint)pt);
                    var (masked, workers) = (mask.Length > 0, Kernels.Parallelism.Cores);
                    Workers.For(workers, w => DotRows<TPart>(vt, new ReadOnlySpan<float>((float*)isv, m), masked ? new ReadOnlySpan<float>((float*)imask, k) : default,
                        new Span<float>((float*)it, k), m, k * w / workers, k * (w + 1) / workers));
                }
            }
        }
    }

    private static void DotRows<TPart>(ReadOnlySpan<float> vt, ReadOnlySpan<float> s, ReadOnlySpan<float> mask, Span<float> t, int m, int from, int to)
        where TPart : IWeightPart
    {
        var rented = ArrayPool<int>.Shared.Rent(to - from);
        try
        {
            // The rows to take, four at a time: each vector of s is then loaded once per four rows.
            var rows = 0;
            for (var i = from; i < to; i++)
                if (mask.Length > 0 && mask[i] == 0) t[i] = 0f;
                else rented[rows++] = i;
            if (!Vector512.IsHardwareAccelerated || m < 16)
            {
                for (var r = 0; r < rows; r++) t[rented[r]] = TPart.Dot(vt.Slice(rented[r] * m, m), s[..m]);
                return;
            }
            for (var r = 0; r < rows; r += 4)
            {
                // A last group of fewer than four repeats its last row, so that every row is summed the same way wherever it
                // falls (a row's dot product does not depend on the mask of the others).
                Span<int> four = [rented[r], rented[Math.Min(r + 1, rows - 1)], rented[Math.Min(r + 2, rows - 1)], rented[Math.Min(r + 3, rows - 1)]];
                FourDots<TPart>(vt, s, t, m, four);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    // t_i = part(Vᵀ[i, :]) · s for the four rows i of `rows`.
    private static void FourDots<TPart>(ReadOnlySpan<float> vt, ReadOnlySpan<float> s, Span<float> t, int m, ReadOnlySpan<int> rows) where TPart : IWeightPart
    {
        ref var rs = ref MemoryMarshal.GetReference(s);
        ref var r0 = ref MemoryMarshal.GetReference(vt.Slice(rows[0] * m, m));
        ref var r1 = ref MemoryMarshal.GetReference(vt.Slice(rows[1] * m, m));
        ref var r2 = ref MemoryMarshal.GetReference(vt.Slice(rows[2] * m, m));
        ref var r3 = ref MemoryMarshal.GetReference(vt.Slice(rows[3] * m, m));
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        var j = 0;
        for (; j + 16 <= m; j += 16)
        {
            var at = (nuint)j;
            var v = Vector512.LoadUnsafe(ref rs, at);
            d0 = Vector512.FusedMultiplyAdd(TPart.Of(Vector512.LoadUnsafe(ref r0, at)), v, d0);
            d1 = Vector512.FusedMultiplyAdd(TPart.Of(Vector512.LoadUnsafe(ref r1, at)), v, d1);
            d2 = Vector512.FusedMultiplyAdd(TPart.Of(Vector512.LoadUnsafe(ref r2, at)), v, d2);
            d3 = Vector512.FusedMultiplyAdd(TPart.Of(Vector512.LoadUnsafe(ref r3, at)), v, d3);
        }
        if (j < m)
        {
            // The last vector ends at m; its lanes already summed are masked off.
            var at = (nuint)(m - 16);
            var fresh = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(j - (m - 16))).AsSingle();
            var v = Vector512.ConditionalSelect(fresh, Vector512.LoadUnsafe(ref rs, at), Vector512<float>.Zero);
            d0 = Vector512.FusedMultiplyAdd(TPart.Of(Vector512.LoadUnsafe(ref r0, at)), v, d0);
            d1 = Vector512.FusedMultiplyAdd(TPart.Of(Vector512.LoadUnsafe(ref r1, at)), v, d1);
            d2 = Vector512.FusedMultiplyAdd(TPart.Of(Vector512.LoadUnsafe(ref r2, at)), v, d2);
            d3 = Vector512.FusedMultiplyAdd(TPart.Of(Vector512.LoadUnsafe(ref r3, at)), v, d3);
        }
        (t[rows[0]], t[rows[1]], t[rows[2]], t[rows[3]]) = (Vector512.Sum(d0), Vector512.Sum(d1), Vector512.Sum(d2), Vector512.Sum(d3));
    }

    // Which part of the weights a product reads: all of W, or max(0, W) taken as it is loaded (a struct type argument, so
    // that each kernel is compiled for its part with no test in its loop).
    private interface IWeightPart
    {
        static abstract Vector512<float> Of(Vector512<float> w);

        static abstract float Dot(ReadOnlySpan<float> w, ReadOnlySpan<float> s);
    }

    private readonly struct WholeWeights : IWeightPart
    {
        public static Vector512<float> Of(Vector512<float> w) => w;

        public static float Dot(ReadOnlySpan<float> w, ReadOnlySpan<float> s) => TensorPrimitives.Dot(w, s);
    }

    private readonly struct PositivePart : IWeightPart
    {
        public static Vector512<float> Of(Vector512<float> w) => Vector512.Max(w, Vector512<float>.Zero);

        public static float Dot(ReadOnlySpan<float> w, ReadOnlySpan<float> s)
        {
            var sum = 0f;
            for (var i = 0; i < w.Length; i++) sum = MathF.FusedMultiplyAdd(Math.Max(w[i], 0f), s[i], sum);
            return sum;
        }
    }
}
