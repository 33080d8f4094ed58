using System.Collections.Immutable;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Relevance.Reference;

namespace Relevance.Engine;

/// <summary>Where a rule term's input vector a_t comes from.</summary>
internal enum Source
{
    /// <summary>x, minus the term's offset when it has one (x − l, x − h for z^B).</summary>
    X,
    /// <summary>max(0, x).</summary>
    XPositive,
    /// <summary>min(0, x).</summary>
    XNegative,
    /// <summary>A constant vector fixed at compile time (the ones of w² and flat).</summary>
    Constant,
}

/// <summary>One term of a rule: it adds V · col(a) to the denominators and a ⊙ col2im(Vᵀ S) to the lower relevance.</summary>
/// <param name="Source">Where a comes from.</param>
/// <param name="Vector">The constant a (for <see cref="Source.Constant"/>) or the offset subtracted from x (for <see cref="Source.X"/>), else null.</param>
/// <param name="V">The weight-only matrix: [M×K] for a convolution, input-major Vᵀ [K×M] when P = 1 (see <see cref="InputMajor"/>).</param>
/// <param name="VTransposed">Vᵀ [K×M] for convolutions with P &gt; 1, else null.</param>
/// <param name="Backward">The backward product col2im(Vᵀ S) as a Winograd convolution of S, for 3×3 stride-1 convolutions
/// it covers (then <paramref name="VTransposed"/> is null), else null.</param>
/// <param name="Sign">+1 when every entry of V is ≥ 0, −1 when every entry is ≤ 0, else 0.</param>
/// <param name="Packed">V for the product kernel (read as stored), for the convolutions whose products go through it, else null.</param>
/// <param name="PackedTransposed">Vᵀ for the product kernel (read from V as stored), where its backward product goes through it, else null.</param>
/// <param name="PositivePart">V is W itself and the term's matrix is its positive part, taken as W is read: z⁺ on a fully
/// connected layer (P = 1), and on a convolution whose products read W⁺ through <paramref name="Packed"/> and its transposed
/// or Winograd form.</param>
internal sealed record Term(Source Source, float[]? Vector, float[] V, float[]? VTransposed, Winograd? Backward, int Sign, PackedMatrix? Packed, PackedMatrix? PackedTransposed,
    bool PositivePart = false);

/// <summary>One redistribution: Z = Σ_t V_t · col(a_t) + bias; S = R ⊘ s(Z), zero outside <paramref name="Branch"/>'s outputs when
/// it has one; R_lower += weight · Σ_t a_t ⊙ col2im(V_tᵀ S).</summary>
internal sealed record Pass(ImmutableArray<Term> Terms, float[]? ConstantZ, float[]? DenominatorBias, float[]? BiasNeuron, float Epsilon, float Weight,
    OutputBranch? Branch = null);

/// <summary>A Dense or Conv2d layer compiled for the engine: float weights and every weight-only matrix of its rule, precomputed once.</summary>
/// <remarks>Every rule is a list of terms (a_t, V_t) (see <see cref="RuleTerms"/>); terms with a constant input contribute a
/// constant to Z. z^B's terms (x − l) w⁺ and (x − h) w⁻ are each ≥ 0 in
/// floating point, so the engine's z^B relevance is exactly non-negative. Its denominators, and z⁺'s where the forward
/// pass computes them by Winograd, are not summed term by term: they are held at or above a floor the exact sum never
/// goes below (see FlooredRatios). z⁺'s from a matrix product stacked with the forward one are float sums of its
/// non-negative terms and are used as they are.</remarks>
internal sealed class LinearKernel
{
    private LinearKernel(string node, Geometry geometry, float[] weights, float[] bias, ImmutableArray<Pass> passes, Rule rule, float[]? low, float[]? high,
        bool inputNonNegative, bool outputsRectified)
    {
        _checksSign = rule is ZPlusRule && !inputNonNegative;
        _denominatorsAreOutputs = rule is EpsilonRule;
        Node = node;
        Geometry = geometry;
        Weights = weights;
        Bias = bias;
        Passes = passes;
        Rule = rule;
        _low = low;
        _high = high;
        // z⁺'s denominators W⁺ · col(x) come out of the explanation's forward pass with W · col(x): from the same Winograd
        // transform of x, or from one product with W and W⁺ stacked (one im2col, one packing of each panel of col(x)).
        var plus = rule is ZPlusRule && !passes[0].Terms[0].PositivePart ? passes[0].Terms[0].V : null;
        // Winograd's denominators are held at a floor that bounds only the outputs a ReLU lets through: where relevance
        // reaches outputs below it (a convolution feeding a residual Add) they are summed again exactly, so they are not
        // paired there.
        _winograd = geometry.P > 1 && Winograd.Covers(geometry) ? new Winograd(geometry, weights, outputsRectified ? plus : null) : null;
        if (_winograd is null && Packs(geometry))
        {
            // Only while [W; W⁺] fits in half a core's L2 (1 MB): every panel of col(x) streams all of it, from L3 beyond
            // that (AlexNet's 192×1600 5×5 layer stacked measured slower than its two products apart).
            _stacked = plus is not null && geometry.M % 8 == 0 && 2L * geometry.M * geometry.K * sizeof(float) <= 1 << 20;
            _packedWeights = _stacked ? PackedMatrix.Of([.. weights, .. plus!], 2 * geometry.M, geometry.K) : PackedMatrix.RowMajor(weights, geometry.M, geometry.K);
        }
        else if (_winograd is null && plus is not null && geometry.P > 1 && geometry.K <= ShortInner)
        {
            // A short inner dimension (SqueezeNet's 1×1 layers on 16–64 channels) goes through the unpacked kernel: [W; W⁺]
            // row-major there.
            _stacked = true;
            _stackedShort = [.. weights, .. plus];
        }
        // z^B's denominators Σ (x − l) w⁺ + (x − h) w⁻ are W · col(x) − C with C = W⁺ · col(l) + W⁻ · col(h) fixed: the
        // forward pass's y − b gives them without a product. The rule holds l ≤ 0 ≤ h, so −C ≥ 0 and they are never below
        // y − b (see FlooredRatios).
        if (rule is ZBoxRule)
        {
            _boxConstant = LargeArrays.Zeroed<float>(geometry.M * geometry.P);
            var scratch = geometry.IsIdentity || StreamedFor(geometry) ? [] : LargeArrays.Zeroed<float>(geometry.K * geometry.P);
            foreach (var t in passes[0].Terms) Product(geometry, t.V, null, geometry.M, t.Vector, _boxConstant, scratch);
            // Without padding and with bounds fixed per channel (an image's box), every output of a channel has the same C,
            // the same float sum: one value per channel is kept, and no M×P array is read on each explanation.
            var planes = Enumerable.Range(0, geometry.M).Select(m => _boxConstant.AsSpan(m * geometry.P, geometry.P).ToArray()).ToList();
            if (planes.All(c => Array.TrueForAll(c, v => v.Equals(c[0]))))
            {
                _boxConstant = [.. planes.Select(c => c[0])];
                _boxUniform = true;
            }
        }
        // V is packed for the products that make Z term by term: not where the forward pass pairs the denominators, nor for
        // z^B's (from y).
        if (!PairsDenominators && _boxConstant is null)
            Passes = [.. passes.Select(p => p with { Terms = [.. p.Terms.Select(t => t.Source == Source.Constant ? t : t with { Packed = PackedFor(geometry, t.V) })] })];
        // A z⁺ convolution whose products all go through the product kernel or Winograd reads W⁺ elsewhere only where few
        // channels have relevance or a denominator is summed alone: those paths take W's positive part as they read W, and
        // W⁺ is held only by the matrices the products read.
        if (rule is ZPlusRule && geometry.P > 1 && geometry.K > ShortInner)
            Passes = [.. Passes.Select(p => p with { Terms = [.. p.Terms.Select(t => t.Source == Source.X && !t.PositivePart && t.Packed is not null
                && (t.Backward is not null || t.PackedTransposed is not null || t.VTransposed is not null) ? t with { V = weights, PositivePart = true } : t)] })];
        // z^B's two backward products W⁺ᵀ S and W⁻ᵀ S of a convolution are one, as the backward product of a convolution
        // with twice the input channels: [W⁺ᵀ; W⁻ᵀ] against S, scattered onto two images side by side (one panel of S,
        // one product with twice the rows, and input channels enough for both cores to scatter an RGB layer's).
        if (rule is ZBoxRule && geometry.P > 1 && passes[0].Terms.All(t => t.Backward is null && t.VTransposed is not null))
        {
            var pair = geometry with { InChannels = 2 * geometry.InChannels };
            float[] stacked = [.. passes[0].Terms[0].VTransposed!, .. passes[0].Terms[1].VTransposed!];
            // Scattered panel by panel once its im2col matrix would pass 4 MB, whatever K (a 3×3 layer on 224×224 RGB has
            // K = 54 but a 10 MB matrix).
            var streams = (long)pair.K * pair.P >= 1 << 20;
            _boxPair = (pair, stacked, pair.M > ShortInner && !streams ? PackedMatrix.Of(stacked, pair.K, pair.M) : null, streams);
        }
    }

    // The geometry with both images' channels, [W⁺ᵀ; W⁻ᵀ], its packed form (when the product kernel takes it) and whether
    // it is scattered from panels, of a z^B convolution, else null (see the constructor).
    private readonly (Geometry Geometry, float[] Transposed, PackedMatrix? Packed, bool Streams)? _boxPair;

    /// <summary>Whether <see cref="Relevance"/> can add into relevance already written (one pass of one term, whose single
    /// pass over the lower relevance measures its own share).</summary>
    public bool AddsInPlace => Passes.Length == 1 && Passes[0].Terms.Length == 1 && _boxPair is null;

    /// <summary>The backward image this layer needs: its input, or two side by side (z^B's paired products).</summary>
    public int BackScratch => _boxPair is null ? Geometry.InputSize : 2 * Geometry.InputSize;

    // C = W⁺ · col(l) + W⁻ · col(h) of a z^B layer [M×P], or one value per channel when _boxUniform, else null (see the
    // constructor).
    private readonly float[]? _boxConstant;
    private readonly bool _boxUniform;

    /// <summary>Whether <see cref="Relevance"/> reads the layer's output y: to floor Winograd's or z^B's denominators, as ε's
    /// denominators, or to pick a branch.</summary>
    public bool ReadsOwnValue => (PairsDenominators && _winograd is not null) || _boxConstant is not null || _denominatorsAreOutputs
        || Passes.Any(p => p.Branch is not null);

    /// <summary>Whether the explanation's forward pass computes this layer's denominators (see <see cref="Forward(ReadOnlySpan{float}, Span{float}, Workspace, Span{float})"/>).</summary>
    /// <remarks>From Winograd, their rounding is not an exact sum's: <see cref="Relevance"/> keeps them at or above
    /// Σ x w + bias term, which the exact z⁺ denominator is never below, so every ratio keeps its sign and stays bounded.
    /// A Winograd layer then keeps W⁺'s transform beside W's (16/9 of the kernel each).</remarks>
    public bool PairsDenominators => DenominatorScratch > 0;

    /// <summary>The values the explanation's forward pass leaves for <see cref="Relevance"/>: Z⁺ [M×P] from Winograd, or
    /// [W; W⁺] · col(x) [2M×P] from the stacked product; 0 when the denominators are not paired.</summary>
    public int DenominatorScratch => _winograd?.Paired == true || RowsPaired ? Geometry.M * Geometry.P : _stacked ? 2 * Geometry.M * Geometry.P : 0;

    // A z⁺ layer with P = 1 (Dense): its forward sum over the rows of Wᵀ adds max(0, w) into the denominators as it goes,
    // so the explanation reads W once for both.
    private bool RowsPaired => Geometry.P == 1 && Rule is ZPlusRule;

    // W for the product kernel where the forward product goes through it (Gemm.Multiply, Gemm.MultiplyImage): the model's
    // own array read row-major, no copy; or [W; W⁺] laid out once when _stacked.
    private readonly PackedMatrix? _packedWeights;
    private readonly bool _stacked;

    // [W; W⁺] row-major when _stacked and the inner dimension is short (K ≤ 64), else null.
    private readonly float[]? _stackedShort;

    // Whether a convolution's products go through the packed product kernel (not a matrix-vector sum, not the unpacked
    // kernel of short inner dimensions).
    private static bool Packs(Geometry g) => g.P > 1 && g.K > ShortInner;

    private static PackedMatrix? PackedFor(Geometry g, float[] v) => Packs(g) ? PackedMatrix.RowMajor(v, g.M, g.K) : null;

    // The forward product as a Winograd convolution where Winograd.Covers the geometry, else null. Of the rules'
    // denominators only z⁺'s are computed this way (paired with the forward product, see PairsDenominators); the others
    // stay exact sums.
    private readonly Winograd? _winograd;

    private readonly float[]? _low;
    private readonly float[]? _high;

    // Whether z⁺'s domain x ≥ 0 is checked on each explanation: not when the input is ≥ 0 by construction.
    private readonly bool _checksSign;

    // ε's denominators z_j = Σ_i x_i w_ij + b_j are the layer's outputs, which the explanation's forward pass computed:
    // they are read from y instead of being multiplied again.
    private readonly bool _denominatorsAreOutputs;

    public string Node { get; }
    public Geometry Geometry { get; }
    /// <summary>W as [M×K], or input-major Wᵀ [K×M] when P = 1.</summary>
    public float[] Weights { get; }
    public float[] Bias { get; }
    public ImmutableArray<Pass> Passes { get; }
    public Rule Rule { get; }

    /// <summary>The scratch sizes this layer needs: col(x) [K×P] unless it is x itself or streamed, and Z [M×P].</summary>
    public (int Col, int Z) Scratch => (Math.Max(Geometry.IsIdentity || Streamed ? 0 : Geometry.K * Geometry.P,
        _boxPair is { Streams: false } pair ? pair.Geometry.K * pair.Geometry.P : 0), Geometry.M * Geometry.P);

    // Above 4 MB the col(x) matrix no longer fits a core's L2: its products then pack it from the image panel by panel
    // (Gemm.MultiplyImage, Gemm.MultiplyIntoImage) instead of building it in memory and reading it back.
    private bool Streamed => StreamedFor(Geometry);

    // A first convolution's few taps (K ≤ 64) make a col(x) only a few times the image and a product too short to pay for
    // packing: it is built in memory and multiplied unpacked (Gemm.MultiplyUnpacked).
    private static bool StreamedFor(Geometry g) => !g.IsIdentity && g.P > 1 && g.K > ShortInner && (long)g.K * g.P >= 1 << 20;

    private const int ShortInner = 64;

    /// <summary>Compiles a Dense or Conv2d layer under its rule; <paramref name="inputNonNegative"/> says its input is ≥ 0 by
    /// construction (see <see cref="NonNegativity"/>), so z⁺ need not check it, and <paramref name="outputsRectified"/> that
    /// only ReLUs read its output.</summary>
    public static LinearKernel Compile(string node, Layer layer, Shape input, Rule rule, BiasTreatment biasTreatment, bool inputNonNegative = false,
        bool outputsRectified = true)
    {
        var g = Geometry.Of(layer, input);
        // Dense weights are stored inputs × outputs, which is already the input-major layout of P = 1. A model's float32 weights
        // are used as they are stored, never written: the engine reads them, and makes its own arrays for everything else.
        var (w, b) = layer switch
        {
            Dense d => (d.Weights.Singles(), d.Bias.ToSingles()),
            Conv2d c when g.P == 1 => (Kernels.Weights.Transpose(c.Weights.Singles(), g.M, g.K), c.Bias.ToSingles()),
            Conv2d c => (c.Weights.Singles(), c.Bias.ToSingles()),
            _ => throw new ArgumentException($"{layer.Kind} is not a linear layer."),
        };
        Term T(RuleTerm t)
        {
            var (s, v) = (t.Source, t.V);
            if (t.PositivePart) return new(s, t.Vector, v, null, null, 1, null, null, PositivePart: true);
            var backward = layer is Conv2d && s != Source.Constant ? Winograd.Transposed(g, v) : null;
            var sign = v.Length == 0 || TensorPrimitives.Min<float>(v) >= 0 ? 1 : TensorPrimitives.Max<float>(v) <= 0 ? -1 : 0;
            // Vᵀ is read from V as stored where the backward product goes through the product kernel; copied as a matrix only
            // where it is read as one (short or streamed products, and z^B's stacked pair).
            var byProduct = g.P > 1 && backward is null;
            var packedTransposed = byProduct && g.M > ShortInner && !StreamedFor(g) ? PackedMatrix.Transposed(v, g.M, g.K) : null;
            var transposed = byProduct && (packedTransposed is null || rule is ZBoxRule) ? Kernels.Weights.Transpose(v, g.M, g.K) : null;
            return new(s, t.Vector, v, transposed, backward, sign, null, packedTransposed);
        }
        // A fully connected layer's z⁺ reads W⁺ once per explanation, from memory: max(0, w) costs nothing beside the load, and
        // storing W⁺ would double the layer's memory (AlexNet's and VGG's classifiers: hundreds of MB, and their loading time).
        var passes = RuleTerms.Of(node, rule, w, b, biasTreatment, input, out var low, out var high, streamsPositivePart: g.P == 1, inputNonNegative)
            .Select(p => Make(g, [.. p.Terms.Select(T)], p.DenominatorBias, p.BiasNeuron, p.Epsilon, p.Weight) with { Branch = p.Branch }).ToImmutableArray();
        return new LinearKernel(node, g, w, b, passes, rule, low, high, inputNonNegative, outputsRectified);
    }

    // Folds the constant terms into a constant Z, computed once.
    private static Pass Make(Geometry g, ImmutableArray<Term> terms, float[]? denominatorBias, float[]? biasNeuron, float epsilon, float weight)
    {
        float[]? constantZ = null;
        foreach (var t in terms.Where(t => t.Source == Source.Constant))
        {
            constantZ ??= LargeArrays.Zeroed<float>(g.M * g.P);
            Product(g, t.V, null, g.M, t.Vector, constantZ, g.IsIdentity || StreamedFor(g) ? [] : LargeArrays.Zeroed<float>(g.K * g.P));
        }
        return new Pass(terms, constantZ, denominatorBias, biasNeuron, epsilon, weight);
    }

    /// <summary>y = W · col(x) + b, and the z⁺ denominators W⁺ · col(x) into <paramref name="denominators"/> when given and
    /// <see cref="PairsDenominators"/>.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, Workspace ws, Span<float> denominators = default) =>
        Forward(x, y, ws.Col(Scratch.Col), denominators, parallel: true);

    /// <summary>Whether <see cref="Forward(ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, bool)"/> can run on one
    /// core with a col(x) buffer of <see cref="Scratch"/>.Col floats: a convolution whose col(x) is built in memory.</summary>
    internal bool RunsOnOneCore => Geometry.P > 1 && !Streamed && _winograd is null && _boxPair is null;

    /// <summary>The forward pass with the given col(x) buffer, its products split between cores or (<paramref name="parallel"/>
    /// false, where <see cref="RunsOnOneCore"/>) on the calling thread alone.</summary>
    internal void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> colBuffer, Span<float> denominators, bool parallel)
    {
        var g = Geometry;
        if (_stacked && !denominators.IsEmpty)
        {
            // [W; W⁺] · col(x) in one product; its first M rows are W · col(x), to which y = … + b adds the bias.
            if (_stackedShort is null) Product(g, Weights, _packedWeights, 2 * g.M, x, denominators, colBuffer, accumulate: false, parallel);
            else Gemm.MultiplyUnpacked(_stackedShort, Col(g, x, colBuffer), denominators, 2 * g.M, g.K, g.P, accumulate: false, parallel);
            for (var m = 0; m < g.M; m++) TensorPrimitives.Add(denominators.Slice(m * g.P, g.P), Bias[m], y.Slice(m * g.P, g.P));
            return;
        }
        for (var m = 0; m < g.M; m++) y.Slice(m * g.P, g.P).Fill(Bias[m]);
        if (_winograd is not null && PairsDenominators && !denominators.IsEmpty) _winograd.ApplyPair(x, y, denominators);
        else if (_winograd is not null) _winograd.Apply(x, y);
        else if (RowsPaired && !denominators.IsEmpty)
        {
            denominators.Clear();
            InputMajor.Accumulate(Col(g, x, colBuffer), Weights, y, denominators, g.K, g.M);
        }
        else Product(g, Weights, _packedWeights, g.M, x, y, colBuffer, parallel: parallel);
    }

    // z (+)= V · col(a): for P = 1 a sum over the rows of input-major V that skips zero inputs; else a GEMM (with V packed
    // once when `packed` is given, of which the first `rows` rows are used), with col(a) built in `colBuffer` or streamed
    // from the image.
    private static void Product(Geometry g, float[] v, PackedMatrix? packed, int rows, ReadOnlySpan<float> a, Span<float> z, Span<float> colBuffer,
        bool accumulate = true, bool parallel = true, bool positivePart = false)
    {
        if (positivePart && g.P != 1 && (packed is null || g.K <= ShortInner))
            throw new System.Diagnostics.UnreachableException("A convolution's W⁺ is read from its packed matrix, never from W.");
        if (StreamedFor(g))
        {
            if (packed is not null) Gemm.MultiplyImage(packed, rows, a, g, z, accumulate);
            else Gemm.MultiplyImage(v, a, g, z, accumulate);
            return;
        }
        var col = Col(g, a, colBuffer);
        if (!accumulate && packed is null) z.Clear();
        if (g.P == 1 && positivePart) InputMajor.AccumulatePositivePart(col, v, z, g.K, g.M);
        else if (g.P == 1) InputMajor.Accumulate(col, v, z, g.K, g.M);
        else if (g.K <= ShortInner) Gemm.MultiplyUnpacked(v, col, z, g.M, g.K, g.P, accumulate: true, parallel);
        else if (packed is not null) Gemm.Multiply(packed, rows, col, z, g.P, accumulate, parallel);
        else if (parallel) Gemm.Multiply(v, col, z, g.M, g.K, g.P, accumulate: true);
        else Gemm.MultiplySerial(v, col, z, g.M, g.K, g.P, accumulate: true);
    }

    // col(a): a itself for Dense and 1×1 convolutions, else built in `buffer`.
    private static ReadOnlySpan<float> Col(Geometry g, ReadOnlySpan<float> a, Span<float> buffer)
    {
        if (g.IsIdentity) return a;
        g.Im2Col(a, buffer);
        return buffer;
    }

    // back = col2im(Vᵀ s), the products' adjoint; a Dense layer skips the rows where `mask` (the term's input) is zero,
    // since the lower relevance a ⊙ back is zero there whatever back is.
    private static void TransposedProduct(Geometry g, float[] v, float[]? vt, PackedMatrix? packed, ReadOnlySpan<float> s, ReadOnlySpan<float> mask, Span<float> back,
        Span<float> colBuffer, bool parallel = true, bool positivePart = false)
    {
        // A convolution's backward product reads Vᵀ (packed or not), never V: its W⁺ᵀ is read from W⁺ (or W⁺'s Winograd transform).
        if (StreamedFor(g))
        {
            back.Clear();
            Gemm.MultiplyIntoImage(vt!, s, g, back);
            return;
        }
        // col2im is the identity for Dense and 1×1 convolutions: the product then lands in `back` directly.
        var target = g.IsIdentity ? back : colBuffer;
        if (g.P == 1 && positivePart) InputMajor.DotsOfPositivePart(v, s, g.IsIdentity ? mask : default, target, g.K, g.M);
        else if (g.P == 1) InputMajor.Dots(v, s, g.IsIdentity ? mask : default, target, g.K, g.M);
        else if (g.M <= ShortInner) Gemm.MultiplyUnpacked(vt!, s, target, g.K, g.M, g.P, parallel: parallel);
        else if (packed is not null) Gemm.Multiply(packed, s, target, g.P, accumulate: false, parallel);
        else if (parallel) Gemm.Multiply(vt!, s, target, g.K, g.M, g.P);
        else Gemm.MultiplySerial(vt!, s, target, g.K, g.M, g.P);
        if (g.IsIdentity) return;
        back.Clear();
        g.Col2ImAdd(colBuffer, back);
    }

    // back = col2im(Vᵀ S) by Winograd (written, not added: no clearing). When V and S each have one sign, so has the exact
    // product: rounding can only leave entries of the wrong sign that should be 0 or tiny, so they are to be set to 0,
    // which keeps z⁺'s relevance exactly ≥ 0. Returns that sign (+1: clamp to ≥ 0, −1: to ≤ 0), or 0 for no clamp; the
    // ratios' sign is found once per pass, and only for a one-signed term.
    private static int WinogradBackward(Term t, ReadOnlySpan<float> s, Span<float> back, ref int? ratioSign)
    {
        t.Backward!.Apply(s, back, accumulate: false);
        if (t.Sign == 0) return 0;
        ratioSign ??= TensorPrimitives.Min(s) >= 0 ? 1 : TensorPrimitives.Max(s) <= 0 ? -1 : 0;
        return t.Sign * ratioSign.Value;
    }

    // lower (+)= a ⊙ (weight · back) in one pass, back clamped first to ≥ 0 (clamp > 0) or ≤ 0 (clamp < 0); with `measure`,
    // lower's Σ, negative mass and minimum in the same pass (summed in double, as Relevances.Measure) — or, with
    // `measureShare`, those of a ⊙ (weight · back) alone — else zeros.
    private static (double Sum, double NegativeMass, double Minimum) Combine(ReadOnlySpan<float> a, ReadOnlySpan<float> back, Span<float> lower,
        int clamp, float weight, bool accumulate, bool measure, bool measureShare, bool parallel) =>
        lower.Length < MeasuredHalves.Threshold ? CombinePart(a, back, lower, clamp, weight, accumulate, measure, measureShare)
        : CombineHalves(a, back, lower, clamp, weight, accumulate, measure, measureShare, parallel);

    // Apart from Combine because the lambda's captured parameters would otherwise be allocated on every call, short or long.
    private static unsafe (double Sum, double NegativeMass, double Minimum) CombineHalves(ReadOnlySpan<float> a, ReadOnlySpan<float> back, Span<float> lower,
        int clamp, float weight, bool accumulate, bool measure, bool measureShare, bool parallel)
    {
        fixed (float* pa = a, pb = back, pl = lower)
        {
            var (ia, ib, il) = ((nint)pa, (nint)pb, (nint)pl);
            return MeasuredHalves.Run(lower.Length, (from, to) => CombinePart(new ReadOnlySpan<float>((float*)ia + from, to - from),
                new ReadOnlySpan<float>((float*)ib + from, to - from), new Span<float>((float*)il + from, to - from),
                clamp, weight, accumulate, measure, measureShare), parallel);
        }
    }

    private static (double Sum, double NegativeMass, double Minimum) CombinePart(ReadOnlySpan<float> a, ReadOnlySpan<float> back, Span<float> lower,
        int clamp, float weight, bool accumulate, bool measure, bool measureShare)
    {
        var i = 0;
        var (sum, negative, minimum) = (0.0, 0.0, double.PositiveInfinity);
        if (Vector512.IsHardwareAccelerated)
        {
            ref var ra = ref MemoryMarshal.GetReference(a);
            ref var rb = ref MemoryMarshal.GetReference(back);
            ref var rl = ref MemoryMarshal.GetReference(lower);
            var w = Vector512.Create(weight);
            var (sums, negatives, least) = (Vector512<double>.Zero, Vector512<double>.Zero, Vector512.Create(float.PositiveInfinity));
            for (; i + 16 <= lower.Length; i += 16)
            {
                var b = Vector512.LoadUnsafe(ref rb, (nuint)i);
                if (clamp > 0) b = Vector512.Max(b, Vector512<float>.Zero);
                else if (clamp < 0) b = Vector512.Min(b, Vector512<float>.Zero);
                var v = Vector512.LoadUnsafe(ref ra, (nuint)i) * (b * w);
                if (measure && measureShare) Relevances.AddLanes(v, ref sums, ref negatives, ref least);
                if (accumulate) v += Vector512.LoadUnsafe(ref rl, (nuint)i);
                v.StoreUnsafe(ref rl, (nuint)i);
                if (measure && !measureShare) Relevances.AddLanes(v, ref sums, ref negatives, ref least);
            }
            if (measure && i > 0) (sum, negative, minimum) = Relevances.ReduceLanes(sums, negatives, least);
        }
        for (; i < lower.Length; i++)
        {
            var b = clamp > 0 ? Math.Max(back[i], 0f) : clamp < 0 ? Math.Min(back[i], 0f) : back[i];
            var v = a[i] * (b * weight);
            var share = v;
            if (accumulate) v += lower[i];
            lower[i] = v;
            Relevances.AddValue(measureShare ? share : v, ref sum, ref negative, ref minimum);
        }
        return measure && !lower.IsEmpty ? (sum, negative, minimum) : (0, 0, 0);
    }

    // lower = (x − l) ⊙ plus + (x − h) ⊙ minus, z^B's relevance from W⁺ᵀ S and W⁻ᵀ S, measured in the same pass. Each
    // product is ≥ 0 in floating point too (x − l ≥ 0 ≤ plus, x − h ≤ 0 ≥ minus), so the relevance stays exactly ≥ 0.
    private static (double Sum, double NegativeMass, double Minimum) BoxShares(ReadOnlySpan<float> x, ReadOnlySpan<float> low, ReadOnlySpan<float> high,
        ReadOnlySpan<float> plus, ReadOnlySpan<float> minus, Span<float> lower)
    {
        var i = 0;
        var (sum, negative, minimum) = (0.0, 0.0, double.PositiveInfinity);
        if (Vector512.IsHardwareAccelerated)
        {
            ref var rx = ref MemoryMarshal.GetReference(x);
            ref var rlow = ref MemoryMarshal.GetReference(low);
            ref var rhigh = ref MemoryMarshal.GetReference(high);
            ref var rp = ref MemoryMarshal.GetReference(plus);
            ref var rm = ref MemoryMarshal.GetReference(minus);
            ref var rl = ref MemoryMarshal.GetReference(lower);
            var (sums, negatives, least) = (Vector512<double>.Zero, Vector512<double>.Zero, Vector512.Create(float.PositiveInfinity));
            for (; i + 16 <= lower.Length; i += 16)
            {
                var at = (nuint)i;
                var v = Vector512.LoadUnsafe(ref rx, at);
                var r = (v - Vector512.LoadUnsafe(ref rlow, at)) * Vector512.LoadUnsafe(ref rp, at) + (v - Vector512.LoadUnsafe(ref rhigh, at)) * Vector512.LoadUnsafe(ref rm, at);
                r.StoreUnsafe(ref rl, at);
                Relevances.AddLanes(r, ref sums, ref negatives, ref least);
            }
            if (i > 0) (sum, negative, minimum) = Relevances.ReduceLanes(sums, negatives, least);
        }
        for (; i < lower.Length; i++)
        {
            var r = (x[i] - low[i]) * plus[i] + (x[i] - high[i]) * minus[i];
            lower[i] = r;
            Relevances.AddValue(r, ref sum, ref negative, ref minimum);
        }
        return lower.IsEmpty ? (0, 0, 0) : (sum, negative, minimum);
    }

    /// <summary>g_in = Wᵀ g_out (through col2im for a convolution): the layer's part of backpropagation.</summary>
    public void Backward(ReadOnlySpan<float> upper, Span<float> lower, Workspace ws)
    {
        var g = Geometry;
        if (g.P > 1) _transposed ??= Kernels.Weights.Transpose(Weights, g.M, g.K);
        TransposedProduct(g, Weights, _transposed, null, upper, default, lower, ws.Col(Scratch.Col));
    }

    // Wᵀ for convolutions, made on the first gradient (explanations never need it). Two threads racing here both store
    // the same matrix, so the race is benign.
    private float[]? _transposed;

    /// <summary>Writes the layer's input relevance into <paramref name="lower"/> and returns the relevance taken by bias neurons.</summary>
    /// <param name="x">The layer's input.</param>
    /// <param name="y">Its output W · col(x) + b.</param>
    /// <param name="upper">The relevance of its outputs.</param>
    /// <param name="lower">Receives the relevance of its inputs.</param>
    /// <param name="ws">Scratch buffers.</param>
    /// <param name="measure">Receives Σ, negative mass and minimum of <paramref name="lower"/>, taken as it is written.</param>
    /// <param name="denominators">When <see cref="PairsDenominators"/>: W⁺ · col(x) from the forward pass (overwritten);
    /// else empty.</param>
    /// <param name="addTo">Add the input relevance to what <paramref name="lower"/> holds (other layers' share of it) instead
    /// of writing it; <paramref name="measure"/> is still of this layer's share alone. Only where <see cref="AddsInPlace"/>.</param>
    /// <param name="parallel">Split the products between cores (the default), or run them on the calling thread alone (for a
    /// convolution whose col(x) is built in memory, one of many groups each core takes whole).</param>
    public double Relevance(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws,
        out (double Sum, double NegativeMass, double Minimum) measure, Span<float> denominators = default, bool addTo = false, bool parallel = true)
    {
        if (addTo && !AddsInPlace) throw new InvalidOperationException($"{Node}: its relevance is made of several terms, and is written, not added.");
        CheckDomain(x);
        var g = Geometry;
        // The first term writes `lower` (a ⊙ back) and later ones add to it: no clearing pass over a large input.
        var first = true;
        var biasRelevance = 0.0;
        var paired = PairsDenominators && !denominators.IsEmpty;
        // Paired denominators from a matrix product (W and W⁺ stacked, or a fully connected layer's rows) are float sums of
        // non-negative terms, the sums the layer's own product would make; those from Winograd, and z^B's from y, are not
        // exact sums and are held at their floor (see FlooredRatios).
        var exact = paired && _winograd is null;
        var floored = (paired && !exact) || _boxConstant is not null;
        // A layer under a few class maps (SqueezeNet's conv10 under global pooling) gives relevance to a few channels:
        // its products are then made for those alone.
        Span<int> list = stackalloc int[FewChannels];
        var active = ActiveChannels(upper, list);
        measure = default;
        // A branch no relevance reaches (the γ-rule's negative outputs under a ReLU) is not computed; the last pass that runs
        // measures the lower relevance.
        var last = Passes.Length - 1;
        while (last >= 0 && Passes[last].Branch is { } unreached && !unreached.Reaches(upper, y, g.P)) last--;
        for (var q = 0; q <= last; q++)
        {
            var pass = Passes[q];
            if (q < last && pass.Branch is { } branch && !branch.Reaches(upper, y, g.P)) continue;
            var z = !paired ? ws.Z(g) : _stacked ? denominators[(g.M * g.P)..] : denominators;
            var col = ws.Col(Scratch.Col);
            // S = R ⊘ s(Z), with a zero denominator giving zero (docs/rules.md §3); Z is overwritten with S.
            if (floored && !FlooredRatios(pass, x, y, upper, z)) floored = false;
            var fromOutputs = _denominatorsAreOutputs && y.Length == z.Length;
            if (!floored)
            {
                if (fromOutputs) y.CopyTo(z);
                else if (!exact)
                {
                    // The first product writes z (no clearing pass first) unless a constant part is there already.
                    var holds = pass.ConstantZ is not null;
                    if (holds) pass.ConstantZ!.CopyTo(z);
                    foreach (var t in pass.Terms.Where(t => t.Source != Source.Constant))
                    {
                        if (active.IsEmpty) Product(g, t.V, t.Packed, g.M, Input(t, x, ws), z, col, accumulate: holds, parallel: parallel, positivePart: t.PositivePart);
                        else
                        {
                            if (!holds) z.Clear();
                            ChannelProducts(t.V, t.PositivePart, Input(t, x, ws), z, col, active);
                        }
                        holds = true;
                    }
                    if (!holds) z.Clear();
                }
                Ratios(pass, g, fromOutputs, upper, y, z, parallel);
            }
            for (var m = 0; m < g.M; m++)
                if (pass.BiasNeuron?[m] is { } neuron && neuron != 0)
                    biasRelevance += (double)pass.Weight * neuron * Relevances.Measure(z.Slice(m * g.P, g.P)).Sum;
            if (_boxPair is { } box && active.IsEmpty)
            {
                var both = ws.Back(2 * g.InputSize);
                if (box.Streams)
                {
                    both.Clear();
                    Gemm.MultiplyIntoImage(box.Transposed, z, box.Geometry, both);
                }
                else TransposedProduct(box.Geometry, [], box.Transposed, box.Packed, z, default, both, col);
                measure = BoxShares(x, _low!, _high!, both[..g.InputSize], both[g.InputSize..], lower);
                first = false;
                continue;
            }
            var back = ws.Back(g);
            int? ratioSign = null;
            for (var u = 0; u < pass.Terms.Length; u++)
            {
                var t = pass.Terms[u];
                var a = Input(t, x, ws);
                var clamp = 0;
                if (t.Backward is null && !active.IsEmpty) ChannelTransposedProducts(t.V, t.PositivePart, z, back, col, active);
                else if (t.Backward is null) TransposedProduct(g, t.V, t.VTransposed, t.PackedTransposed, z, a, back, col, parallel, t.PositivePart);
                else clamp = WinogradBackward(t, z, back, ref ratioSign);
                // The last term's pass over `lower` also measures it (its own share, when added to others').
                measure = Combine(a, back, lower, clamp, pass.Weight, accumulate: !first || addTo, measure: q == last && u == pass.Terms.Length - 1,
                    measureShare: addTo, parallel);
                first = false;
            }
        }
        // No pass ran: nothing reached this layer's outputs through any branch.
        if (first && !addTo) lower.Clear();
        return biasRelevance;
    }

    // z = upper ⊘ s(z) channel by channel (s: the pass's stabilizer and denominator bias, none where z are the outputs), and
    // 0 outside the pass's branch; the channels split between cores where there are many values.
    private static void Ratios(Pass pass, Geometry g, bool fromOutputs, ReadOnlySpan<float> upper, ReadOnlySpan<float> y, Span<float> z, bool parallel)
    {
        if (!parallel || (long)g.M * g.P < MeasuredHalves.Threshold || g.M < 2) ChannelRatios(pass, g, fromOutputs, upper, y, z, 0, g.M);
        else RatiosInHalves(pass, g, fromOutputs, upper, y, z);
    }

    // Apart from Ratios because the lambda's captured parameters would otherwise be allocated on every call, serial or not.
    private static unsafe void RatiosInHalves(Pass pass, Geometry g, bool fromOutputs, ReadOnlySpan<float> upper, ReadOnlySpan<float> y, Span<float> z)
    {
        fixed (float* pu = upper, py = y, pz = z)
        {
            var (iu, iy, iz, half) = ((nint)pu, (nint)py, (nint)pz, g.M / 2);
            var (uLength, yLength, zLength) = (upper.Length, y.Length, z.Length);
            Workers.For(2, w => ChannelRatios(pass, g, fromOutputs, new ReadOnlySpan<float>((float*)iu, uLength), new ReadOnlySpan<float>((float*)iy, yLength),
                new Span<float>((float*)iz, zLength), w == 0 ? 0 : half, w == 0 ? half : g.M));
        }
    }

    private static void ChannelRatios(Pass pass, Geometry g, bool fromOutputs, ReadOnlySpan<float> upper, ReadOnlySpan<float> y, Span<float> z, int from, int to)
    {
        for (var m = from; m < to; m++)
        {
            var add = fromOutputs ? 0f : pass.DenominatorBias?[m] ?? 0f;
            var zm = z.Slice(m * g.P, g.P);
            var um = upper.Slice(m * g.P, g.P);
            if (pass.Epsilon > 0) Kernels.RelevanceKernel.EpsilonRatios(um, zm, add, pass.Epsilon);
            else
            {
                if (add != 0) TensorPrimitives.Add(zm, add, zm);
                Kernels.RelevanceKernel.Ratios(um, zm);
            }
            pass.Branch?.Mask(zm, y.Slice(m * g.P, g.P), m);
        }
    }

    // At most this many channels, and at most 1/16 of them, count as few (see ActiveChannels).
    private const int FewChannels = 64;

    // The channels with relevance, when a convolution (P > 1, col(x) in memory) has few of them; else empty.
    private ReadOnlySpan<int> ActiveChannels(ReadOnlySpan<float> upper, Span<int> list)
    {
        var g = Geometry;
        if (g.P == 1 || StreamedFor(g) || g.M < 16) return [];
        var count = 0;
        for (var m = 0; m < g.M; m++)
        {
            if (!upper.Slice(m * g.P, g.P).ContainsAnyExcept(0f)) continue;
            if (count == list.Length || count >= g.M / 16) return [];
            list[count++] = m;
        }
        return list[..count];
    }

    // z[m] += V[m, :] · col(a) for the listed channels m only (V = max(0, v) when `positivePart`).
    private void ChannelProducts(float[] v, bool positivePart, ReadOnlySpan<float> a, Span<float> z, Span<float> colBuffer, ReadOnlySpan<int> channels)
    {
        var g = Geometry;
        var col = Col(g, a, colBuffer);
        // W's positive part, one row at a time, on the stack where a row fits (no allocation per explanation).
        Span<float> row = !positivePart ? default : g.K <= 4096 ? stackalloc float[g.K] : new float[g.K];
        foreach (var m in channels)
        {
            scoped ReadOnlySpan<float> vm = v.AsSpan(m * g.K, g.K);
            if (positivePart)
            {
                TensorPrimitives.Max(vm, 0f, row);
                vm = row;
            }
            InputMajor.AccumulateColumns(vm, col, z.Slice(m * g.P, g.P), g.K, g.P, 0, g.P);
        }
    }

    // back = col2im(Vᵀ S) when S is zero but for the listed channels: Σ over them of V[m, :]ᵀ ⊗ S[m, :].
    private void ChannelTransposedProducts(float[] v, bool positivePart, ReadOnlySpan<float> s, Span<float> back, Span<float> colBuffer, ReadOnlySpan<int> channels)
    {
        var g = Geometry;
        var target = g.IsIdentity ? back : colBuffer;
        for (var k = 0; k < g.K; k++)
        {
            var row = target.Slice(k * g.P, g.P);
            row.Clear();
            foreach (var m in channels)
                if ((positivePart ? Math.Max(v[m * g.K + k], 0f) : v[m * g.K + k]) is var vmk && vmk != 0) TensorPrimitives.MultiplyAdd(s.Slice(m * g.P, g.P), vmk, row, row);
        }
        if (g.IsIdentity) return;
        back.Clear();
        g.Col2ImAdd(colBuffer, back);
    }

    // The ratios S = R ⊘ z of denominators that are not exact sums (paired with the forward product, or z^B's from y),
    // each held at its floor: the exact z⁺ denominator Σ x w⁺ + add (and z^B's, since the rule keeps l ≤ 0 ≤ h) is never
    // below Σ x w + add = y + floor (floor = add − b), so z = max(z, y + floor) keeps R ⊘ z between 0 and R ⊘ (y + floor).
    // Where relevance reaches an output whose floor is not positive (a rule above that gives relevance to inactive
    // neurons, such as w², or a residual Add sending relevance to a negative output), the floor bounds nothing: the
    // denominator is summed exactly there, one by one; when more than 1/128 of the outputs need it, that would cost more
    // than the layer's product, and false is returned for the caller to make it.
    private bool FlooredRatios(Pass pass, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> upper, Span<float> z)
    {
        var g = Geometry;
        var open = 0;
        for (var m = 0; m < g.M; m++)
        {
            var add = pass.DenominatorBias?[m] ?? 0f;
            var at = m * g.P;
            var constant = _boxConstant is null || _boxUniform ? default : _boxConstant.AsSpan(at, g.P);
            open += FloorRatios(z.Slice(at, g.P), _boxConstant is not null, constant, _boxUniform ? _boxConstant![m] : 0f, y.Slice(at, g.P), upper.Slice(at, g.P), add, add - Bias[m]);
        }
        if (open > g.M * g.P / 128) return false;
        if (open == 0) return true;
        for (var m = 0; m < g.M; m++)
        {
            var add = pass.DenominatorBias?[m] ?? 0f;
            for (var p = 0; p < g.P; p++)
            {
                var at = m * g.P + p;
                if (!(y[at] + add - Bias[m] <= 0 && upper[at] != 0)) continue;
                var exact = (double)add;
                foreach (var t in pass.Terms) exact += g.Dot(t.V, x, m, p, g.P == 1, t.Vector, t.PositivePart);
                z[at] = exact == 0 ? 0f : (float)(upper[at] / exact);
            }
        }
        return true;
    }

    // z = R ⊘ d over one output channel, with d = max(z + add, y + floor), or (y + floor) − C for z^B (C ≤ 0, so d is
    // never below its floor there either; C from `constant`, or `uniform` when that is empty), and 0 where d = 0; returns
    // how many outputs have relevance and a floor ≤ 0.
    private static int FloorRatios(Span<float> z, bool box, ReadOnlySpan<float> constant, float uniform, ReadOnlySpan<float> y, ReadOnlySpan<float> upper,
        float add, float floor)
    {
        var each = !constant.IsEmpty;
        var (p, open) = (0, 0);
        if (Vector512.IsHardwareAccelerated)
        {
            ref var rz = ref MemoryMarshal.GetReference(z);
            ref var rc = ref MemoryMarshal.GetReference(constant);
            ref var ry = ref MemoryMarshal.GetReference(y);
            ref var ru = ref MemoryMarshal.GetReference(upper);
            var (a, f, c) = (Vector512.Create(add), Vector512.Create(floor), Vector512.Create(uniform));
            for (; p + 16 <= z.Length; p += 16)
            {
                var low = Vector512.LoadUnsafe(ref ry, (nuint)p) + f;
                var d = !box ? Vector512.Max(Vector512.LoadUnsafe(ref rz, (nuint)p) + a, low) : low - (each ? Vector512.LoadUnsafe(ref rc, (nuint)p) : c);
                var u = Vector512.LoadUnsafe(ref ru, (nuint)p);
                Vector512.ConditionalSelect(Vector512.Equals(d, Vector512<float>.Zero), Vector512<float>.Zero, u / d).StoreUnsafe(ref rz, (nuint)p);
                open += System.Numerics.BitOperations.PopCount((Vector512.LessThanOrEqual(low, Vector512<float>.Zero) & ~Vector512.Equals(u, Vector512<float>.Zero)).ExtractMostSignificantBits());
            }
        }
        for (; p < z.Length; p++)
        {
            var low = y[p] + floor;
            var d = !box ? Math.Max(z[p] + add, low) : low - (each ? constant[p] : uniform);
            z[p] = d == 0 ? 0f : upper[p] / d;
            if (low <= 0 && upper[p] != 0) open++;
        }
        return open;
    }

    private ReadOnlySpan<float> Input(Term t, ReadOnlySpan<float> x, Workspace ws)
    {
        switch (t.Source)
        {
            case Source.X when t.Vector is null: return x;
            case Source.X:
            {
                var s = ws.Signed(Geometry.InputSize);
                TensorPrimitives.Subtract(x, t.Vector, s);
                return s;
            }
            case Source.Constant: return t.Vector;
            case Source.XPositive:
            {
                var s = ws.Signed(Geometry.InputSize);
                TensorPrimitives.Max(x, 0f, s);
                return s;
            }
            default:
            {
                var s = ws.Signed(Geometry.InputSize);
                TensorPrimitives.Min(x, 0f, s);
                return s;
            }
        }
    }

    private void CheckDomain(ReadOnlySpan<float> x) => RuleTerms.CheckDomain(Node, _checksSign, x, _low, _high);
}
