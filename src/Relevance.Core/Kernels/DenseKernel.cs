using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Kernels;

/// <summary>Float32 building blocks of a fully connected layer with W stored inputs × outputs, for generated code.</summary>
/// <remarks>A forward pass walks W's rows first to last and a backward pass last to first, so the rows the forward pass read
/// last are still in cache when the backward pass starts: a 1568×400 layer (2.5 MB) does not fit one core's L2.
/// The jobs split a large layer's backward product across two cores (<see cref="HelperThread"/>) without allocating.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class DenseKernel
{
    /// <summary>z += Wᵀx, one row of W per input, skipping zero inputs (common after a ReLU).</summary>
    public static void Accumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> z, int inputs, int outputs) =>
        Engine.InputMajor.AccumulateColumns(x, w, z, inputs, outputs, 0, outputs);

    /// <summary>z += Wᵀ(x − r) for a reference value r, skipping inputs equal to it: with r the box's lower bound, an image's
    /// background costs nothing. Callers add r·Σ_i W_i to z once (see <see cref="ColumnSums"/>).</summary>
    public static void AccumulateShifted(ReadOnlySpan<float> x, float reference, ReadOnlySpan<float> w, Span<float> z, int inputs, int outputs)
    {
        for (var i = 0; i < inputs; i++)
        {
            var d = x[i] - reference;
            if (d != 0) TensorPrimitives.MultiplyAdd(w.Slice(i * outputs, outputs), d, z[..outputs], z[..outputs]);
        }
    }

    /// <summary>t_i = Σ_j W[i, j] s_j: what the relevance ratios s send back to each input; t_i = 0 where a non-empty
    /// <paramref name="mask"/> is 0 (the input x_i that t_i will be multiplied by: a ReLU's zeros cost nothing).</summary>
    public static void Back(ReadOnlySpan<float> w, ReadOnlySpan<float> s, Span<float> t, int inputs, int outputs, ReadOnlySpan<float> mask = default) =>
        BackRows(w, s, t, outputs, 0, inputs, mask);

    private static void BackRows(ReadOnlySpan<float> w, ReadOnlySpan<float> s, Span<float> t, int outputs, int from, int to, ReadOnlySpan<float> mask = default)
    {
        for (var i = to - 1; i >= from; i--)
            t[i] = !mask.IsEmpty && mask[i] == 0 ? 0f : TensorPrimitives.Dot(w.Slice(i * outputs, outputs), s[..outputs]);
    }

    /// <summary>The backward product t = W s over fixed buffers, as a job <see cref="HelperThread"/> splits across two cores.</summary>
    public sealed class BackJob(float[] w, float[] s, float[] t, int inputs, int outputs) : RowJob
    {
        /// <inheritdoc />
        public override int Rows => inputs;
        /// <inheritdoc />
        public override void Run(int from, int to) => BackRows(w, s, t, outputs, from, to);
    }

    /// <summary>z^B's backward pair (W s, W⁺ s) from the output-major Wᵀ [outputs × inputs], skipping the outputs whose ratio
    /// s_j is 0, over fixed buffers, as a job <see cref="HelperThread"/> splits across two cores by inputs.</summary>
    /// <remarks>Inactive neurons (R_j = 0, so s_j = 0) send nothing back: with Wᵀ stored by output, their rows are never
    /// read, where the input-major pass (<see cref="BackPair"/>) reads all of W for every input.</remarks>
    public sealed class SparseBackPairJob(float[] wt, float[] s, float[] a, float[] p, int inputs, int outputs) : RowJob
    {
        /// <inheritdoc />
        public override int Rows => inputs;
        /// <inheritdoc />
        public override void Run(int from, int to) => SparseBackPair(wt, s, a, p, inputs, outputs, from, to);
    }

    /// <summary>a_i = Σ_j Wᵀ[j, i] s_j and p_i = Σ_j max(0, Wᵀ[j, i]) s_j for inputs i in [from, to), over the outputs j with
    /// s_j ≠ 0 only.</summary>
    /// <remarks>The active outputs are listed first; then 64 inputs at a time (16 at the end) keep their two sums in registers
    /// while the active rows stream past, one load and two multiply-adds per weight.</remarks>
    public static void SparseBackPair(ReadOnlySpan<float> wt, ReadOnlySpan<float> s, Span<float> a, Span<float> p, int inputs, int outputs, int from, int to)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(wt.Length, inputs * outputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(s.Length, outputs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(to, Math.Min(a.Length, p.Length));
        var rented = System.Buffers.ArrayPool<int>.Shared.Rent(outputs);
        try
        {
            var active = 0;
            for (var j = 0; j < outputs; j++)
                if (s[j] != 0) rented[active++] = j;
            var rows = rented.AsSpan(0, active);
            ref var rw = ref MemoryMarshal.GetReference(wt);
            var i = from;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 64 <= to; i += 64) ActiveSums(ref rw, s, rows, inputs, i, a, p, 4);
                for (; i + 16 <= to; i += 16) ActiveSums(ref rw, s, rows, inputs, i, a, p, 1);
            }
            for (; i < to; i++)
            {
                var (sa, sp) = (0f, 0f);
                foreach (var j in rows)
                {
                    var w = Unsafe.Add(ref rw, j * inputs + i);
                    sa += w * s[j];
                    sp += Math.Max(w, 0f) * s[j];
                }
                (a[i], p[i]) = (sa, sp);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<int>.Shared.Return(rented);
        }
    }

    // a and p at inputs i .. i + 16·vectors over the active rows, the sums in registers; `vectors` (1 or 4) is a constant at
    // each call, so the unused accumulators fold away.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ActiveSums(ref float rw, ReadOnlySpan<float> s, ReadOnlySpan<int> rows, int inputs, int i, Span<float> a, Span<float> p, int vectors)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, p0 = default, p1 = default, p2 = default, p3 = default;
        foreach (var j in rows)
        {
            ref var w = ref Unsafe.Add(ref rw, j * inputs + i);
            var sv = Vector512.Create(s[j]);
            var w0 = Vector512.LoadUnsafe(ref w);
            a0 = Vector512.FusedMultiplyAdd(w0, sv, a0);
            p0 = Vector512.FusedMultiplyAdd(Vector512.Max(w0, Vector512<float>.Zero), sv, p0);
            if (vectors == 1) continue;
            var (w1, w2, w3) = (Vector512.LoadUnsafe(ref w, 16), Vector512.LoadUnsafe(ref w, 32), Vector512.LoadUnsafe(ref w, 48));
            a1 = Vector512.FusedMultiplyAdd(w1, sv, a1); a2 = Vector512.FusedMultiplyAdd(w2, sv, a2); a3 = Vector512.FusedMultiplyAdd(w3, sv, a3);
            p1 = Vector512.FusedMultiplyAdd(Vector512.Max(w1, Vector512<float>.Zero), sv, p1);
            p2 = Vector512.FusedMultiplyAdd(Vector512.Max(w2, Vector512<float>.Zero), sv, p2);
            p3 = Vector512.FusedMultiplyAdd(Vector512.Max(w3, Vector512<float>.Zero), sv, p3);
        }
        ref var ra = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), i);
        ref var rp = ref Unsafe.Add(ref MemoryMarshal.GetReference(p), i);
        a0.StoreUnsafe(ref ra);
        p0.StoreUnsafe(ref rp);
        if (vectors == 1) return;
        a1.StoreUnsafe(ref ra, 16); a2.StoreUnsafe(ref ra, 32); a3.StoreUnsafe(ref ra, 48);
        p1.StoreUnsafe(ref rp, 16); p2.StoreUnsafe(ref rp, 32); p3.StoreUnsafe(ref rp, 48);
    }

    /// <summary>a_i = Σ_j W[i, j] s_j and p_i = Σ_j max(0, W[i, j]) s_j in one pass over W: z^B's two backward products
    /// without a stored W⁺.</summary>
    public static void BackPair(ReadOnlySpan<float> w, ReadOnlySpan<float> s, Span<float> a, Span<float> p, int inputs, int outputs) =>
        BackPairRows(w, s, a, p, outputs, 0, inputs);

    private static void BackPairRows(ReadOnlySpan<float> w, ReadOnlySpan<float> s, Span<float> a, Span<float> p, int outputs, int from, int to)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(w.Length, to * outputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(s.Length, outputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(a.Length, to);
        ArgumentOutOfRangeException.ThrowIfLessThan(p.Length, to);
        ref var rs = ref MemoryMarshal.GetReference(s);
        for (var i = to - 1; i >= from; i--)
        {
            ref var row = ref Unsafe.Add(ref MemoryMarshal.GetReference(w), i * outputs);
            (a[i], p[i]) = DotPair(ref row, ref rs, outputs);
        }
    }

    private static (float All, float Positive) DotPair(ref float w, ref float s, int n)
    {
        var j = 0;
        float all, positive;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            // Two vectors per step into four accumulators: the FMA latency, not memory, bounds one chain.
            var (sa0, sa1, sp0, sp1) = (Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero);
            const int width = 16;
            for (; j <= n - 2 * width; j += 2 * width)
            {
                var w0 = Vector512.LoadUnsafe(ref w, (nuint)j);
                var w1 = Vector512.LoadUnsafe(ref w, (nuint)(j + width));
                var s0 = Vector512.LoadUnsafe(ref s, (nuint)j);
                var s1 = Vector512.LoadUnsafe(ref s, (nuint)(j + width));
                sa0 = Vector512.FusedMultiplyAdd(w0, s0, sa0);
                sa1 = Vector512.FusedMultiplyAdd(w1, s1, sa1);
                sp0 = Vector512.FusedMultiplyAdd(Vector512.Max(w0, Vector512<float>.Zero), s0, sp0);
                sp1 = Vector512.FusedMultiplyAdd(Vector512.Max(w1, Vector512<float>.Zero), s1, sp1);
            }
            for (; j <= n - width; j += width)
            {
                var w0 = Vector512.LoadUnsafe(ref w, (nuint)j);
                var s0 = Vector512.LoadUnsafe(ref s, (nuint)j);
                sa0 = Vector512.FusedMultiplyAdd(w0, s0, sa0);
                sp0 = Vector512.FusedMultiplyAdd(Vector512.Max(w0, Vector512<float>.Zero), s0, sp0);
            }
            (all, positive) = (Vector512.Sum(sa0 + sa1), Vector512.Sum(sp0 + sp1));
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            var (sa, sp) = (Vector256<float>.Zero, Vector256<float>.Zero);
            for (; j <= n - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var wv = Vector256.LoadUnsafe(ref w, (nuint)j);
                var sv = Vector256.LoadUnsafe(ref s, (nuint)j);
                sa = Vector256.FusedMultiplyAdd(wv, sv, sa);
                sp = Vector256.FusedMultiplyAdd(Vector256.Max(wv, Vector256<float>.Zero), sv, sp);
            }
            (all, positive) = (Vector256.Sum(sa), Vector256.Sum(sp));
        }
        else (all, positive) = (0f, 0f);
        for (; j < n; j++)
        {
            var wj = Unsafe.Add(ref w, j);
            var sj = Unsafe.Add(ref s, j);
            all += wj * sj;
            if (wj > 0) positive += wj * sj;
        }
        return (all, positive);
    }

    /// <summary>b_j + r·Σ_i W[i, j]: the bias of <see cref="AccumulateShifted"/>, computed once per binding.</summary>
    public static float[] ShiftedBias(ReadOnlySpan<float> bias, ReadOnlySpan<float> w, int inputs, int outputs, float reference)
    {
        var sums = ColumnSums(w, inputs, outputs, static v => v);
        for (var j = 0; j < outputs; j++) sums[j] = (float)(bias[j] + (double)reference * sums[j]);
        return sums;
    }

    /// <summary>Column sums Σ_i W[i, j] of a transformed copy of W (e.g. w², w⁺), computed once per binding.</summary>
    public static float[] ColumnSums(ReadOnlySpan<float> w, int inputs, int outputs, Func<float, float> transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        var sums = new double[outputs];
        for (var i = 0; i < inputs; i++)
            for (var j = 0; j < outputs; j++) sums[j] += transform(w[i * outputs + j]);
        return [.. sums.Select(s => (float)s)];
    }
}
