using System.Collections.Immutable;
using System.Numerics.Tensors;

namespace Relevance.Engine;

/// <summary>The values a node reads in a workspace: the network's input, or earlier nodes' values.</summary>
internal readonly ref struct NodeInputs
{
    private readonly ReadOnlySpan<float> _input;
    private readonly Workspace _ws;
    private readonly int[] _indices;

    public NodeInputs(ReadOnlySpan<float> input, Workspace ws, int[] indices)
    {
        _input = input;
        _ws = ws;
        _indices = indices;
    }

    public int Count => _indices.Length;

    /// <summary>The value of input m.</summary>
    public ReadOnlySpan<float> this[int m] => _indices[m] < 0 ? _input : _ws.Values[_indices[m]].Span;
}

/// <summary>One node's float32 computation in the engine: its forward pass, gradient and relevance pass, chosen once when
/// the network is compiled (<see cref="EngineNetwork"/> maps each layer kind to its kernel in one place).</summary>
internal abstract class NodeKernel
{
    /// <summary>How the relevance pass treats the node, for the consistency report.</summary>
    public abstract string Describe { get; }

    /// <summary>Whether it adds its relevance into a buffer others write in the same pass (see <see cref="LinearKernel.AddsInPlace"/>).</summary>
    public virtual bool AddsInPlace => false;

    /// <summary>im2col and output scratch, for linear layers.</summary>
    public virtual (int Col, int Z)? Scratch => null;

    /// <summary>Floats of back-projection scratch it needs.</summary>
    public virtual int BackScratch => 0;

    /// <summary>Floats the forward pass of an explanation leaves for the relevance pass (denominators, window sums).</summary>
    public virtual int DenominatorScratch => 0;

    /// <summary>Whether its relevance or gradient pass reads its own value y (if not, a ReLU that alone reads y may overwrite it).</summary>
    public virtual bool ReadsOwnValue => true;

    /// <summary>y from the inputs; <paramref name="denominators"/> is empty unless an explanation's forward pass.</summary>
    public abstract void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators);

    /// <summary>The gradient at input m from the gradient at the output.</summary>
    public abstract void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws);

    /// <summary>The relevance of input m, x its value and y the node's, written into <paramref name="lower"/> (added with
    /// <paramref name="addTo"/>); returns its measure when taken on the way, the bias share added to <paramref name="bias"/>.</summary>
    public abstract (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo);

    /// <summary>As <see cref="Redistribute(int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Workspace, Span{float}, ref double, bool)"/>,
    /// for a node whose rule reads its other inputs too (a product of two computed tensors).</summary>
    public virtual (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, NodeInputs inputs, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo) =>
        Redistribute(m, inputs[m], y, upper, lower, ws, denominators, ref bias, addTo);
}

/// <summary>Dense and Conv2d: the rule's <see cref="LinearKernel"/>.</summary>
internal sealed class LinearNode(LinearKernel kernel) : NodeKernel
{
    public override string Describe => kernel.Rule.Name;
    public override bool AddsInPlace => kernel.AddsInPlace;
    public override (int Col, int Z)? Scratch => kernel.Scratch;
    public override int BackScratch => kernel.BackScratch;
    public override int DenominatorScratch => kernel.DenominatorScratch;
    public override bool ReadsOwnValue => kernel.ReadsOwnValue;

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators) => kernel.Forward(inputs[0], y, ws, denominators);

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) => kernel.Backward(upper, lower, ws);

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        bias += kernel.Relevance(x, y, upper, lower, ws, out var measure, denominators, addTo);
        return measure;
    }
}

/// <summary>A grouped convolution: one <see cref="LinearKernel"/> per group, each reading its group's channels of x (a
/// contiguous range in [C, H, W]) and writing its outputs' channels, so the rule applies per group as the reference's
/// connections do.</summary>
internal sealed class GroupedLinearNode : NodeKernel
{
    private readonly ImmutableArray<LinearKernel> _groups;
    private readonly (int In, int Out) _per;
    private readonly int[] _denominators;
    private readonly string _rule;
    // Whether every group can run on one core (LinearKernel.RunsOnOneCore), and the scratch a group takes there.
    private readonly bool _groupsRunAlone;
    private readonly (int Col, int Z) _groupScratch;

    private GroupedLinearNode(ImmutableArray<LinearKernel> groups, int inputPerGroup, int outputPerGroup, string rule)
    {
        (_groups, _per, _rule) = (groups, (inputPerGroup, outputPerGroup), rule);
        _denominators = new int[groups.Length + 1];
        for (var g = 0; g < groups.Length; g++) _denominators[g + 1] = _denominators[g] + groups[g].DenominatorScratch;
        _groupsRunAlone = groups.All(k => k.RunsOnOneCore);
        _groupScratch = (groups.Max(k => k.Scratch.Col), groups.Max(k => k.Scratch.Z));
    }

    // The number of parts to split the groups into, each on a core of its own; below 2, group by group.
    private int Parts => _groupsRunAlone ? Math.Min(Kernels.Parallelism.Cores, _groups.Length) : 1;

    private Workspace[] PartScratch(Workspace ws, int parts) =>
        [.. Enumerable.Range(0, parts).Select(w => ws.ScratchFor(w, _groupScratch.Col, _groupScratch.Z, _per.In))];

    /// <summary>Compiles each group of <paramref name="conv"/> on its share of <paramref name="input"/>, with z^B's bounds cut to the group's channels.</summary>
    public static GroupedLinearNode Compile(string node, Conv2d conv, Shape input, Rule rule, BiasTreatment bias, bool inputNonNegative, bool outputsRectified)
    {
        var shape = Shape.Of(conv.GroupInChannels, input[1], input[2]);
        if (rule is ZBoxRule box)
        {
            box.Low.RequireShape(node, input);
            box.High.RequireShape(node, input);
        }
        Rule ForGroup(int g) => rule is ZBoxRule b ? new ZBoxRule(Cut(b.Low, g * shape.Size, shape), Cut(b.High, g * shape.Size, shape)) : rule;
        var groups = Enumerable.Range(0, conv.Groups)
            .Select(g => LinearKernel.Compile(node, conv.Group(g), shape, ForGroup(g), bias, inputNonNegative, outputsRectified)).ToImmutableArray();
        var outputs = conv.OutChannels / conv.Groups * groups[0].Geometry.P;
        return new GroupedLinearNode(groups, shape.Size, outputs, rule.Name);
    }

    private static Bounds Cut(Bounds b, int offset, Shape shape) =>
        b is ElementBounds e ? Bounds.PerElement(Tensor.Own(shape, e.Tensor.Data.AsSpan(offset, shape.Size).ToArray())) : b;

    public override string Describe => _rule;
    public override bool AddsInPlace => _groups.All(k => k.AddsInPlace);
    public override (int Col, int Z)? Scratch => (_groups.Max(k => k.Scratch.Col), _groups.Max(k => k.Scratch.Z));
    public override int BackScratch => _groups.Max(k => k.BackScratch);
    public override int DenominatorScratch => _denominators[^1];

    private Span<float> Denominators(Span<float> all, int g) => all.IsEmpty ? default : all[_denominators[g].._denominators[g + 1]];

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        var x = inputs[0];
        var parts = Parts;
        if (parts < 2)
        {
            for (var g = 0; g < _groups.Length; g++)
                _groups[g].Forward(x.Slice(g * _per.In, _per.In), y.Slice(g * _per.Out, _per.Out), ws, Denominators(denominators, g));
            return;
        }
        // Many small groups (ResNeXt's 32 of 4–32 channels): each core takes whole groups, their products on one core,
        // rather than every group's product split between cores.
        ForGroupsInParallel(parts, x, y, PartScratch(ws, parts), denominators);
    }

    // Whole groups per core, each part with its own scratch (Workspace.ScratchFor), the parts' bias shares and measures
    // combined in part order, so the result does not depend on which core finished first.
    private unsafe (double Sum, double NegativeMass, double Minimum) RedistributeInParallel(int parts, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        var results = new (double Bias, double Sum, double NegativeMass, double Minimum)[parts];
        var scratch = PartScratch(ws, parts);
        fixed (float* px = x, py = y, pu = upper, pl = lower, pd = denominators)
        {
            var (ix, iy, iu, il, id) = ((nint)px, (nint)py, (nint)pu, (nint)pl, (nint)pd);
            var (nx, ny, nu, nl, nd) = (x.Length, y.Length, upper.Length, lower.Length, denominators.Length);
            Workers.For(parts, w =>
            {
                var xs = new ReadOnlySpan<float>((float*)ix, nx);
                var ys = new ReadOnlySpan<float>((float*)iy, ny);
                var us = new ReadOnlySpan<float>((float*)iu, nu);
                var ls = new Span<float>((float*)il, nl);
                var ds = new Span<float>((float*)id, nd);
                var r = (Bias: 0.0, Sum: 0.0, NegativeMass: 0.0, Minimum: double.PositiveInfinity);
                for (var g = _groups.Length * w / parts; g < _groups.Length * (w + 1) / parts; g++)
                {
                    r.Bias += _groups[g].Relevance(xs.Slice(g * _per.In, _per.In), ys.Slice(g * _per.Out, _per.Out), us.Slice(g * _per.Out, _per.Out),
                        ls.Slice(g * _per.In, _per.In), scratch[w], out var measure, Denominators(ds, g), addTo, parallel: false);
                    r = (r.Bias, r.Sum + measure.Sum, r.NegativeMass + measure.NegativeMass, Math.Min(r.Minimum, measure.Minimum));
                }
                results[w] = r;
            });
        }
        var total = (Sum: 0.0, NegativeMass: 0.0, Minimum: double.PositiveInfinity);
        foreach (var r in results)
        {
            bias += r.Bias;
            total = (total.Sum + r.Sum, total.NegativeMass + r.NegativeMass, Math.Min(total.Minimum, r.Minimum));
        }
        return total;
    }

    private unsafe void ForGroupsInParallel(int parts, ReadOnlySpan<float> x, Span<float> y, Workspace[] scratch, Span<float> denominators)
    {
        fixed (float* px = x, py = y, pd = denominators)
        {
            var (ix, iy, id) = ((nint)px, (nint)py, (nint)pd);
            var (nx, ny, nd) = (x.Length, y.Length, denominators.Length);
            Workers.For(parts, w =>
            {
                var xs = new ReadOnlySpan<float>((float*)ix, nx);
                var ys = new Span<float>((float*)iy, ny);
                var ds = new Span<float>((float*)id, nd);
                for (var g = _groups.Length * w / parts; g < _groups.Length * (w + 1) / parts; g++)
                    _groups[g].Forward(xs.Slice(g * _per.In, _per.In), ys.Slice(g * _per.Out, _per.Out), scratch[w].Col(_groupScratch.Col), Denominators(ds, g), parallel: false);
            });
        }
    }

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws)
    {
        for (var g = 0; g < _groups.Length; g++) _groups[g].Backward(upper.Slice(g * _per.Out, _per.Out), lower.Slice(g * _per.In, _per.In), ws);
    }

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        var parts = Parts;
        if (parts >= 2) return RedistributeInParallel(parts, x, y, upper, lower, ws, denominators, ref bias, addTo);
        var (sum, negative, minimum) = (0.0, 0.0, double.PositiveInfinity);
        for (var g = 0; g < _groups.Length; g++)
        {
            bias += _groups[g].Relevance(x.Slice(g * _per.In, _per.In), y.Slice(g * _per.Out, _per.Out), upper.Slice(g * _per.Out, _per.Out),
                lower.Slice(g * _per.In, _per.In), ws, out var measure, Denominators(denominators, g), addTo);
            (sum, negative, minimum) = (sum + measure.Sum, negative + measure.NegativeMass, Math.Min(minimum, measure.Minimum));
        }
        return (sum, negative, minimum);
    }
}

/// <summary>A layer whose relevance passes down unchanged to its one input (an activation, a view, LRN in the relevance pass).</summary>
internal abstract class PassThroughNode : NodeKernel
{
    public override string Describe => "pass-through";

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        if (addTo) TensorPrimitives.Add(lower, upper, lower);
        else upper.CopyTo(lower);
        return null;
    }
}

/// <summary>An element-wise activation: its own span forms (<see cref="Activation"/>).</summary>
internal sealed class ActivationNode(Activation activation) : PassThroughNode
{
    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators) => activation.Apply(inputs[0], y);

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) =>
        activation.Backpropagate(inputs[0], upper, lower);
}

/// <summary>Flatten, Reshape, Identity: the values as they are.</summary>
internal sealed class ViewNode : PassThroughNode
{
    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators) => inputs[0].CopyTo(y);

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) => upper.CopyTo(lower);
}

/// <summary>Local response normalisation: computed forward and backward, bypassed by relevance (docs/rules.md §5).</summary>
internal sealed class NormalisationNode(LocalResponseNorm layer, Shape input) : PassThroughNode
{
    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators) => Normalisation.Forward(layer, input, inputs[0], y);

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) =>
        Normalisation.Backward(layer, input, inputs[0], upper, lower);
}

/// <summary>2-D pooling (<see cref="Pooling"/>); a max-pooling on the stride-2 route keeps its window sums for the relevance pass.</summary>
internal sealed class PoolNode(Pool2d layer, Shape input, Shape output, PoolingRedistribution mode) : NodeKernel
{
    private readonly bool _pairs = Pooling.PairsSums(layer, mode);

    public override string Describe => layer.Pool == PoolKind.Max && mode == PoolingRedistribution.WinnerTakeAll ? "winner-take-all" : "proportional";
    public override int DenominatorScratch => _pairs ? output.Size : 0;

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators) =>
        Pooling.Forward(layer, input, inputs[0], y, _pairs ? denominators : default);

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) =>
        Pooling.Backward(layer, input, inputs[0], upper, lower);

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        Pooling.Relevance(layer, input, x, upper, lower, mode, _pairs ? denominators : default);
        return null;
    }
}

/// <summary>Global average pooling: [C, H, W] → [C], relevance in proportion within each channel.</summary>
internal sealed class GlobalAvgPoolNode(Shape input) : NodeKernel
{
    private readonly int _plane = input[1] * input[2];

    public override string Describe => "proportional";

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        var x = inputs[0];
        for (var c = 0; c < y.Length; c++) y[c] = TensorPrimitives.Sum(x.Slice(c * _plane, _plane)) / _plane;
    }

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws)
    {
        for (var c = 0; c < upper.Length; c++) lower.Slice(c * _plane, _plane).Fill(upper[c] / _plane);
    }

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        // A class map's relevance sits in one channel: the others get none, without summing their planes.
        for (var c = 0; c < upper.Length; c++)
            if (upper[c] == 0) lower.Slice(c * _plane, _plane).Clear();
            else Pooling.Proportional(x.Slice(c * _plane, _plane), upper[c], lower.Slice(c * _plane, _plane));
        return null;
    }
}

/// <summary>The sum of all inputs: relevance in proportion to each.</summary>
internal sealed class SumNode : NodeKernel
{
    public override string Describe => "proportional";

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators) => y[0] = (float)Relevances.Sum(inputs[0]);

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) => lower.Fill(upper[0]);

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        Pooling.Proportional(x, upper[0], lower);
        return null;
    }
}

/// <summary>An element-wise sum of branches: each gets relevance in proportion to its contribution (<see cref="SumShares"/>).</summary>
internal sealed class AddNode : NodeKernel
{
    public override string Describe => "proportional";

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        inputs[0].CopyTo(y);
        for (var m = 1; m < inputs.Count; m++) TensorPrimitives.Add(y, inputs[m], y);
    }

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) => upper.CopyTo(lower);

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        return SumShares.Write(x, upper, y, lower);
    }
}

/// <summary>Concatenation along channels: each input's part of the value and of the relevance, copied unless it lives in
/// place in the Concat's buffer (<see cref="BufferPlan"/>).</summary>
internal sealed class ConcatNode(int[] offsets, bool[] valueInPlace, bool[] relevanceInPlace) : NodeKernel
{
    public override string Describe => "slice";

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        for (var m = 0; m < inputs.Count; m++)
            if (!valueInPlace[m]) inputs[m].CopyTo(y[offsets[m]..]);
    }

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) =>
        upper.Slice(offsets[m], lower.Length).CopyTo(lower);

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        if (!relevanceInPlace[m]) upper.Slice(offsets[m], lower.Length).CopyTo(lower);
        return null;
    }
}

/// <summary>Zero padding: rows copied into place, relevance and gradient cropped back.</summary>
internal sealed class PadNode(Pad2d layer, Shape input) : NodeKernel
{
    public override string Describe => "crop";

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        var x = inputs[0];
        var w = input[2];
        y.Fill((float)layer.Value);
        for (var c = 0; c < input[0]; c++)
            for (var r = 0; r < input[1]; r++)
                x.Slice((c * input[1] + r) * w, w).CopyTo(y[layer.RowStart(input, c, r)..]);
    }

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) => Crop(upper, lower);

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        Crop(upper, lower);
        // The padded positions' relevance, reported as the reference does: all of it minus what was kept, in double.
        bias += Relevances.Sum(upper) - Relevances.Sum(lower);
        return null;
    }

    private void Crop(ReadOnlySpan<float> upper, Span<float> lower)
    {
        var w = input[2];
        for (var c = 0; c < input[0]; c++)
            for (var r = 0; r < input[1]; r++)
                upper.Slice(layer.RowStart(input, c, r), w).CopyTo(lower.Slice((c * input[1] + r) * w, w));
    }
}

/// <summary>Transposes, slices, splits: each output is one input value, y_i = x_{sources[i]}; relevance and gradient go back to the same places.</summary>
internal sealed class RearrangementNode(int[] sources) : NodeKernel
{
    public override string Describe => "moved";

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        var x = inputs[0];
        for (var i = 0; i < y.Length; i++) y[i] = x[sources[i]];
    }

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws) => Scatter(upper, lower);

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        Scatter(upper, lower);
        return null;
    }

    private void Scatter(ReadOnlySpan<float> upper, Span<float> lower)
    {
        if (sources.Length < lower.Length) lower.Clear();
        for (var i = 0; i < upper.Length; i++) lower[sources[i]] = upper[i];
    }
}

/// <summary>A value times a gate (<see cref="Gating"/>): all relevance to the value, or half to each.</summary>
internal sealed class GatingNode(int plane, GateRedistribution mode) : NodeKernel
{
    public override string Describe => mode == GateRedistribution.ToValue ? "gate held constant" : "half to the value, half to the gate";

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        var x = inputs[0];
        var g = inputs[1];
        if (plane == 1) TensorPrimitives.Multiply(x, g, y);
        else for (var c = 0; c < g.Length; c++) TensorPrimitives.Multiply(x.Slice(c * plane, plane), g[c], y.Slice(c * plane, plane));
    }

    // Input 0 (the value): ∂y/∂x = g; input 1 (the gate): Σ over its plane of upper · x.
    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws)
    {
        var value = inputs[0];
        var gate = inputs[1];
        if (m == 0)
        {
            if (plane == 1) TensorPrimitives.Multiply(upper, gate, lower);
            else for (var c = 0; c < gate.Length; c++) TensorPrimitives.Multiply(upper.Slice(c * plane, plane), gate[c], lower.Slice(c * plane, plane));
        }
        else for (var c = 0; c < lower.Length; c++) lower[c] = TensorPrimitives.Dot(upper.Slice(c * plane, plane), value.Slice(c * plane, plane));
    }

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double bias, bool addTo)
    {
        if (mode == GateRedistribution.ToValue && m == 0) upper.CopyTo(lower);
        else if (mode == GateRedistribution.ToValue) lower.Clear();
        else if (m == 0) TensorPrimitives.Multiply(upper, 0.5f, lower);
        else for (var c = 0; c < lower.Length; c++) lower[c] = 0.5f * TensorPrimitives.Sum(upper.Slice(c * plane, plane));
        return null;
    }
}

/// <summary>y = a_c x + b_c per channel (<see cref="ChannelAffine"/>): relevance by the z-rule of a one-input neuron.</summary>
internal sealed class ChannelAffineNode(float[] scale, float[] shift, int plane, BiasTreatment bias, bool inputSide) : NodeKernel
{
    public override string Describe => inputSide ? ChannelAffine.InputNormalisation : "z (one input)";

    public override void Forward(NodeInputs inputs, Span<float> y, Workspace ws, Span<float> denominators)
    {
        var x = inputs[0];
        for (var c = 0; c < scale.Length; c++)
        {
            var yc = y.Slice(c * plane, plane);
            TensorPrimitives.Multiply(x.Slice(c * plane, plane), scale[c], yc);
            TensorPrimitives.Add(yc, shift[c], yc);
        }
    }

    public override void Backward(int m, NodeInputs inputs, ReadOnlySpan<float> upper, Span<float> lower, Workspace ws)
    {
        for (var c = 0; c < scale.Length; c++) TensorPrimitives.Multiply(upper.Slice(c * plane, plane), scale[c], lower.Slice(c * plane, plane));
    }

    public override (double Sum, double NegativeMass, double Minimum)? Redistribute(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> upper, Span<float> lower, Workspace ws, Span<float> denominators, ref double biasRelevance, bool addTo)
    {
        if (inputSide)
        {
            upper.CopyTo(lower);
            return null;
        }
        var neuron = bias != BiasTreatment.Ignore;
        for (var c = 0; c < scale.Length; c++)
        {
            var share = 0.0;
            for (var i = c * plane; i < (c + 1) * plane; i++)
            {
                var ax = scale[c] * x[i];
                var d = neuron ? y[i] : ax;
                var ratio = d == 0 ? 0 : upper[i] / d;
                lower[i] = ax * ratio;
                share += ratio;
            }
            if (neuron) biasRelevance += shift[c] * share;
        }
        return null;
    }
}
