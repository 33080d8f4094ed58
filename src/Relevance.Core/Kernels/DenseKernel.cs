using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Kernels;

/// <summary>Float32 building blocks of a fully connected layer with W stored inputs × outputs, for generated code.</summary>
/// <remarks>A forward pass walks W's rows first to last and a backward pass last to first, so the rows the forward pass read
/// last are still in cache when the backward pass starts: a 1568×400 layer (2.5 MB) does not fit one core's L2.
/// The jobs split a large layer's backward product across two cores (<see cref="HelperThread"/>) without allocating.</remarks>
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

    /// <summary>z^B's backward pair (W s, W⁺ s) over fixed buffers, as a job <see cref="HelperThread"/> splits across two cores.</summary>
    public sealed class BackPairJob(float[] w, float[] s, float[] a, float[] p, int inputs, int outputs) : RowJob
    {
        /// <inheritdoc />
        public override int Rows => inputs;
        /// <inheritdoc />
        public override void Run(int from, int to) => BackPairRows(w, s, a, p, outputs, from, to);
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
