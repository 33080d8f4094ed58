namespace Relevance.Engine;

/// <summary>The shape arithmetic of a linear layer as a matrix product: Z [M×P] = V [M×K] · col(x) [K×P].</summary>
/// <remarks>A Dense layer is the case P = 1 with col(x) = x. For a convolution, col(x) is the im2col matrix:
/// K = Cin·kh·kw rows, one column per output position; padded positions are zeros, so they never take relevance.</remarks>
/// <param name="InChannels">Input channels (Dense: inputs).</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="OutChannels">Output channels (Dense: outputs).</param>
/// <param name="KernelHeight">Kernel height.</param>
/// <param name="KernelWidth">Kernel width.</param>
/// <param name="Stride">Stride on both axes.</param>
/// <param name="PadTop">Zero rows above the image.</param>
/// <param name="PadLeft">Zero columns left of the image.</param>
/// <param name="OutHeight">Output height.</param>
/// <param name="OutWidth">Output width.</param>
/// <param name="Dilation">Distance between adjacent taps on both axes.</param>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed partial record Geometry(int InChannels, int Height, int Width, int OutChannels, int KernelHeight, int KernelWidth,
    int Stride, int PadTop, int PadLeft, int OutHeight, int OutWidth, int Dilation = 1)
{
    /// <summary>Rows of V and Z: output channels.</summary>
    public int M => OutChannels;
    /// <summary>Columns of V, rows of col(x): Cin·kh·kw.</summary>
    public int K => InChannels * KernelHeight * KernelWidth;
    /// <summary>Columns of Z and col(x): output positions.</summary>
    public int P => OutHeight * OutWidth;
    /// <summary>Elements of one input.</summary>
    public int InputSize => InChannels * Height * Width;

    /// <summary>col(x) = x viewed as [K×P]: a Dense layer, or a 1×1 convolution with stride 1 and no padding.</summary>
    public bool IsIdentity => KernelHeight == 1 && KernelWidth == 1 && Stride == 1 && PadTop == 0 && PadLeft == 0 && OutHeight == Height && OutWidth == Width;

    /// <summary>The geometry of a Dense or Conv2d layer (of one group of a grouped one) on an input shape.</summary>
    public static Geometry Of(Layer layer, Shape input) => layer switch
    {
        Dense d => new Geometry(d.Inputs, 1, 1, d.Outputs, 1, 1, 1, 0, 0, 1, 1),
        Conv2d c => OfConv(c, input),
        _ => throw new ArgumentException($"{layer.Kind} is not a linear layer."),
    };

    private static Geometry OfConv(Conv2d c, Shape input)
    {
        var (oh, ow) = c.OutputPlane(input[1], input[2]);
        // A grouped convolution runs group by group (GroupedLinearNode): the geometry of one group.
        return new Geometry(c.GroupInChannels, input[1], input[2], c.OutChannels / c.Groups, c.KernelHeight, c.KernelWidth, c.Stride, c.Pads.Top, c.Pads.Left, oh, ow, c.Dilation);
    }

    /// <summary>(V · col(x − offset))[m, p] summed directly in double precision, for V [M×K], or input-major Vᵀ [K×M] when
    /// <paramref name="inputMajor"/>; no offset when <paramref name="offset"/> is null.</summary>
    internal double Dot(ReadOnlySpan<float> v, ReadOnlySpan<float> x, int m, int p, bool inputMajor = false, float[]? offset = null, bool positivePart = false)
    {
        var (oy, ox) = Math.DivRem(p, OutWidth);
        var sum = 0.0;
        for (var c = 0; c < InChannels; c++)
            for (var ky = 0; ky < KernelHeight; ky++)
            {
                var iy = oy * Stride - PadTop + ky * Dilation;
                if ((uint)iy >= (uint)Height) continue;
                for (var kx = 0; kx < KernelWidth; kx++)
                {
                    var ix = ox * Stride - PadLeft + kx * Dilation;
                    var tap = (c * KernelHeight + ky) * KernelWidth + kx;
                    var at = (c * Height + iy) * Width + ix;
                    if ((uint)ix < (uint)Width)
                        sum += (double)(positivePart ? Math.Max(0f, v[inputMajor ? tap * M + m : m * K + tap]) : v[inputMajor ? tap * M + m : m * K + tap])
                            * ((double)x[at] - (offset is null ? 0 : offset[at]));
                }
            }
        return sum;
    }

    /// <summary>The output columns [first, last) whose input column ox·s − p + kx·d lies inside the image.</summary>
    private (int First, int Last) Valid(int kx) => ValidOutputs(kx * Dilation, PadLeft, Stride, Width, OutWidth);

    /// <summary>Along one axis of a window (convolution or pooling): the outputs [first, last) whose tap k reads an input inside [0, size).</summary>
    internal static (int First, int Last) ValidOutputs(int k, int pad, int stride, int size, int outputs)
    {
        var first = Math.Max(0, (pad - k + stride - 1) / stride);
        var span = size - 1 + pad - k;
        var last = span < 0 ? 0 : Math.Min(outputs, span / stride + 1);
        return (Math.Min(first, last), last);
    }

    /// <summary>col[(c·kh + ky)·kw + kx, oy·ow + ox] = x[c, oy·s − p + ky, ox·s − p + kx], zero outside the image.</summary>
    public void Im2Col(ReadOnlySpan<float> x, Span<float> col)
    {
        if (IsIdentity)
        {
            x[..(K * P)].CopyTo(col);
            return;
        }
        if (Stride == 1)
        {
            Im2ColUnitStride(x, col);
            return;
        }
        for (var c = 0; c < InChannels; c++)
            for (var ky = 0; ky < KernelHeight; ky++)
                for (var kx = 0; kx < KernelWidth; kx++)
                {
                    var row = col.Slice(((c * KernelHeight + ky) * KernelWidth + kx) * P, P);
                    var (first, last) = Valid(kx);
                    for (var oy = 0; oy < OutHeight; oy++)
                    {
                        var iy = oy * Stride - PadTop + ky * Dilation;
                        var line = row.Slice(oy * OutWidth, OutWidth);
                        if (iy < 0 || iy >= Height || first >= last)
                        {
                            line.Clear();
                            continue;
                        }
                        line[..first].Clear();
                        line[last..].Clear();
                        var src = x.Slice((c * Height + iy) * Width, Width);
                        var start = first * Stride - PadLeft + kx * Dilation;
                        if (Stride == 1) src.Slice(start, last - first).CopyTo(line[first..last]);
                        else
                            for (var ox = first; ox < last; ox++) line[ox] = src[start + (ox - first) * Stride];
                    }
                }
    }

    // Where input row `row` (channel-major: c·H + iy) starts in the zero-padded image of hp × wp per channel.
    private int PaddedRow(int row, int hp, int wp) => (row / Height * hp + row % Height + PadTop) * wp + PadLeft;

    // Stride 1: copy the input once into a zero-padded image, after which every line of col is one contiguous copy with no
    // bounds to work out (the per-line bookkeeping, not the copying, is what costs on small images).
    private void Im2ColUnitStride(ReadOnlySpan<float> x, Span<float> col)
    {
        var (hp, wp) = (OutHeight + (KernelHeight - 1) * Dilation, OutWidth + (KernelWidth - 1) * Dilation);
        var rented = System.Buffers.ArrayPool<float>.Shared.Rent(InChannels * hp * wp);
        try
        {
            var padded = rented.AsSpan(0, InChannels * hp * wp);
            padded.Clear();
            for (var row = 0; row < InChannels * Height; row++)
                x.Slice(row * Width, Width).CopyTo(padded.Slice(PaddedRow(row, hp, wp), Width));
            for (var c = 0; c < InChannels; c++)
                for (var ky = 0; ky < KernelHeight; ky++)
                    for (var kx = 0; kx < KernelWidth; kx++)
                    {
                        var row = col.Slice(((c * KernelHeight + ky) * KernelWidth + kx) * P, P);
                        for (var oy = 0; oy < OutHeight; oy++)
                            CopyLine(padded.Slice((c * hp + oy + ky * Dilation) * wp + kx * Dilation, OutWidth), row.Slice(oy * OutWidth, OutWidth), OutWidth);
                    }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    // The adjoint of Im2ColUnitStride: every line of col adds onto a zero-padded image, whose inside then adds onto x.
    private void Col2ImAddUnitStride(ReadOnlySpan<float> col, Span<float> x)
    {
        var (hp, wp) = (OutHeight + (KernelHeight - 1) * Dilation, OutWidth + (KernelWidth - 1) * Dilation);
        var rented = System.Buffers.ArrayPool<float>.Shared.Rent(InChannels * hp * wp);
        try
        {
            var padded = rented.AsSpan(0, InChannels * hp * wp);
            padded.Clear();
            for (var c = 0; c < InChannels; c++)
                for (var ky = 0; ky < KernelHeight; ky++)
                    for (var kx = 0; kx < KernelWidth; kx++)
                    {
                        var row = col.Slice(((c * KernelHeight + ky) * KernelWidth + kx) * P, P);
                        for (var oy = 0; oy < OutHeight; oy++)
                            AddLine(row.Slice(oy * OutWidth, OutWidth), padded.Slice((c * hp + oy + ky * Dilation) * wp + kx * Dilation, OutWidth), OutWidth);
                    }
            for (var row = 0; row < InChannels * Height; row++)
            {
                var target = x.Slice(row * Width, Width);
                System.Numerics.Tensors.TensorPrimitives.Add(target, padded.Slice(PaddedRow(row, hp, wp), Width), target);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>x += col2im(col): the adjoint of <see cref="Im2Col"/>, summing every column entry back onto its pixel.</summary>
    public void Col2ImAdd(ReadOnlySpan<float> col, Span<float> x)
    {
        if (IsIdentity)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(x[..(K * P)], col[..(K * P)], x);
            return;
        }
        if (Stride == 1)
        {
            Col2ImAddUnitStride(col, x);
            return;
        }
        for (var c = 0; c < InChannels; c++)
            for (var ky = 0; ky < KernelHeight; ky++)
                for (var kx = 0; kx < KernelWidth; kx++)
                {
                    var row = col.Slice(((c * KernelHeight + ky) * KernelWidth + kx) * P, P);
                    var (first, last) = Valid(kx);
                    if (first >= last) continue;
                    for (var oy = 0; oy < OutHeight; oy++)
                    {
                        var iy = oy * Stride - PadTop + ky * Dilation;
                        if (iy < 0 || iy >= Height) continue;
                        var dst = x.Slice((c * Height + iy) * Width, Width);
                        var line = row.Slice(oy * OutWidth, OutWidth);
                        var start = first * Stride - PadLeft + kx * Dilation;
                        if (Stride == 1)
                        {
                            var d = dst.Slice(start, last - first);
                            System.Numerics.Tensors.TensorPrimitives.Add(d, line[first..last], d);
                        }
                        else
                        {
                            var done = Stride == 2 ? Lanes.AddEven(dst, start, line[first..last]) : 0;
                            for (var ox = first + done; ox < last; ox++) dst[start + (ox - first) * Stride] += line[ox];
                        }
                    }
                }
    }
}
