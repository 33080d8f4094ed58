namespace Relevance.Engine;

// Im2col and col2im restricted to a panel of consecutive output positions, for products that never build the whole
// col(x) matrix: on a large image it is hundreds of megabytes, written once and read back from memory.
public sealed partial record Geometry
{
    /// <summary>panel[t, q − j] = col(x)[t, q] for the output positions j ≤ q &lt; j + cols: a [K×width] panel, zero-padded.</summary>
    internal void PackColumns(ReadOnlySpan<float> x, int j, int cols, Span<float> panel, int width)
    {
        panel[..(K * width)].Clear();
        ForSegments(j, cols, width, 0, InChannels, new Pack(x, panel, Stride));
    }

    /// <summary>x += col2im of a panel [rows×width] holding the col rows of channels [channelFrom, channelTo) for positions j ≤ q &lt; j + cols.</summary>
    internal void ScatterColumns(ReadOnlySpan<float> panel, int j, int cols, int width, Span<float> x, int channelFrom, int channelTo) =>
        ForSegments(j, cols, width, channelFrom, channelTo, new Scatter(panel, x, Stride));

    /// <summary>Moves one run of a tap between the image (from pixel <c>start</c>, every stride) and the panel (from entry <c>at</c>).</summary>
    private interface IRun
    {
        void Move(int start, int at, int count);
    }

    private readonly ref struct Pack(ReadOnlySpan<float> image, Span<float> panel, int stride) : IRun
    {
        private readonly ReadOnlySpan<float> _image = image;
        private readonly Span<float> _panel = panel;

        public void Move(int start, int at, int count)
        {
            if (stride == 1) _image.Slice(start, count).CopyTo(_panel.Slice(at, count));
            else
                for (var i = 0; i < count; i++) _panel[at + i] = _image[start + i * stride];
        }
    }

    private readonly ref struct Scatter(ReadOnlySpan<float> panel, Span<float> image, int stride) : IRun
    {
        private readonly ReadOnlySpan<float> _panel = panel;
        private readonly Span<float> _image = image;

        public void Move(int start, int at, int count)
        {
            if (stride == 1)
            {
                var target = _image.Slice(start, count);
                System.Numerics.Tensors.TensorPrimitives.Add(target, _panel.Slice(at, count), target);
            }
            else
            {
                var i = stride == 2 ? Lanes.AddEven(_image, start, _panel.Slice(at, count)) : 0;
                for (; i < count; i++) _image[start + i * stride] += _panel[at + i];
            }
        }
    }

    // Walks the panel's positions one output row at a time; within a row, every tap (c, ky, kx) is a run of pixels of one
    // input row, contiguous when the stride is 1.
    private void ForSegments<TRun>(int j, int cols, int width, int channelFrom, int channelTo, TRun run) where TRun : IRun, allows ref struct
    {
        var taps = KernelHeight * KernelWidth;
        for (int q = j, offset = 0; q < j + cols;)
        {
            var (oy, ox0) = Math.DivRem(q, OutWidth);
            var length = Math.Min(OutWidth - ox0, j + cols - q);
            for (var c = channelFrom; c < channelTo; c++)
                for (var ky = 0; ky < KernelHeight; ky++)
                {
                    var iy = oy * Stride - PadTop + ky * Dilation;
                    if ((uint)iy >= (uint)Height) continue;
                    var rowStart = (c * Height + iy) * Width;
                    for (var kx = 0; kx < KernelWidth; kx++)
                    {
                        var (first, last) = Valid(kx);
                        var (a, b) = (Math.Max(ox0, first), Math.Min(ox0 + length, last));
                        if (a < b) run.Move(rowStart + a * Stride - PadLeft + kx * Dilation, ((c - channelFrom) * taps + ky * KernelWidth + kx) * width + offset + a - ox0, b - a);
                    }
                }
            q += length;
            offset += length;
        }
    }
}
