using System.Runtime.InteropServices;
using System.Collections.Immutable;
using Onnx;

namespace Relevance.Onnx;

/// <summary>Translates one ONNX node; one method per supported operator.</summary>
internal sealed class OpContext(OnnxImporter importer, NodeProto node, string where, Attributes attributes)
{
    private string Op => node.OpType;
    private string Output => node.Output[0];

    private UnsupportedModelException Unsupported(string message) => new(where, Op, message);

    private string In(int i) => i < node.Input.Count && node.Input[i].Length > 0 ? node.Input[i] : throw Unsupported($"input {i} is missing.");

    private bool HasInput(int i) => i < node.Input.Count && node.Input[i].Length > 0;

    private ConstantTensor Const(int i) => importer.Constant(In(i), where, Op);

    private (string Node, Shape Shape) Graph(int i) => importer.Graph(In(i), where, Op);

    private void Emit(Layer layer, params string[] inputs) => importer.Emit(Output, layer, where, Op, inputs);

    public void Unary(Layer layer)
    {
        if (Op is "Dropout" or "Identity") attributes.Only("ratio", "is_test", "seed", "training_mode");
        // PyTorch's exporter passes initializers shared by several layers through Identity: the output is the same constant.
        if (Op == "Identity" && importer.IsConstant(In(0)))
        {
            importer.SetConstant(Output, Const(0));
            return;
        }
        Emit(layer, Graph(0).Node);
    }

    public void Constant()
    {
        attributes.Only("value", "value_float", "value_floats", "value_int", "value_ints");
        ConstantTensor value =
            attributes.Has("value") ? ConstantTensor.From(attributes.Tensor("value"), where)
            : attributes.Has("value_float") ? new([], [attributes.Float("value_float", 0)])
            : attributes.Has("value_int") ? new([], [attributes.Int("value_int", 0)], Integer: true)
            : attributes.Has("value_ints") ? Vector(attributes.Ints("value_ints", []).Select(v => (double)v), integer: true)
            : throw Unsupported("supported Constant forms: value, value_float, value_int, value_ints.");
        importer.SetConstant(Output, value);
    }

    public void ShapeOf()
    {
        attributes.Only();
        var shape = importer.IsConstant(In(0)) ? importer.ConstantDims(In(0), where, Op).Select(d => (double)d) : importer.OnnxDims(In(0)).Select(d => (double)d);
        importer.SetConstant(Output, Vector(shape, integer: true));
    }

    public void Gather()
    {
        attributes.Only("axis");
        if (!importer.IsConstant(In(0)))
        {
            GatherOfComputed(attributes.Int("axis", 0));
            return;
        }
        if (importer.IsTokenIds(In(1)))
        {
            if (attributes.Int("axis", 0) != 0) throw Unsupported("the token ids index a table along an axis other than 0.");
            importer.EmbedTokens(Output, In(0), In(1), where, Op);
            return;
        }
        var (data, indices) = (Const(0), Const(1));
        var axis = attributes.Int("axis", 0) is var a && a < 0 ? a + data.Dims.Length : attributes.Int("axis", 0);
        if (axis < 0 || axis >= data.Dims.Length) throw Unsupported($"axis {attributes.Int("axis", 0)} of a constant of shape [{string.Join("×", data.Dims)}].");
        // Shape computations, and tables looked up at constant positions (a position embedding, token types).
        var (outer, n, inner) = Split(data.Dims, (int)axis);
        var picked = new double[checked(outer * indices.Values.Length * inner)];
        var at = 0;
        for (var o = 0L; o < outer; o++)
            foreach (var index in indices.Values)
            {
                var i = (long)index < 0 ? (long)index + n : (long)index;
                if (i < 0 || i >= n) throw Unsupported($"index {index} is outside axis {axis} of length {n}.");
                for (var k = 0L; k < inner; k++) picked[at++] = data.Values[(int)((o * n + i) * inner + k)];
            }
        importer.SetConstant(Output, new ConstantTensor([.. data.Dims.Take((int)axis), .. indices.Dims, .. data.Dims.Skip((int)axis + 1)], ParameterArray.Own(picked), data.Integer));
    }

    // A shape as the product of the axes before `axis`, that axis's length, and the product of the axes after it.
    private static (long Outer, long Length, long Inner) Split(ImmutableArray<long> dims, int axis) =>
        (dims.Take(axis).Aggregate(1L, (p, d) => p * d), dims[axis], dims.Skip(axis + 1).Aggregate(1L, (p, d) => p * d));

    // One position of a computed tensor along an axis (a class token's output, x[:, 0]): a slice, without the axis when the
    // index is a scalar.
    private void GatherOfComputed(long onnxAxis)
    {
        var (x, shape) = Graph(0);
        var axis = SampleAxis(onnxAxis, In(0));
        var indices = Const(1);
        if (indices.Values.Length != 1)
            throw Unsupported($"Gather of a computed tensor takes one index (a token); got {indices.Values.Length}.");
        var index = (long)indices.Values[0];
        if (index < -shape[axis] || index >= shape[axis]) throw Unsupported($"index {index} is outside axis {onnxAxis} of length {shape[axis]}.");
        var slice = new Slice(axis, (int)(index < 0 ? index + shape[axis] : index), 1);
        if (indices.Dims.Length > 0)
        {
            Emit(slice, x);
            return;
        }
        importer.Emit($"{Output}:slice", slice, where, Op, x);
        var dims = importer.OnnxDims(In(0)).ToList();
        dims.RemoveAt(axis + (importer.IsBatchless(In(0)) ? 0 : 1));
        Reshaped(importer.Graph($"{Output}:slice", where, Op).Node, [.. dims], Output);
    }

    public void Unsqueeze()
    {
        attributes.Only("axes");
        var axes = Axes() ?? throw Unsupported("no axes.");
        var dims = Dims(out var data);
        var rank = dims.Count + axes.Length;
        var at = axes.Select(a => a < 0 ? a + rank : a).Order().ToArray();
        if (at.Any(a => a < 0 || a >= rank) || at.Distinct().Count() != at.Length)
            throw Unsupported($"axes [{string.Join(",", axes)}] do not fit a result of rank {rank}.");
        if (data is null && at.Contains(0) && !importer.IsBatchless(In(0))) throw Unsupported($"axes [{string.Join(",", axes)}] put an axis before the batch axis.");
        foreach (var axis in at) dims.Insert((int)axis, 1);
        Reshaped(data, dims);
    }

    public void Squeeze()
    {
        attributes.Only("axes");
        var axes = Axes();
        var dims = Dims(out var data);
        // Without axes every axis of length 1 goes; a computed tensor keeps its batch axis, as a model exported for batches means.
        var at = axes is null
            ? Enumerable.Range(data is null ? 1 : 0, dims.Count - (data is null ? 1 : 0)).Where(a => dims[a] == 1).Select(a => (long)a).ToArray()
            : [.. axes.Select(a => a < 0 ? a + dims.Count : a)];
        if (at.Any(a => a < 0 || a >= dims.Count || dims[(int)a] != 1))
            throw Unsupported($"axes [{string.Join(",", axes ?? [])}] of [{string.Join("×", dims)}] are not all of length 1.");
        if (data is null && at.Contains(0) && !importer.IsBatchless(In(0))) throw Unsupported($"axes [{string.Join(",", axes ?? [])}] remove the batch axis.");
        foreach (var axis in at.Distinct().OrderDescending()) dims.RemoveAt((int)axis);
        Reshaped(data, dims);
    }

    // Unsqueeze's and Squeeze's axes: an attribute before opset 13, an optional input since.
    private long[]? Axes() =>
        attributes.Has("axes") ? attributes.Ints("axes", []) : HasInput(1) ? [.. Const(1).Values.Select(v => (long)v)] : null;

    // The dimensions of input 0, with the batch axis of a computed tensor; data is the constant, or null when computed.
    private List<long> Dims(out ConstantTensor? data)
    {
        data = importer.IsConstant(In(0)) ? Const(0) : null;
        return data is not null ? [.. data.Dims] : [.. importer.OnnxDims(In(0))];
    }

    // A constant gets the new dimensions; a computed tensor is reshaped, its batch axis kept first.
    private void Reshaped(ConstantTensor? data, List<long> dims)
    {
        if (data is not null)
        {
            importer.SetConstant(Output, data with { Dims = [.. dims] });
            return;
        }
        if (dims.Count < 2 && !importer.IsBatchless(In(0))) throw Unsupported($"the result [{string.Join("×", dims)}] leaves no feature axis.");
        Reshaped(Graph(0).Node, [.. dims], Output);
    }

    public void Cast()
    {
        attributes.Only("to", "saturate");
        // ONNX's integer types: INT8…INT64 and UINT8…UINT64 (2–7, 12, 13).
        if (importer.IsTokenIds(In(0))) importer.CastTokenIds(In(0), Output);
        else if (importer.IsConstant(In(0))) importer.SetConstant(Output, Const(0) with { Integer = attributes.Int("to", 1) is >= 2 and <= 7 or 12 or 13 });
        else importer.Alias(Output, In(0));
    }

    public void Conv()
    {
        attributes.Only("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        var (x, shape) = Graph(0);
        var w = Const(1);
        if (w.Dims.Length != 4) throw Unsupported($"only 2-D convolutions are supported; the weights have shape [{string.Join("×", w.Dims)}].");
        var group = attributes.Int("group", 1);
        if (group < 1 || group > int.MaxValue || shape.Rank != 3 || w.Dims[1] * group != shape[0])
            throw Unsupported($"group = {group} with weights [{string.Join("×", w.Dims)}] does not fit input {shape}: the weights' second axis × group must be the input's channels.");
        var dilations = attributes.Ints("dilations", [1, 1]);
        if (dilations.Length != 2 || dilations[0] != dilations[1] || dilations[0] < 1 || dilations[0] > 1 << 16)
            throw Unsupported($"dilations [{string.Join(",", dilations)}]: only equal positive dilations are supported.");
        var strides = attributes.Ints("strides", [1, 1]);
        if (strides.Length != 2 || strides[0] != strides[1]) throw Unsupported($"strides [{string.Join(",", strides)}]: only equal strides are supported.");
        var (kh, kw, d) = ((int)w.Dims[2], (int)w.Dims[3], (int)dilations[0]);
        // auto_pad sees the window's extent, (k − 1)·d + 1.
        var padding = Padding(shape, (kh - 1) * d + 1, (kw - 1) * d + 1, (int)strides[0], (int)strides[1]);
        var bias = HasInput(2) ? Const(2).Values : [.. new double[w.Dims[0]]];
        Emit(new Conv2d(shape[0], (int)w.Dims[0], kh, kw, w.Values, bias, (int)strides[0], padding, (int)group, d), x);
    }

    // Per-border padding from explicit pads [top, left, bottom, right] or auto_pad (SAME_UPPER puts the odd pixel at the end).
    private Padding2d Padding(Shape input, int kh, int kw, int sh, int sw)
    {
        var auto = attributes.String("auto_pad", "NOTSET");
        if (auto is "SAME_UPPER" or "SAME_LOWER")
        {
            static int Total(int size, int k, int s) => Math.Max(0, ((size + s - 1) / s - 1) * s + k - size);
            var (th, tw) = (Total(input[1], kh, sh), Total(input[2], kw, sw));
            var (top, left) = auto == "SAME_UPPER" ? (th / 2, tw / 2) : (th - th / 2, tw - tw / 2);
            return new Padding2d(top, left, th - top, tw - left);
        }
        if (auto is not ("NOTSET" or "VALID" or "")) throw Unsupported($"auto_pad {auto} is not supported.");
        var pads = auto == "VALID" ? [0, 0, 0, 0] : attributes.Ints("pads", [0, 0, 0, 0]);
        if (pads.Length != 4 || pads.Any(p => p < 0 || p > int.MaxValue))
            throw Unsupported($"pads [{string.Join(",", pads)}]: four non-negative values (2-D) are expected.");
        return new Padding2d((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3]);
    }

    public void Gemm()
    {
        attributes.Only("alpha", "beta", "transA", "transB");
        if (attributes.Int("transA", 0) != 0) throw Unsupported("transA = 1 would read the batch axis as the features' axis; supported: transA = 0 (A is [batch × features]).");
        var (x, shape) = Graph(0);
        var transposed = attributes.Int("transB", 0) != 0;
        var alpha = attributes.Float("alpha", 1);
        var beta = attributes.Float("beta", 1);
        if (importer.IsBatchless(In(0)) && shape.Rank == 2)
        {
            // Attention's output projection on [T, D] tokens after the batch axis was folded away.
            var b = Const(1);
            if (b.Dims.Length != 2) throw Unsupported("B must be a matrix.");
            var (d, e) = transposed ? ((int)b.Dims[1], (int)b.Dims[0]) : ((int)b.Dims[0], (int)b.Dims[1]);
            if (d != shape[1]) throw Unsupported($"B of shape [{string.Join("×", b.Dims)}] does not take the {shape[1]} features of {shape}.");
            var c = HasInput(2) ? Broadcast(Const(2), e) : null;
            TokenLinear(x, shape, d, e, Scaled(b.Values, e, d, !transposed, alpha), [.. Enumerable.Range(0, e).Select(o => c is null ? 0 : beta * c[o])], null);
            importer.Release(In(1));
            return;
        }
        if (shape.Rank != 1) throw Unsupported($"Gemm needs a flattened input, got per-sample shape {shape}.");
        // PyTorch's [out × in] weights are decoded from the file straight into the Dense layer's [in × out].
        var (dims, weights) = (transposed ? importer.TransposedInitializer(In(1), alpha) : null) ?? Weights(Const(1), transposed, alpha);
        var (k, m) = ((int)dims[0], (int)dims[1]);
        var bias = HasInput(2) ? Broadcast(Const(2), m).Select(v => beta * v).ToImmutableArray() : [.. new double[m]];
        Emit(new Dense(k, m, weights, bias), x);
    }

    // αB (or αBᵀ) as the inputs × outputs matrix of a Dense layer, with its dimensions.
    private (ImmutableArray<long> Dims, ParameterArray Values) Weights(ConstantTensor b, bool transposed, float alpha)
    {
        if (b.Dims.Length != 2) throw Unsupported("B must be a matrix.");
        var (k, m) = transposed ? ((int)b.Dims[1], (int)b.Dims[0]) : ((int)b.Dims[0], (int)b.Dims[1]);
        return ([k, m], Scaled(b.Values, k, m, transposed, alpha));
    }

    // αB as the inputs × outputs matrix of a Dense layer (B is [m×k] when transposed), in B's precision: a float32 model's
    // weights stay float32.
    private static ParameterArray Scaled(ParameterArray b, int k, int m, bool transposed, float alpha)
    {
        if (!transposed && alpha == 1) return b;
        if (b.IsSingle) return ParameterArray.Own(ConstantTensor.DenseWeights(b.AsSingleSpan(), k, m, transposed, alpha));
        return ParameterArray.Own(ConstantTensor.DenseWeights<double>(b.ToArray(), k, m, transposed, alpha));
    }

    public void MatMul(HashSet<string> graphOutputs)
    {
        attributes.Only();
        var (x, shape) = Graph(0);
        if (!importer.IsConstant(In(1)))
        {
            // Two computed tensors (attention's Q·Kᵀ and A·V): their product over the last two axes; a factor a Softmax made
            // is the attention weights, which CP-LRP holds constant.
            var y = Graph(1).Node;
            Emit(new Relevance.MatMul(FromSoftmax(x) ? 0 : FromSoftmax(y) ? 1 : -1), x, y);
            return;
        }
        var b = Const(1);
        if (shape.Rank >= 2 && b.Dims.Length == 2 && b.Dims[0] == shape[shape.Rank - 1])
        {
            var (d, e) = ((int)b.Dims[0], (int)b.Dims[1]);
            TokenLinear(x, shape, d, e, Scaled(b.Values, e, d, transposed: true, 1), new double[e], graphOutputs);
            importer.Release(In(1));
            return;
        }
        if (shape.Rank != 1 || b.Dims.Length != 2)
            throw Unsupported($"MatMul is supported as a flattened input times a constant matrix; got {shape} · [{string.Join("×", b.Dims)}].");
        Emit(new Dense((int)b.Dims[0], (int)b.Dims[1], b.Values, [.. new double[b.Dims[1]]]), x);
    }

    // A constant matrix applied to the last axis of a [.., T, D] tensor (a transformer's per-token linear layer): as a 1×1
    // convolution over the features, [D, T', 1] with T' the other axes' product, between transposes; an Add of a bias
    // over the last axis (or a scalar) that alone reads the product becomes the convolution's bias.
    // `weights` are [e × d], outputs by features, in the model's own precision; an Add after a MatMul (graphOutputs given)
    // adds to `bias`.
    private void TokenLinear(string x, Shape shape, int d, int e, ParameterArray weights, double[] bias, HashSet<string>? graphOutputs)
    {
        var tokens = shape.Size / d;
        var output = Output;
        if (graphOutputs is not null && SoleReader(Output, "Add", graphOutputs) is { } add && LastAxisConstant(add, Output, e) is { } b)
        {
            bias = [.. bias.Zip(b, (p, q) => p + q)];
            output = add.Output[0];
            importer.Fuse([add]);
        }
        string Step(string name, Layer layer, string input)
        {
            importer.Emit($"{output}/{name}", layer, where, Op, input);
            return importer.Graph($"{output}/{name}", where, Op).Node;
        }
        var features = Step("features", new Transpose([1, 0]), Step("tokens", new Relevance.Reshape(Shape.Of(tokens, d)), x));
        var linear = Step("linear", new Conv2d(d, e, 1, 1, weights, ParameterArray.Own(bias)), Step("image", new Relevance.Reshape(Shape.Of(d, tokens, 1)), features));
        var back = Step("transposed", new Transpose([1, 0]), Step("columns", new Relevance.Reshape(Shape.Of(e, tokens)), linear));
        importer.Emit(output, new Relevance.Reshape(new Shape([.. shape.Dims.SkipLast(1), e])), where, Op, back);
    }

    public void Add()
    {
        attributes.Only();
        var constants = node.Input.Where(importer.IsConstant).ToList();
        var computed = node.Input.Where(i => !importer.IsConstant(i)).ToList();
        if (computed.Count == 0)
        {
            FoldConstants((p, q) => p + q);
            return;
        }
        if (constants.Count == 0)
        {
            if (computed.Count == 1) importer.Alias(Output, computed[0]);
            else Emit(new Add(), [.. computed.Select(c => importer.Graph(c, where, Op).Node)]);
            return;
        }
        if (constants.Count != 1 || computed.Count != 1)
            throw Unsupported("Add of a tensor and several constants is not supported; supported: one computed tensor and one constant.");
        var (source, _) = importer.Graph(computed[0], where, Op);
        var producer = importer.ProducerNode(source);
        var bias = importer.Constant(constants[0], where, Op);
        switch (producer?.Layer)
        {
            case Dense d:
                importer.Replace(Output, source, new Dense(d.Inputs, d.Outputs, d.Weights, [.. d.Bias.Zip(Broadcast(bias, d.Outputs), (p, q) => p + q)]), where, Op);
                break;
            case Conv2d c:
                importer.Replace(Output, source, c.WithParameters(c.Weights, [.. c.Bias.Zip(Broadcast(bias, c.OutChannels), (p, q) => p + q)]), where, Op);
                break;
            default:
                Affine(c => (1, c));
                break;
        }
    }

    // A bias of shape [n], [1, n], [n, 1, 1] or [1, n, 1, 1] (or a scalar) as n values.
    private ParameterArray Broadcast(ConstantTensor bias, int n)
    {
        if (bias.Values.Length == n && bias.Dims.Count(d => d != 1) <= 1) return bias.Values;
        if (bias.Values.Length == 1) return ParameterArray.Own(Enumerable.Repeat(bias.Values[0], n).ToArray());
        throw Unsupported($"a bias of shape [{string.Join("×", bias.Dims)}] does not broadcast as one value per {n} outputs.");
    }

    public void Pool()
    {
        attributes.Only("auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "storage_order", "strides");
        var (x, shape) = Graph(0);
        var kernel = attributes.Ints("kernel_shape", []);
        if (kernel.Length != 2) throw Unsupported("only 2-D pooling with kernel_shape is supported.");
        var strides = attributes.Ints("strides", [1, 1]);
        if (shape.Rank != 3) throw Unsupported($"pooling needs a [C×H×W] input, got {shape}.");
        var pads = Padding(shape, (int)kernel[0], (int)kernel[1], (int)strides[0], (int)strides[1]);
        if (attributes.Ints("dilations", [1, 1]).Any(d => d != 1)) throw Unsupported("dilated pooling is not supported.");
        if (Op == "AveragePool" && !pads.IsZero && attributes.Int("count_include_pad", 0) != 0)
            throw Unsupported("count_include_pad = 1 with padding is not supported (padded positions are left out of the average).");
        if (attributes.Int("ceil_mode", 0) != 0)
            pads = pads with
            {
                Bottom = pads.Bottom + CeilExtra(shape[1], pads.Top, pads.Bottom, (int)kernel[0], (int)strides[0]),
                Right = pads.Right + CeilExtra(shape[2], pads.Left, pads.Right, (int)kernel[1], (int)strides[1]),
            };
        var kind = Op == "MaxPool" ? PoolKind.Max : PoolKind.Average;
        try
        {
            Emit(new Pool2d(kind, (int)kernel[0], (int)kernel[1], (int)strides[0], (int)strides[1], pads: pads), x);
        }
        catch (ArgumentException e)
        {
            throw Unsupported(e.Message);
        }
    }

    // ceil_mode adds a last window where the input does not tile: as padding at the end, left out of the window as all
    // padding is; a window may not start in that padding (ONNX Runtime's and PyTorch's rule).
    private static int CeilExtra(int size, int before, int after, int kernel, int stride)
    {
        var span = size + before + after - kernel;
        if (span < 0) return 0;
        var outputs = (span + stride - 1) / stride + 1;
        if ((outputs - 1) * stride >= size + before) outputs--;
        return Math.Max(0, (outputs - 1) * stride + kernel - (size + before + after));
    }

    public void Pad()
    {
        var (x, shape) = Graph(0);
        long[] pads;
        double value;
        string mode;
        if (importer.Opset < 11)
        {
            attributes.Only("mode", "pads", "value");
            (pads, value, mode) = (attributes.Ints("pads", []), attributes.Float("value", 0), attributes.String("mode", "constant"));
        }
        else
        {
            attributes.Only("mode");
            mode = attributes.String("mode", "constant");
            pads = [.. Const(1).Values.Select(v => (long)v)];
            value = HasInput(2) ? Bound(2, 0) : 0;
            if (HasInput(3)) throw Unsupported("Pad with an axes input is not supported.");
        }
        if (pads.All(p => p == 0))
        {
            // Padding of nothing (a window size that divides the feature map, in Swin): the tensor itself.
            importer.Alias(Output, In(0));
            return;
        }
        if (mode != "constant") throw Unsupported($"mode '{mode}' is not supported; supported: constant padding.");
        if (!double.IsFinite(value)) throw Unsupported($"the padding value {value} is not finite.");
        // The two spatial axes padded, behind the channels (ONNX axes 2, 3) or before them (1, 2; channels last).
        var channelsFirst = pads.Length == 8 && pads[1] == 0 && pads[5] == 0;
        if (importer.IsBatchless(In(0)) || shape.Rank != 3 || pads.Length != 8 || pads[0] != 0 || pads[4] != 0 || pads.Any(p => p < 0 || p > 1 << 20)
            || !channelsFirst && (pads[3] != 0 || pads[7] != 0))
            throw Unsupported($"pads [{string.Join(",", pads)}] on {shape}: supported: non-negative padding of the two spatial axes of [1×C×H×W] or [1×H×W×C].");
        if (channelsFirst)
        {
            Emit(new Pad2d(new Padding2d((int)pads[2], (int)pads[3], (int)pads[6], (int)pads[7]), value), x);
            return;
        }
        // Channels last (Swin pads its [H, W, C] feature map to whole windows): padded channels first, then moved back.
        importer.Emit($"{Output}:channels_first", new Transpose([2, 0, 1]), where, Op, x);
        importer.Emit($"{Output}:padded", new Pad2d(new Padding2d((int)pads[1], (int)pads[2], (int)pads[5], (int)pads[6]), value), where, Op,
            importer.Graph($"{Output}:channels_first", where, Op).Node);
        Emit(new Transpose([1, 2, 0]), importer.Graph($"{Output}:padded", where, Op).Node);
    }

    public void GlobalAveragePool()
    {
        attributes.Only();
        PoolGlobally();
    }

    private void PoolGlobally()
    {
        var (x, shape) = Graph(0);
        // ONNX keeps [C, 1, 1]; the reshape keeps later layers seeing the shape they were exported with.
        var pooled = Output + ":pooled";
        importer.Emit(pooled, new GlobalAvgPool(), where, Op, x);
        importer.Emit(Output, new Reshape(Shape.Of(shape[0], 1, 1)), where, Op, importer.Graph(pooled, where, Op).Node);
    }

    public void ReduceMean(HashSet<string> graphOutputs)
    {
        attributes.Only("axes", "keepdims", "noop_with_empty_axes");
        var (x, shape) = Graph(0);
        var axes = importer.Opset < 18 ? attributes.Ints("axes", []) : HasInput(1) ? [.. Const(1).Values.Select(v => (long)v)] : [];
        var normalised = axes.Select(a => a < 0 ? a + shape.Rank + 1 : a).Order().ToArray();
        var keep = attributes.Int("keepdims", 1) != 0;
        if (keep && normalised.SequenceEqual([(long)shape.Rank]) && DecomposedLayerNorm(x, shape, graphOutputs)) return;
        if (shape.Rank == 3 && normalised.SequenceEqual([2L, 3L]))
        {
            if (keep) PoolGlobally();
            else Emit(new GlobalAvgPool(), x);
            return;
        }
        if (shape.Rank == 3 && normalised.SequenceEqual([1L, 2L]))
        {
            // TensorFlow's global average pooling of a channels-last [1×H×W×C] tensor (tf2onnx's Mean): the channels
            // brought first, then pooled; keepdims gives back [1×1×1×C].
            var channelsFirst = Output + ":nchw";
            importer.Emit(channelsFirst, new Transpose([2, 0, 1]), where, Op, x);
            var source = importer.Graph(channelsFirst, where, Op).Node;
            if (!keep)
            {
                Emit(new GlobalAvgPool(), source);
                return;
            }
            var pooled = Output + ":pooled";
            importer.Emit(pooled, new GlobalAvgPool(), where, Op, source);
            Emit(new Reshape(Shape.Of(1, 1, shape[2])), importer.Graph(pooled, where, Op).Node);
            return;
        }
        throw Unsupported($"ReduceMean over axes [{string.Join(",", axes)}] of {shape}: supported: the two spatial axes of [1×C×H×W] or of a channels-last [1×H×W×C] (a global average pooling), and the last axis inside LayerNorm's decomposed form.");
    }

    public void Transpose()
    {
        attributes.Only("perm");
        var dims = Dims(out var data).ToArray();
        var perm = attributes.Ints("perm", [.. Enumerable.Range(0, dims.Length).Reverse().Select(a => (long)a)]);
        if (perm.Length != dims.Length || perm.Any(a => a < 0 || a >= dims.Length) || perm.Distinct().Count() != perm.Length)
            throw Unsupported($"perm [{string.Join(",", perm)}] is not a permutation of the axes of [{string.Join("×", dims)}].");
        if (data is not null)
        {
            importer.SetConstant(Output, Permuted(data, [.. perm.Select(a => (int)a)]));
            return;
        }
        var (x, _) = Graph(0);
        try
        {
            if (!importer.IsBatchless(In(0)) && perm[0] == 0)
            {
                Emit(new Transpose([.. perm.Skip(1).Select(a => (int)a - 1)]), x);
                return;
            }
            // The batch axis (of 1) moves: the transpose runs over the whole ONNX shape, and a result that starts with an
            // axis of 1 has it as its batch axis again.
            if (!importer.IsBatchless(In(0)))
            {
                importer.Emit($"{Output}:unbatched", new Reshape(new Shape([.. dims.Select(d => (int)d)])), where, Op, true, x);
                x = importer.Graph($"{Output}:unbatched", where, Op).Node;
            }
            var result = perm.Select(a => dims[a]).ToArray();
            if (result.Length < 2 || result[0] != 1)
            {
                importer.Emit(Output, new Transpose([.. perm.Select(a => (int)a)]), where, Op, true, x);
                return;
            }
            importer.Emit($"{Output}:transposed", new Transpose([.. perm.Select(a => (int)a)]), where, Op, true, x);
            Reshaped(importer.Graph($"{Output}:transposed", where, Op).Node, result, Output);
        }
        catch (ArgumentException e)
        {
            throw Unsupported(e.Message);
        }
    }

    public void Split()
    {
        attributes.Only("axis", "split", "num_outputs");
        var (x, shape) = Graph(0);
        var axis = SampleAxis(attributes.Int("axis", 0), In(0));
        var count = node.Output.Count;
        var sizes = importer.Opset < 13 ? attributes.Ints("split", []) : HasInput(1) ? [.. Const(1).Values.Select(v => (long)v)] : [];
        if (sizes.Length == 0)
        {
            // Equal parts, the last one smaller when they do not divide the axis (opset 18's num_outputs).
            var part = (shape[axis] + count - 1) / count;
            sizes = [.. Enumerable.Range(0, count).Select(k => (long)Math.Min(part, shape[axis] - k * part))];
        }
        if (sizes.Length != count || sizes.Any(v => v <= 0) || sizes.Sum() != shape[axis])
            throw Unsupported($"split sizes [{string.Join(",", sizes)}] into {count} outputs do not cover axis {axis + 1} of length {shape[axis]}.");
        var start = 0;
        for (var k = 0; k < count; k++)
        {
            importer.Emit(node.Output[k], new Slice(axis, start, (int)sizes[k]), where, Op, x);
            start += (int)sizes[k];
        }
    }

    public void SliceOp()
    {
        attributes.Only("starts", "ends", "axes");
        long[] Input(int i, string attribute, long[] fallback) =>
            importer.Opset < 10 ? attributes.Ints(attribute, fallback) : HasInput(i) ? [.. Const(i).Values.Select(v => (long)v)] : fallback;
        var starts = Input(1, "starts", []);
        var ends = Input(2, "ends", []);
        var axes = Input(3, "axes", [.. Enumerable.Range(0, starts.Length).Select(a => (long)a)]);
        var steps = importer.Opset < 10 ? [] : Input(4, "steps", []);
        if (starts.Length == 0 || ends.Length != starts.Length || axes.Length != starts.Length || steps.Length is not 0 && steps.Length != starts.Length)
            throw Unsupported("supported slices: starts, ends, axes and steps of one length.");
        if (importer.IsConstant(In(0)))
        {
            // Shape computations (PyTorch's dynamic reshapes), a position table cut to the sequence's length.
            importer.SetConstant(Output, SliceOf(Const(0), starts, ends, axes, steps.Length == 0 ? [.. starts.Select(_ => 1L)] : steps));
            return;
        }
        if (steps.Any(v => v < 1)) throw Unsupported("a computed tensor is sliced with positive steps only.");
        var (_, shape) = Graph(0);
        var current = In(0);
        for (var k = 0; k < axes.Length; k++)
        {
            var axis = SampleAxis(axes[k], current);
            var (from, to) = Range(starts[k], ends[k], shape[axis]);
            if (to <= from) throw Unsupported($"the slice {starts[k]}…{ends[k]} of axis {axes[k]} is empty.");
            var step = steps.Length == 0 ? 1 : (int)Math.Min(steps[k], int.MaxValue);
            if (from == 0 && to == shape[axis] && step == 1) continue;
            var tensor = $"{Output}:axis{axes[k]}";
            importer.Emit(tensor, new Slice(axis, from, (to - from + step - 1) / step, step), where, Op, importer.Graph(current, where, Op).Node);
            (current, shape) = (tensor, importer.Graph(tensor, where, Op).Shape);
        }
        importer.Alias(Output, current);
    }

    // A constant sliced as ONNX slices: per axis, from start towards end (exclusive) by step, either of which may count from
    // the end and is clamped to the axis.
    private ConstantTensor SliceOf(ConstantTensor data, long[] starts, long[] ends, long[] axes, long[] steps)
    {
        var picks = data.Dims.Select(d => Enumerable.Range(0, (int)d).ToArray()).ToArray();
        for (var k = 0; k < axes.Length; k++)
        {
            var axis = axes[k] < 0 ? axes[k] + data.Dims.Length : axes[k];
            if (axis < 0 || axis >= data.Dims.Length) throw Unsupported($"axis {axes[k]} of a constant of shape [{string.Join("×", data.Dims)}].");
            if (steps[k] == 0) throw Unsupported("a slice's step is 0.");
            var length = data.Dims[(int)axis];
            long Clamp(long v, long low, long high) => Math.Clamp(v < 0 ? v + length : v, low, high);
            var (from, to) = steps[k] > 0 ? (Clamp(starts[k], 0, length), Clamp(ends[k], 0, length)) : (Clamp(starts[k], 0, length - 1), Clamp(ends[k], -1, length - 1));
            var picked = new List<int>();
            for (var i = from; steps[k] > 0 ? i < to : i > to; i += steps[k]) picked.Add((int)i);
            picks[axis] = [.. picked];
        }
        var values = new List<double>();
        void Walk(int axis, long offset)
        {
            if (axis == picks.Length)
            {
                values.Add(data.Values[(int)offset]);
                return;
            }
            foreach (var i in picks[axis]) Walk(axis + 1, offset * data.Dims[axis] + i);
        }
        Walk(0, 0);
        return new ConstantTensor([.. picks.Select(p => (long)p.Length)], [.. values], data.Integer);
    }

    // ONNX's [start, end) clamped to [0, length], negative values counting from the end.
    private static (int From, int To) Range(long start, long end, int length)
    {
        static int Clamp(long v, int length) => (int)Math.Clamp(v < 0 ? v + length : v, 0, length);
        return (Clamp(start, length), Clamp(end, length));
    }

    // A node's axis from an ONNX axis of `tensor` that counts its batch axis, if it has one (and may count from the end).
    private int SampleAxis(long axis, string tensor)
    {
        var dims = importer.OnnxDims(tensor);
        var first = importer.IsBatchless(tensor) ? 0 : 1;
        var a = axis < 0 ? axis + dims.Length : axis;
        return a >= first && a < dims.Length ? (int)a - first : throw Unsupported($"axis {axis} of [{string.Join("×", dims)}]: only the sample's axes (not the batch axis) are supported.");
    }

    public void Flatten()
    {
        attributes.Only("axis");
        var (x, shape) = Graph(0);
        // With one input in the batch, axis 0 ([1, N]) and axis 1 ([1, N]) are the same; negative axes count from the end.
        var axis = attributes.Int("axis", 1);
        var rank = shape.Rank + 1;
        if (axis < 0) axis += rank;
        if (axis is not (0 or 1))
            throw Unsupported($"axis = {attributes.Int("axis", 1)} on [1×{string.Join("×", shape.Dims)}] would fold features into the batch axis; supported: axis 0 or 1 (or −{rank}, −{rank - 1}).");
        Emit(new Flatten(), x);
    }

    public void Reshape()
    {
        attributes.Only("allowzero");
        var target = attributes.Has("shape") ? [] : Const(1).Values.Select(v => (long)v).ToArray();
        if (importer.IsConstant(In(0)))
        {
            var data = Const(0);
            importer.SetConstant(Output, data with { Dims = [.. Resolve(target, [.. data.Dims], data.Values.Length)] });
            return;
        }
        var (x, shape) = Graph(0);
        Reshaped(x, Resolve(target, importer.OnnxDims(In(0)), shape.Size), Output);
    }

    // A computed tensor given the ONNX shape `dims`: a leading 1 is the batch axis, any other first axis makes the result
    // batchless (attention's [T, H, D/H] after the batch axis moved off the front).
    private void Reshaped(string x, long[] dims, string output)
    {
        if (dims.Length == 0) throw Unsupported("a reshape to a scalar leaves no feature axis.");
        var batched = dims.Length >= 2 && dims[0] == 1;
        var shape = new Shape([.. dims.Skip(batched ? 1 : 0).Select(d => (int)d)]);
        importer.Emit(output, shape.Rank == 1 ? new Flatten() : new Reshape(shape), where, Op, !batched, x);
    }

    // ONNX Reshape semantics: 0 copies the input's dimension, −1 is inferred.
    private long[] Resolve(long[] target, long[] input, long count)
    {
        var dims = target.Select((d, i) => d == 0 && i < input.Length ? input[i] : d).ToArray();
        var known = dims.Where(d => d != -1).Aggregate(1L, (a, d) => a * d);
        if (dims.Count(d => d == -1) > 1 || dims.Any(d => d < -1) || known == 0)
            throw Unsupported($"reshape target [{string.Join(",", target)}] is not valid.");
        dims = [.. dims.Select(d => d == -1 ? count / known : d)];
        if (dims.Aggregate(1L, (a, d) => a * d) != count)
            throw Unsupported($"cannot reshape {count} values to [{string.Join("×", dims)}].");
        return dims;
    }

    public void Concat()
    {
        attributes.Only("axis");
        var axis = attributes.Int("axis", 1);
        if (node.Input.All(importer.IsConstant))
        {
            importer.SetConstant(Output, Joined([.. node.Input.Select(i => importer.Constant(i, where, Op))], axis));
            return;
        }
        if (node.Input.Any(importer.IsConstant))
        {
            ConcatWithConstants(axis);
            return;
        }
        var inputs = node.Input.Select(i => importer.Graph(i, where, Op)).ToList();
        if (inputs.Count == 1)
        {
            // DenseNet's first dense layer concatenates its block's input alone: the tensor itself.
            importer.Alias(Output, In(0));
            return;
        }
        // The node's first axis: ONNX's 1 after a batch axis, its 0 in a batchless tensor.
        var along = SampleAxis(axis, In(0));
        if (along == 0)
        {
            Emit(new Concat(), [.. inputs.Select(i => i.Node)]);
            return;
        }
        if (node.Input.Any(i => importer.IsBatchless(i) != importer.IsBatchless(In(0))))
            throw Unsupported("Concat of tensors with and without a batch axis.");
        // Along another axis (torch.roll's two slices joined, in Swin's shifted windows): joined with that axis brought first.
        Swapped(new Concat(), 0, along, [.. inputs.Select(i => i.Node)]);
    }

    // A layer that works on one axis applied to another: before it the two sample axes are swapped in every input, after it
    // back; the transposes move values, so relevance follows them exactly.
    private void Swapped(Layer layer, int axis, int other, string[] inputs)
    {
        var rank = importer.Graph(In(0), where, Op).Shape.Rank;
        var swap = Enumerable.Range(0, rank).Select(a => a == axis ? other : a == other ? axis : a).ToImmutableArray();
        var moved = inputs.Select((input, k) =>
        {
            var tensor = $"{Output}:swapped{k}";
            importer.Emit(tensor, new Transpose(swap), where, Op, input);
            return importer.Graph(tensor, where, Op).Node;
        }).ToArray();
        importer.Emit($"{Output}:{layer.Kind}", layer, where, Op, moved);
        Emit(new Transpose(swap), importer.Graph($"{Output}:{layer.Kind}", where, Op).Node);
    }

    // A class token (or any constant) concatenated with computed tensors along the channel axis: each constant becomes a
    // layer of scale 0 and the constant as shift over a slice of the first computed tensor, so its share of the relevance is
    // reported as bias relevance, as a constant's must be.
    private void ConcatWithConstants(long axis)
    {
        var first = node.Input.First(i => !importer.IsConstant(i));
        var (source, shape) = importer.Graph(first, where, Op);
        if (SampleAxis(axis, first) != 0) throw Unsupported($"Concat along axis {axis}: only the channel axis (1) is supported.");
        var parts = new List<string>();
        foreach (var (input, k) in node.Input.Select((i, k) => (i, k)))
        {
            if (!importer.IsConstant(input))
            {
                parts.Add(importer.Graph(input, where, Op).Node);
                continue;
            }
            var c = importer.Constant(input, where, Op);
            var dims = c.Dims.SkipWhile((d, i) => d == 1 && c.Dims.Length - i > shape.Rank).ToArray();
            if (dims.Length != shape.Rank || !dims.Skip(1).SequenceEqual(shape.Dims.Skip(1).Select(d => (long)d)) || dims[0] > shape[0])
                throw Unsupported($"a constant of shape [{string.Join("×", c.Dims)}] is concatenated with a computed tensor of per-sample shape {shape}; supported is a constant of that shape apart from the channel axis, no longer than it.");
            var slice = $"{Output}:constant{k}:slice";
            importer.Emit(slice, new Slice(0, 0, (int)dims[0]), where, Op, source);
            var constant = $"{Output}:constant{k}";
            importer.Emit(constant, new ChannelAffine(ParameterArray.Own(new double[c.Values.Length]), c.Values), where, Op, importer.Graph(slice, where, Op).Node);
            parts.Add(importer.Graph(constant, where, Op).Node);
        }
        Emit(new Concat(), [.. parts]);
    }

    public void BatchNormalization()
    {
        attributes.Only("epsilon", "momentum", "spatial", "is_test", "training_mode");
        if (attributes.Int("training_mode", 0) != 0) throw Unsupported("training-mode batch normalisation is not supported.");
        var (x, _) = Graph(0);
        Emit(new BatchNorm([.. Const(1).Values], [.. Const(2).Values], [.. Const(3).Values], [.. Const(4).Values], attributes.Float("epsilon", 1e-5f)), x);
    }

    // LayerNormalization (opset 17) over the last axis, with constant scale and optional bias; its optional mean and inverse
    // standard deviation outputs must go unused.
    public void LayerNormalization()
    {
        attributes.Only("axis", "epsilon", "stash_type");
        var (x, shape) = Graph(0);
        var axis = attributes.Int("axis", -1);
        if (axis != -1 && axis != shape.Rank)
            throw Unsupported($"normalisation over axis {axis} of a tensor of per-sample shape {shape}: supported is the last axis alone (axis −1 or {shape.Rank}).");
        if (node.Output.Skip(1).Any(o => o.Length > 0))
            throw Unsupported("the mean and inverse standard deviation outputs are not supported; only the normalised tensor.");
        var scale = Const(1);
        var shift = HasInput(2) ? [.. Const(2).Values] : ImmutableArray.CreateRange(Enumerable.Repeat(0.0, scale.Values.Length));
        Emit(new LayerNorm([.. scale.Values], shift, attributes.Float("epsilon", 1e-5f)), x);
    }

    // Before opset 17 PyTorch exports LayerNorm over the last axis as mean = ReduceMean(x), d = x − mean,
    // s = Sqrt(ReduceMean(d²) + ε), d / s, then × γ and + β when it has them. Met at its first ReduceMean, the whole pattern
    // (each intermediate read only inside it) becomes one LayerNorm producing the last node's output.
    private bool DecomposedLayerNorm(string x, Shape shape, HashSet<string> graphOutputs)
    {
        var features = shape[shape.Rank - 1];
        NodeProto? Only(string tensor, string op) => SoleReader(tensor, op, graphOutputs);
        bool MeanOfLastAxis(NodeProto n)
        {
            var a = new Attributes(n, where);
            var axes = importer.Opset < 18 ? a.Ints("axes", []) : n.Input.Count > 1 && importer.IsConstant(n.Input[1]) ? [.. importer.Constant(n.Input[1], where, Op).Values.Select(v => (long)v)] : [];
            return a.Int("keepdims", 1) != 0 && axes is [var axis] && (axis == -1 || axis == shape.Rank);
        }
        ImmutableArray<double>? PerFeature(NodeProto n, string computed) => LastAxisConstant(n, computed, features);
        var sub = Only(Output, "Sub");
        if (sub is null || sub.Input.Count != 2 || sub.Input[0] != In(0) || sub.Input[1] != Output) return false;
        var centred = sub.Output[0];
        if (graphOutputs.Contains(centred)) return false;
        var readers = importer.ReadersOf(centred).Distinct().ToList();
        var square = readers.FirstOrDefault(r => r.OpType == "Pow" && r.Input[0] == centred && IsScalar(r.Input[1], 2)
            || r.OpType == "Mul" && r.Input.Count == 2 && r.Input.All(i => i == centred));
        var divide = readers.FirstOrDefault(r => r.OpType == "Div" && r.Input.Count == 2 && r.Input[0] == centred);
        if (readers.Count != 2 || square is null || divide is null) return false;
        var variance = Only(square.Output[0], "ReduceMean");
        if (variance is null || !MeanOfLastAxis(variance)) return false;
        var stabilised = Only(variance.Output[0], "Add");
        var epsilon = stabilised is null ? null : PerFeature(stabilised, variance.Output[0]);
        var root = stabilised is null ? null : Only(stabilised.Output[0], "Sqrt");
        if (epsilon is null || root is null || epsilon.Value.Distinct().Count() != 1 || divide.Input[1] != root.Output[0] || Only(root.Output[0], "Div") != divide)
            return false;
        var last = divide;
        var scale = ImmutableArray.CreateRange(Enumerable.Repeat(1.0, features));
        var shift = ImmutableArray.CreateRange(Enumerable.Repeat(0.0, features));
        var times = Only(last.Output[0], "Mul");
        if (times is not null && PerFeature(times, last.Output[0]) is { } gamma) (scale, last) = (gamma, times);
        else times = null;
        var plus = Only(last.Output[0], "Add");
        if (plus is not null && PerFeature(plus, last.Output[0]) is { } beta) (shift, last) = (beta, plus);
        else plus = null;
        importer.Emit(last.Output[0], new LayerNorm(scale, shift, epsilon.Value[0]), where, Op, x);
        importer.Fuse(new[] { sub, square, variance, stabilised, root, divide, times, plus }.OfType<NodeProto>());
        return true;
    }

    // A Softmax inside the graph (a final one is stripped, so its logits are explained), over the last axis: from opset 13 its
    // axis alone, before that the axes from `axis` on, which is the last axis alone only when `axis` is the last.
    public void Softmax()
    {
        attributes.Only("axis");
        var (x, shape) = Graph(0);
        var dims = importer.OnnxDims(In(0));
        var axis = attributes.Int("axis", importer.Opset >= 13 ? -1 : 1);
        var last = axis == -1 || axis == dims.Length - 1;
        // Before opset 13 a Softmax runs over every axis from `axis` on, flattened: the same as ours on the last axis alone.
        if (!last && importer.Opset < 13)
            throw Unsupported($"a Softmax over axes {axis}… of [{string.Join("×", dims)}] flattened (opset {importer.Opset}): supported is the last axis alone; a final Softmax on the graph's output is stripped whatever its axis.");
        if (last)
        {
            Emit(new Relevance.Softmax(), x);
            return;
        }
        // Over another axis: that axis is swapped with the last around the Softmax.
        Swapped(new Relevance.Softmax(), SampleAxis(axis, In(0)), shape.Rank - 1, [x]);
    }

    public void Clip()
    {
        // Before opset 11 the bounds are attributes; from 11 on they are optional constant inputs.
        if (importer.Opset < 11)
        {
            attributes.Only("min", "max");
            Emit(new Clip(attributes.Float("min", float.NegativeInfinity), attributes.Float("max", float.PositiveInfinity)), Graph(0).Node);
            return;
        }
        attributes.Only();
        Emit(new Clip(Bound(1, double.NegativeInfinity), Bound(2, double.PositiveInfinity)), Graph(0).Node);
    }

    private double Bound(int i, double none)
    {
        if (!HasInput(i)) return none;
        var c = Const(i);
        return c.Count == 1 ? c.Values[0] : throw Unsupported($"bound '{In(i)}' must be a scalar, got {c.Count} values.");
    }

    /// <summary>Sub, Mul or Div of constants (shape computations), folded; of computed tensors, refused with the reason.</summary>
    public void Arithmetic(HashSet<string> graphOutputs)
    {
        attributes.Only();
        if (node.Input.All(importer.IsConstant))
        {
            var integer = node.Input.All(i => importer.Constant(i, where, Op).Integer);
            FoldConstants(Op switch
            {
                "Sub" => (p, q) => p - q,
                "Mul" => (p, q) => p * q,
                _ when integer => (p, q) => q == 0 ? throw Unsupported("integer division by zero.") : Math.Truncate(p / q),
                _ => (p, q) => p / q,
            });
            return;
        }
        if (Op == "Mul" && !node.Input.Any(importer.IsConstant))
        {
            Mul(graphOutputs);
            return;
        }
        if (node.Input.Count != 2) throw Unsupported($"{Op} takes two operands, got {node.Input.Count}.");
        var constantFirst = importer.IsConstant(In(0));
        if (Op == "Div" && constantFirst)
            throw Unsupported("a constant divided by a computed tensor is not an affine map; supported: a computed tensor divided by a constant.");
        Affine(Op switch
        {
            "Mul" => c => (c, 0),
            "Sub" when constantFirst => c => (-1, c),
            "Sub" => c => (1, -c),
            _ => c => c == 0 ? throw Unsupported("division by a constant 0.") : (1 / c, 0),
        });
    }

    // A computed tensor and a constant that holds one value per channel (or one for all) in an element-wise Add, Sub, Mul
    // or Div: the per-channel affine map y = a x + b, as normalisation written into a graph ((x − mean) / std) exports it;
    // the canonizers fold it into a Conv or Dense before it (docs/rules.md §9).
    private void Affine(Func<double, (double Scale, double Shift)> map)
    {
        var k = importer.IsConstant(In(0)) ? 0 : 1;
        var (x, shape) = Graph(1 - k);
        var maps = (PerElement(Const(k), In(1 - k)) ?? PerChannel(Const(k), shape)).Select(map).ToArray();
        // Beside a text model's word embeddings, a constant added is another embedding (positions, token types), not a
        // normalisation of the input: it takes its share of the relevance.
        var embedding = importer.IsTextModel && (x == Network.InputName || importer.ProducerNode(x)?.Layer is ChannelAffine { AddsEmbedding: true });
        Emit(new ChannelAffine([.. maps.Select(m => m.Scale)], [.. maps.Select(m => m.Shift)]) { AddsEmbedding = embedding }, x);
    }

    // A constant of more than one value per channel that broadcasts to the computed tensor's shape as one value per element
    // (a position embedding), else null.
    private double[]? PerElement(ConstantTensor c, string tensor)
    {
        var dims = importer.OnnxDims(tensor);
        var channelAxis = importer.IsBatchless(tensor) ? 0 : 1;
        if (c.Values.Length == 1 || c.Dims.Length > dims.Length || !c.Dims.Reverse().Zip(dims.Reverse()).All(p => p.First == 1 || p.First == p.Second))
            return null;
        // A constant whose only axis of more than one value is the channel axis is a per-channel map.
        var offset = dims.Length - c.Dims.Length;
        if (c.Dims.Select((d, i) => (d, Axis: i + offset)).All(p => p.d == 1 || p.Axis == channelAxis)) return null;
        return Broadcast(c, [.. dims]);
    }

    // A constant's values per channel of a tensor of per-sample shape `shape` (axis 1 of the batched tensor): a scalar, or
    // one non-1 axis of the channels' length that broadcasting aligns with the channel axis.
    private double[] PerChannel(ConstantTensor c, Shape shape)
    {
        var channels = shape[0];
        if (c.Values.Length == 1) return [.. Enumerable.Repeat(c.Values[0], channels)];
        var axes = c.Dims.Select((d, i) => (d, i)).Where(p => p.d != 1).ToList();
        if (axes.Count == 1 && axes[0].d == channels && axes[0].i == c.Dims.Length - shape.Rank) return c.Values.ToArray();
        throw Unsupported($"{Op} of a tensor of per-sample shape {shape} and a constant of shape [{string.Join("×", c.Dims)}]: supported are a scalar constant, one value per channel (shape [{channels}, 1, 1] or [1, {channels}, 1, 1] on images) and a constant that broadcasts to the tensor's shape.");
    }

    // An element-wise operation on two constants, broadcast against each other as ONNX (NumPy) broadcasts.
    private void FoldConstants(Func<double, double, double> f, bool? integer = null)
    {
        if (node.Input.Count != 2) throw Unsupported("only two constant operands are folded.");
        var (a, b) = (Const(0), Const(1));
        var dims = BroadcastDims(a.Dims, b.Dims);
        var (x, y) = (Broadcast(a, dims), Broadcast(b, dims));
        importer.SetConstant(Output, new ConstantTensor(dims, [.. x.Zip(y, f)], integer ?? (a.Integer && b.Integer)));
    }

    // The shape two shapes broadcast to, aligned at their last axes.
    private ImmutableArray<long> BroadcastDims(ImmutableArray<long> a, ImmutableArray<long> b)
    {
        var rank = Math.Max(a.Length, b.Length);
        long At(ImmutableArray<long> d, int i) => i - (rank - d.Length) is var j and >= 0 ? d[j] : 1;
        return [.. Enumerable.Range(0, rank).Select(i => (At(a, i), At(b, i)) switch
        {
            var (p, q) when p == q || q == 1 => p,
            (1, var q) => q,
            var (p, q) => throw Unsupported($"shapes [{string.Join("×", a)}] and [{string.Join("×", b)}] do not broadcast (axis {i}: {p} and {q})."),
        })];
    }

    // A constant's values broadcast to `dims` (which BroadcastDims gave), row-major.
    private static double[] Broadcast(ConstantTensor c, ImmutableArray<long> dims)
    {
        var count = dims.Aggregate(1L, (p, d) => checked(p * d));
        if (count > Array.MaxLength) throw new OverflowException($"a constant of shape [{string.Join("×", dims)}] is too large.");
        var result = new double[count];
        var offset = dims.Length - c.Dims.Length;
        for (var i = 0L; i < count; i++)
        {
            var (rest, source, stride) = (i, 0L, 1L);
            for (var axis = dims.Length - 1; axis >= offset; axis--)
            {
                var (d, own) = (dims[axis], c.Dims[axis - offset]);
                if (own != 1) source += rest % d * stride;
                rest /= d;
                stride *= own;
            }
            result[i] = c.Values[(int)source];
        }
        return result;
    }

    // ConstantOfShape: a tensor of the given (constant) shape filled with one value (0.0 by default).
    public void ConstantOfShape()
    {
        attributes.Only("value");
        var value = attributes.Has("value") ? ConstantTensor.From(attributes.Tensor("value"), where) : new([], [0.0]);
        if (value.Values.Length != 1) throw Unsupported($"value must hold one element, got {value.Values.Length}.");
        ImmutableArray<long> dims = [.. Const(0).Values.Select(v => (long)v)];
        if (dims.Any(d => d < 0)) throw Unsupported($"shape [{string.Join(",", dims)}] has a negative dimension.");
        importer.SetConstant(Output, new ConstantTensor(dims, [.. Broadcast(new ConstantTensor([], value.Values), dims)], value.Integer));
    }

    // The operators only shape computations use are folded, and need constant inputs.
    private void RequireConstants()
    {
        if (!node.Input.All(importer.IsConstant)) throw Unsupported($"{Op} is folded only on constants (shape computations).");
    }

    // Mod of constants (shape computations): the sign of the divisor's, as Python's %, unless fmod = 1 (C's fmod).
    public void ModOp()
    {
        attributes.Only("fmod");
        RequireConstants();
        var fmod = attributes.Int("fmod", 0) != 0;
        FoldConstants((p, q) => q == 0 ? throw Unsupported("Mod by zero.") : fmod ? p % q : p - q * Math.Floor(p / q));
    }

    // Equal of constants (shape computations): 1 where equal, else 0.
    public void EqualOp()
    {
        attributes.Only();
        RequireConstants();
        FoldConstants((p, q) => p == q ? 1 : 0, integer: true);
    }

    // Where of constants (shape computations): x where the condition is non-zero, else y, all three broadcast.
    public void WhereOp()
    {
        attributes.Only();
        RequireConstants();
        var (c, x, y) = (Const(0), Const(1), Const(2));
        var dims = BroadcastDims(BroadcastDims(c.Dims, x.Dims), y.Dims);
        var (cv, xv, yv) = (Broadcast(c, dims), Broadcast(x, dims), Broadcast(y, dims));
        importer.SetConstant(Output, new ConstantTensor(dims, [.. cv.Select((v, i) => v != 0 ? xv[i] : yv[i])], x.Integer && y.Integer));
    }

    // Expand: a constant broadcast to a shape (a class token made one per input); a computed tensor only when the shape
    // leaves it as it is.
    public void Expand()
    {
        attributes.Only();
        ImmutableArray<long> target = [.. Const(1).Values.Select(v => (long)v)];
        if (importer.IsConstant(In(0)))
        {
            var data = Const(0);
            var dims = BroadcastDims(data.Dims, target);
            importer.SetConstant(Output, data with { Dims = dims, Values = [.. Broadcast(data, dims)] });
            return;
        }
        var own = importer.OnnxDims(In(0));
        if (!BroadcastDims([.. own], target).SequenceEqual(own))
            throw Unsupported($"expanding a computed tensor of shape [{string.Join("×", own)}] to [{string.Join("×", target)}] copies its values; supported is an Expand that leaves it as it is.");
        importer.Alias(Output, In(0));
    }

    private void Mul(HashSet<string> graphOutputs)
    {
        var (a, b) = (Graph(0), Graph(1));
        if (In(0) == In(1) && TanhGelu(In(0), graphOutputs)) return;
        // PyTorch exports SiLU (Swish) as x · Sigmoid(x) and, before opset 14, HardSwish as x · HardSigmoid(x) with α = 1/6,
        // β = 1/2: one activation each, whose relevance passes through.
        foreach (var (x, g) in new[] { (a, b), (b, a) })
            if (importer.ProducerNode(g.Node) is { } gate && gate.Inputs[0] == x.Node && x.Shape.Equals(g.Shape))
                switch (gate.Layer)
                {
                    case Sigmoid: Emit(new SiLU(), x.Node); return;
                    case HardSigmoid { Alpha: 1f / 6, Beta: 0.5 }: Emit(new HardSwish(), x.Node); return;
                }
        // Anything else is a value times a gate: squeeze-and-excitation's x · σ(…), the gate held constant.
        var (value, gated) = IsGate(b.Node) ? (a, b) : IsGate(a.Node) ? (b, a) : default;
        if (value.Node is null)
            throw Unsupported("an element-wise product of two computed tensors has no relevance rule unless one factor is a gate (the output of a Sigmoid or HardSigmoid), which is held constant.");
        Emit(new Gating(), value.Node, gated.Node);
    }

    // PyTorch (opsets 13–18) exports GELU as x · ½ · (1 + erf(x / √2)): Div(x, √2) (or Mul by 1/√2) → Erf → Add 1 → Mul by x
    // and by ½, in either order. Met at its Erf, the whole pattern becomes one Gelu layer producing the last Mul's output;
    // the Div before it is left unread (and pruned), the nodes after it are not translated.
    public void Erf(HashSet<string> graphOutputs)
    {
        attributes.Only();
        const string pattern = "x · ½ · (1 + erf(x / √2)), GELU as PyTorch exports it";
        var scale = importer.ProducerOf(In(0));
        var x = scale?.Input.FirstOrDefault(i => !importer.IsConstant(i));
        if (scale is null || x is null || scale.Input.Count != 2
            || !(scale.OpType == "Div" && IsScalar(scale.Input[1], Math.Sqrt(2)) || scale.OpType == "Mul" && scale.Input.Any(i => IsScalar(i, 1 / Math.Sqrt(2)))))
            throw Unsupported($"Erf is supported inside {pattern}; this one's input is not x / √2.");
        var add = SoleReader(Output, "Add", graphOutputs);
        if (add is null || OtherOperand(add, Output) is not { } one || !IsScalar(one, 1))
            throw Unsupported($"Erf is supported inside {pattern}; its output does not go on to 1 + erf alone.");
        if (!GeluTail(add, x, tanh: false, [], graphOutputs))
            throw Unsupported($"Erf is supported inside {pattern}; 1 + erf is not multiplied by x and ½.");
    }

    // PyTorch exports GELU's tanh form as x · ½ · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), the cube as x · x · x (or
    // Pow(x, 3)): met at its first node, the whole pattern becomes one Gelu layer; false when this is not the pattern.
    private bool TanhGelu(string x, HashSet<string> graphOutputs)
    {
        NodeProto? Next(string tensor, string op) => SoleReader(tensor, op, graphOutputs);
        NodeProto? WithScalar(NodeProto? n, string tensor, double value) => n is not null && OtherOperand(n, tensor) is { } c && IsScalar(c, value) ? n : null;
        var cube = Op == "Pow" ? node : Next(Output, "Mul") is { } m && OtherOperand(m, Output) == x ? m : null;
        if (cube is null) return false;
        var weighted = WithScalar(Next(cube.Output[0], "Mul"), cube.Output[0], 0.044715);
        var inner = weighted is null ? null : Next(weighted.Output[0], "Add") is { } a && OtherOperand(a, weighted.Output[0]) == x ? a : null;
        var scaled = inner is null ? null : WithScalar(Next(inner.Output[0], "Mul"), inner.Output[0], Math.Sqrt(2 / Math.PI));
        var tanh = scaled is null ? null : Next(scaled.Output[0], "Tanh");
        var add = tanh is null ? null : WithScalar(Next(tanh.Output[0], "Add"), tanh.Output[0], 1);
        return add is not null && GeluTail(add, x, tanh: true, [cube, weighted!, inner!, scaled!, tanh!], graphOutputs);
    }

    // The end GELU's two forms share: 1 + f multiplied by x and ½ in any order; emits the Gelu layer and takes in the
    // pattern's nodes when they are there.
    private bool GeluTail(NodeProto add, string x, bool tanh, IEnumerable<NodeProto> before, HashSet<string> graphOutputs)
    {
        // One reader each, none a graph output: nothing else sees the pattern's intermediate values.
        NodeProto? Next(string tensor, string op) => SoleReader(tensor, op, graphOutputs);
        bool Other(NodeProto n, string tensor, Func<string, bool> test) => OtherOperand(n, tensor) is { } other && test(other);
        var first = Next(add.Output[0], "Mul");
        bool IsHalfOfX(string i) => importer.ProducerOf(i) is { OpType: "Mul" } h && h.Input.Contains(x) && h.Input.Any(j => IsScalar(j, 0.5));
        var second = first is null ? null
            : Other(first, add.Output[0], i => i == x)                                               // (x · (1 + erf)) · ½
                ? Next(first.Output[0], "Mul") is { } m && Other(m, first.Output[0], i => IsScalar(i, 0.5)) ? m : null
            : Other(first, add.Output[0], i => IsScalar(i, 0.5))                                     // x · ((1 + erf) · ½)
                ? Next(first.Output[0], "Mul") is { } n && Other(n, first.Output[0], i => i == x) ? n : null
            : Other(first, add.Output[0], IsHalfOfX) ? first : null;                                 // (x · ½) · (1 + erf)
        if (second is null) return false;
        importer.Emit(second.Output[0], new Gelu(tanh), where, Op, importer.Graph(x, where, Op).Node);
        importer.Fuse(before.Concat([add, first!, second]).Distinct());
        return true;
    }

    // Pow of a computed tensor: only as the cube in GELU's tanh form (a square inside LayerNorm's decomposed form is taken
    // in by that pattern).
    public void Pow(HashSet<string> graphOutputs)
    {
        attributes.Only();
        if (node.Input.All(importer.IsConstant))
        {
            // A constant power (Swin's head scale, head_dim^−0.5).
            FoldConstants(Math.Pow);
            return;
        }
        Graph(0);
        if (!IsScalar(In(1), 3) || !TanhGelu(In(0), graphOutputs))
            throw Unsupported("Pow is supported as the cube in GELU's tanh form, x · ½ · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), and inside LayerNorm's decomposed form.");
    }

    // The node that alone reads `tensor`, reading it once, when it is an `op` and the tensor is no graph output: a value that
    // only a recognised pattern sees.
    private NodeProto? SoleReader(string tensor, string op, HashSet<string> graphOutputs) =>
        !graphOutputs.Contains(tensor) && importer.ReadersOf(tensor) is [var r] && r.OpType == op ? r : null;

    // The other operand of a two-input node that reads `tensor` once, else null.
    private static string? OtherOperand(NodeProto n, string tensor) =>
        n.Input.Count == 2 && n.Input.Count(i => i == tensor) == 1 ? n.Input.Single(i => i != tensor) : null;

    // The constant operand of `n` beside `computed` as `features` values along a last axis: one per feature ([D], [1, …, D])
    // or one for all; else null.
    private ImmutableArray<double>? LastAxisConstant(NodeProto n, string computed, int features)
    {
        if (OtherOperand(n, computed) is not { } other || !importer.IsConstant(other)) return null;
        var c = importer.Constant(other, where, Op);
        if (c.Values.Length == 1) return [.. Enumerable.Repeat(c.Values[0], features)];
        return c.Values.Length == features && c.Dims[^1] == features && c.Dims.SkipLast(1).All(d => d == 1) ? [.. c.Values.ToArray()] : null;
    }

    // Whether a tensor is a constant holding one value within 1e-6 (relative) of `value`.
    private bool IsScalar(string tensor, double value) =>
        importer.IsConstant(tensor) && importer.Constant(tensor, where, Op).Values is [var v] && Math.Abs(v - value) <= 1e-6 * Math.Abs(value);

    // Whether a node is a Softmax's output, through reshapes and transposes.
    private bool FromSoftmax(string node) => importer.ProducerNode(node) switch
    {
        { Layer: Relevance.Softmax } => true,
        { Layer: View or Relevance.Transpose } p => FromSoftmax(p.Inputs[0]),
        _ => false,
    };

    private bool IsGate(string node) => importer.ProducerNode(node)?.Layer is Sigmoid or HardSigmoid
        || (importer.ProducerNode(node) is { Layer: Relevance.Reshape or Relevance.Flatten } r && IsGate(r.Inputs[0]));

    public void Lrn()
    {
        attributes.Only("alpha", "beta", "bias", "size");
        if (!attributes.Has("size")) throw Unsupported("the required 'size' attribute is missing.");
        var (x, shape) = Graph(0);
        if (shape.Rank != 3) throw Unsupported($"LRN needs a [C×H×W] input, got {shape}.");
        Emit(new LocalResponseNorm((int)attributes.Int("size", 1), attributes.Float("alpha", 1e-4f), attributes.Float("beta", 0.75f), attributes.Float("bias", 1f)), x);
    }

    // Einsum of two operands that is a product (attention's "bhid,bhjd->bhij", a linear layer's "bld,dk->blk"): each operand
    // is transposed to [shared…, own…, summed] or [shared…, summed, own], its summed (and where needed its own) axes merged by a
    // reshape, multiplied by MatMul, and the result reshaped and transposed to the equation's output; each step is imported as
    // the ONNX operator it is, so a constant operand becomes a linear layer and a Softmax's output the attention weights.
    public void Einsum(HashSet<string> graphOutputs)
    {
        attributes.Only("equation");
        var equation = attributes.String("equation", "").Replace(" ", "", StringComparison.Ordinal);
        if (node.Input.Count != 2 || equation.Split("->")[0].Split(',').Length != 2)
            throw Unsupported($"Einsum '{equation}': products of two operands are supported.");
        var dims = Enumerable.Range(0, 2).Select(k => importer.IsConstant(In(k)) ? [.. Const(k).Dims] : importer.OnnxDims(In(k))).ToArray();
        var (a, b, output) = EinsumTerms(equation, dims[0].Length, dims[1].Length);
        if (a.Distinct().Count() != a.Length || b.Distinct().Count() != b.Length || output.Distinct().Count() != output.Length)
            throw Unsupported($"Einsum '{equation}': a letter repeated in one term (a diagonal) is not supported.");
        var size = new Dictionary<char, long>();
        foreach (var (term, d) in new[] { (a, dims[0]), (b, dims[1]) })
            for (var k = 0; k < term.Length; k++)
                if (size.TryGetValue(term[k], out var known) && known != d[k] && known != 1 && d[k] != 1)
                    throw Unsupported($"Einsum '{equation}': '{term[k]}' is {known} in one operand and {d[k]} in the other.");
                else size[term[k]] = Math.Max(d[k], size.GetValueOrDefault(term[k], 1));
        if (output.Any(c => !size.ContainsKey(c))) throw Unsupported($"Einsum '{equation}': the output names a letter no operand has.");
        var shared = output.Where(c => a.Contains(c) && b.Contains(c)).ToArray();
        var summed = a.Where(c => b.Contains(c) && !output.Contains(c)).ToArray();
        var ownA = output.Where(c => a.Contains(c) && !b.Contains(c)).ToArray();
        var ownB = output.Where(c => b.Contains(c) && !a.Contains(c)).ToArray();
        if (summed.Length == 0 || a.Concat(b).Any(c => !output.Contains(c) && !summed.Contains(c)))
            throw Unsupported($"Einsum '{equation}': supported are products that sum over letters both operands have (no outer products, no sums over one operand's letters).");
        if (importer.IsConstant(In(0)) || importer.IsConstant(In(1)) && shared.Length > 0)
            throw Unsupported($"Einsum '{equation}': a constant operand is supported second, without letters shared with the output (a linear layer).");

        // A constant second operand is a matrix [summed, own] applied to the first's last axis: the first keeps its own axes
        // as leading (broadcast) axes. Otherwise both become [shared…, own, summed] and [shared…, summed, own].
        var linear = importer.IsConstant(In(1));
        long Product(IEnumerable<char> letters) => letters.Aggregate(1L, (p, c) => p * size[c]);
        string Step(string op, string[] inputs, string name, params AttributeProto[] attributes)
        {
            var step = new NodeProto { OpType = op, Name = $"{where}:{name}" };
            step.Input.AddRange(inputs);
            step.Output.Add(name == "result" ? Output : $"{Output}:{name}");
            step.Attribute.AddRange(attributes);
            importer.TranslateSynthetic(step);
            return step.Output[0];
        }
        string Arranged(string tensor, string term, char[] order, long[] shape, string name)
        {
            var permutation = order.Select(c => (long)term.IndexOf(c)).ToArray();
            if (!permutation.SequenceEqual(Enumerable.Range(0, term.Length).Select(k => (long)k)))
                tensor = Step("Transpose", [tensor], $"{name}_transposed", new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { permutation } });
            if (shape.SequenceEqual(order.Select(c => size[c]))) return tensor;
            importer.SetConstant($"{Output}:{name}_shape", Vector(shape.Select(d => (double)d), integer: true));
            return Step("Reshape", [tensor, $"{Output}:{name}_shape"], $"{name}_reshaped");
        }
        var left = Arranged(In(0), a, [.. shared, .. ownA, .. summed],
            linear ? [.. shared.Concat(ownA).Select(c => size[c]), Product(summed)] : [.. shared.Select(c => size[c]), Product(ownA), Product(summed)], "left");
        var right = Arranged(In(1), b, [.. shared, .. summed, .. ownB], [.. shared.Select(c => size[c]), Product(summed), Product(ownB)], "right");
        char[] product = [.. shared, .. ownA, .. ownB];
        var same = product.SequenceEqual(output);
        var result = Step("MatMul", [left, right], same && (linear || ownA.Length == 1) && ownB.Length == 1 ? "result" : "product");
        if (result == Output) return;
        importer.SetConstant($"{Output}:unmerged_shape", Vector(product.Select(c => (double)size[c]), integer: true));
        var unmerged = Step("Reshape", [result, $"{Output}:unmerged_shape"], same ? "result" : "unmerged");
        if (same) return;
        Step("Transpose", [unmerged], "result", new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { output.Select(c => (long)Array.IndexOf(product, c)) } });
    }

    // An Einsum equation's two input terms and output term, "..." spelled out as letters of its own (aligned from the right,
    // as broadcasting aligns them) and an implicit output made explicit (the letters seen once, in alphabetical order).
    private (string A, string B, char[] Output) EinsumTerms(string equation, int rankA, int rankB)
    {
        var parts = equation.Split("->");
        var inputs = parts[0].Split(',');
        var free = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".Where(c => !equation.Contains(c)).ToArray();
        int Ellipsis(string term, int rank) => term.Contains("...", StringComparison.Ordinal) ? rank - (term.Length - 3) : 0;
        var longest = Math.Max(Ellipsis(inputs[0], rankA), Ellipsis(inputs[1], rankB));
        string Spelled(string term, int count) => term.Replace("...", new string(free[(longest - count)..longest]), StringComparison.Ordinal);
        var (a, b) = (Spelled(inputs[0], Ellipsis(inputs[0], rankA)), Spelled(inputs[1], Ellipsis(inputs[1], rankB)));
        if (a.Length != rankA || b.Length != rankB || !a.Concat(b).All(char.IsLetter))
            throw Unsupported($"Einsum '{equation}' does not fit operands of ranks {rankA} and {rankB}.");
        var output = parts.Length > 1
            ? parts[1].Replace("...", new string(free[..longest]), StringComparison.Ordinal)
            : new string(free[..longest]) + new string([.. a.Concat(b).Where(c => !free.Contains(c)).GroupBy(c => c).Where(g => g.Count() == 1).Select(g => g.Key).Order()]);
        return (a, b, [.. output]);
    }

    // A constant with its axes permuted: output axis a is input axis order[a].
    private static ConstantTensor Permuted(ConstantTensor c, int[] order)
    {
        var dims = order.Select(a => c.Dims[a]).ToArray();
        var strides = new long[c.Dims.Length];
        for (long a = c.Dims.Length - 1, step = 1; a >= 0; step *= c.Dims[(int)a], a--) strides[a] = step;
        var values = new double[c.Values.Length];
        var index = new long[dims.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var source = 0L;
            for (var a = 0; a < dims.Length; a++) source += index[a] * strides[order[a]];
            values[i] = c.Values[(int)source];
            for (var a = dims.Length - 1; a >= 0 && ++index[a] == dims[a]; a--) index[a] = 0;
        }
        return new ConstantTensor([.. dims], ParameterArray.Own(values), c.Integer);
    }

    // Constants joined along an axis (all of one rank, equal elsewhere).
    private ConstantTensor Joined(List<ConstantTensor> parts, long axis)
    {
        var rank = parts[0].Dims.Length;
        var a = (int)(axis < 0 ? axis + rank : axis);
        if (a < 0 || a >= rank || parts.Any(p => p.Dims.Length != rank || p.Dims.Where((d, i) => i != a && d != parts[0].Dims[i]).Any()))
            throw Unsupported($"constants of shapes {string.Join(", ", parts.Select(p => $"[{string.Join("×", p.Dims)}]"))} do not join along axis {axis}.");
        var outer = parts[0].Dims.Take(a).Aggregate(1L, (x, d) => x * d);
        var values = new List<double>();
        for (var o = 0L; o < outer; o++)
            foreach (var p in parts)
            {
                var block = p.Dims.Skip(a).Aggregate(1L, (x, d) => x * d);
                for (var k = 0L; k < block; k++) values.Add(p.Values[(int)(o * block + k)]);
            }
        return new ConstantTensor([.. parts[0].Dims.Select((d, i) => i == a ? parts.Sum(p => p.Dims[a]) : d)], [.. values], parts.All(p => p.Integer));
    }

    // Range of constants: start, start + delta, … before limit.
    public void RangeOp()
    {
        attributes.Only();
        RequireConstants();
        var (start, limit, delta) = (Const(0).Values[0], Const(1).Values[0], Const(2).Values[0]);
        if (delta == 0) throw Unsupported("Range with a delta of 0.");
        var count = Math.Max(0, (long)Math.Ceiling((limit - start) / delta));
        if (count > 1 << 24) throw Unsupported($"Range of {count} values is too long to fold.");
        importer.SetConstant(Output, Vector(Enumerable.Range(0, (int)count).Select(i => start + i * delta), Const(0).Integer));
    }

    // Not of a constant condition.
    public void NotOp()
    {
        attributes.Only();
        RequireConstants();
        var c = Const(0);
        importer.SetConstant(Output, c with { Values = [.. c.Values.Select(v => v == 0 ? 1.0 : 0.0)], Integer = true });
    }

    // ScatterND of constants: data with the slices the indices name replaced by the updates (a mask built by assignment).
    public void ScatterNdOp()
    {
        attributes.Only("reduction");
        if (attributes.String("reduction", "none") != "none") throw Unsupported("ScatterND with a reduction is not supported.");
        RequireConstants();
        var (data, indices, updates) = (Const(0), Const(1), Const(2));
        var depth = (int)indices.Dims[^1];
        if (depth < 1 || depth > data.Dims.Length) throw Unsupported($"indices of depth {depth} into a tensor of rank {data.Dims.Length}.");
        var slice = data.Dims.Skip(depth).Aggregate(1L, (x, d) => x * d);
        var values = data.Values.ToArray();
        var count = indices.Values.Length / depth;
        if (updates.Values.Length != count * slice) throw Unsupported($"{updates.Values.Length} updates for {count} slices of {slice} values.");
        for (var n = 0; n < count; n++)
        {
            var offset = 0L;
            for (var k = 0; k < depth; k++)
            {
                var i = (long)indices.Values[n * depth + k];
                if (i < 0) i += data.Dims[k];
                if (i < 0 || i >= data.Dims[k]) throw Unsupported($"index {indices.Values[n * depth + k]} is outside axis {k} of length {data.Dims[k]}.");
                offset = offset * data.Dims[k] + i;
            }
            for (var j = 0L; j < slice; j++) values[offset * slice + j] = updates.Values[(int)(n * slice + j)];
        }
        importer.SetConstant(Output, data with { Values = ParameterArray.Own(values) });
    }

    private static ConstantTensor Vector(IEnumerable<double> values, bool integer = false)
    {
        var v = values.ToImmutableArray();
        return new ConstantTensor([v.Length], v, integer);
    }
}
