using System.Collections.Immutable;
using System.Diagnostics;
using System.Numerics.Tensors;
using Relevance.Reference;

namespace Relevance.Engine;

/// <summary>A network compiled for fast float32 explanation: canonized, its rules resolved, every weight-only matrix precomputed.</summary>
/// <remarks>Computes what <see cref="Propagation"/> computes (the reference), in single precision, with im2col + a blocked SIMD
/// GEMM for the linear layers and reusable <see cref="Workspace"/> buffers. Immutable and thread-safe; each thread uses its own workspace.</remarks>
public sealed class EngineNetwork
{
    private readonly ImmutableArray<NodeKernel> _kernels;
    private readonly int[][] _inputs;
    private readonly ImmutableArray<Shape> _inputShapes;

    private EngineNetwork(Network network, ExplainOptions options, ImmutableDictionary<string, Rule> rules, ImmutableArray<bool> nonNegative, int parallelism)
    {
        Parallelism = parallelism;
        Network = network;
        Options = options;
        _inputs = [.. network.Nodes.Select(n => n.Inputs.Select(i => i == Network.InputName ? -1 : network.IndexOf(i)).ToArray())];
        _inputShapes = [.. network.Nodes.Select(n => network.ShapeOf(n.Inputs[0]))];
        OutputIndex = network.IndexOf(network.Output);
        _consumers = new int[network.Nodes.Length + 1];
        foreach (var i in _inputs.SelectMany(i => i)) _consumers[i + 1]++;
        _sinks = new int[network.Nodes.Length + 1];
        _sinks[0] = -1;
        // Nodes come in topological order, so an input's sink is known before its reader's.
        for (var n = 0; n < network.Nodes.Length; n++)
            _sinks[n + 1] = network.Nodes[n].Layer.PassesRelevanceThrough && Direct(_inputs[n][0])
                && (Direct(n) || n != OutputIndex && _consumers[n + 1] > 1 && _sinks[_inputs[n][0] + 1] >= 0) ? _sinks[_inputs[n][0] + 1] : n;
        _plan = BufferPlan.Of(network, _inputs, Direct, Sink, OutputIndex);
        var inputSide = network.InputSide();
        _kernels = [.. network.Nodes.Select((node, n) => KernelOf(n, rules, nonNegative[n], inputSide.Contains(node.Name)))];
        // A ReLU that alone reads a value its producer's relevance pass does not read rectifies it in place: one buffer for both.
        var values = _plan.Values.ToArray();
        for (var n = 0; n < values.Length; n++)
            if (network.Nodes[n].Layer is ReLU && _inputs[n][0] is var v and >= 0 && Direct(v) && !_kernels[v].ReadsOwnValue
                && values[n].Owner == BufferPlan.Own && values[v].Owner == BufferPlan.Own)
                values[n] = (v, 0);
        _plan = _plan with { Values = [.. values] };
    }

    // The one place that maps a layer kind to its engine kernel.
    private NodeKernel KernelOf(int n, ImmutableDictionary<string, Rule> rules, bool inputNonNegative, bool inputSide)
    {
        var node = Network.Nodes[n];
        var input = _inputShapes[n];
        return node.Layer switch
        {
            Conv2d c when DepthwiseNode.Covers(c) => DepthwiseNode.Compile(node.Name, c, input, rules[node.Name], Options.Bias, inputNonNegative),
            Conv2d { Groups: > 1 } c => GroupedLinearNode.Compile(node.Name, c, input, rules[node.Name], Options.Bias, inputNonNegative, Rectified(node.Name)),
            Dense or Conv2d => new LinearNode(LinearKernel.Compile(node.Name, node.Layer, input, rules[node.Name], Options.Bias, inputNonNegative, Rectified(node.Name))),
            Activation a => new ActivationNode(a),
            View => new ViewNode(),
            LocalResponseNorm lrn => new NormalisationNode(lrn, input),
            LayerNorm ln => new LayerNormNode(ln),
            Softmax => new SoftmaxNode(input[input.Rank - 1]),
            MatMul mm => new MatMulNode(MatMul.Dimensions(input, Network.ShapeOf(node.Inputs[1])), mm.HeldConstant(Options)),
            Pool2d p => new PoolNode(p, input, Network.Shapes[n], Options.Pooling),
            GlobalAvgPool => new GlobalAvgPoolNode(input),
            Pad2d pad => new PadNode(pad, input),
            Rearrangement r => new RearrangementNode(r.Sources(input, Network.Shapes[n])),
            ChannelAffine a => new ChannelAffineNode(a.Scale.ToSingles(), a.Shift.ToSingles(), input.Size / a.Channels, Options.Bias, inputSide && !a.AddsEmbedding),
            Gating => new GatingNode(Gating.Plane(input, Network.ShapeOf(node.Inputs[1])), Options.Gating),
            Sum => new SumNode(),
            Add => new AddNode(),
            Concat => ConcatKernel(n),
            _ => throw new UncoveredLayerException(node.Name, $"the engine has no kernel for {node.Layer.Kind}."),
        };
    }

    // Whether every reader of a value rectifies it (so a linear layer's negative outputs never matter), and it is not the output.
    private bool Rectified(string name) => Network.Nodes.Where(r => r.Inputs.Contains(name)).All(r => r.Layer is ReLU) && name != Network.Output;

    private ConcatNode ConcatKernel(int n)
    {
        var inputs = _inputs[n];
        var offsets = new int[inputs.Length];
        for (var m = 1; m < inputs.Length; m++) offsets[m] = offsets[m - 1] + Network.ShapeOf(Network.Nodes[n].Inputs[m - 1]).Size;
        return new ConcatNode(offsets,
            [.. inputs.Select((v, m) => _plan.ValueInPlace(n, v, offsets[m]))],
            [.. inputs.Select((v, m) => Direct(v) && _plan.RelevanceInPlace(n, Sink(v), offsets[m]))]);
    }

    // Which values and relevances live in place in a Concat's buffers.
    private readonly BufferPlan _plan;

    // Where the relevance of each value is written ([0] the input, [n + 1] node n): its own buffer, or, for a pass-through
    // layer whose input is read once (a ReLU after a convolution, or after a residual Add), the buffer its input's relevance
    // goes to — relevance passes through such a chain unchanged, so it is written (or, at a chain's top read by several
    // edges, added up) once at the bottom instead of copied down.
    private readonly int[] _sinks;

    private int Sink(int index) => _sinks[index + 1];

    // How many edges read each value: [0] the network's input, [n + 1] node n.
    private readonly int[] _consumers;

    // A value read by exactly one edge (and not the output, which is seeded) receives its relevance written straight into
    // its buffer: no contribution buffer, no addition, and no clearing beforehand.
    private bool Direct(int index) => index != OutputIndex && _consumers[index + 1] == 1;

    private static Span<float> Buffer(int index, Workspace ws) => index < 0 ? ws.Heatmap : ws.Relevances[index].Span;

    /// <summary>The canonized network being explained.</summary>
    public Network Network { get; }

    /// <summary>Pooling and bias options.</summary>
    public ExplainOptions Options { get; }

    private int OutputIndex { get; }

    /// <summary>The most cores one call uses (0: every core); 1 runs on the calling thread alone.</summary>
    public int Parallelism { get; }

    /// <summary>Canonizes the network, resolves the composite's rules and precomputes each layer's weight-only matrices.</summary>
    /// <exception cref="UncoveredLayerException">A linear layer has no rule, or a layer has no engine kernel.</exception>
    /// <exception cref="ShapeMismatchException">z^B bounds do not have the shape of the layer's input.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parallelism"/> is negative.</exception>
    /// <exception cref="ResourceLimitException">One explanation's buffers would take more than <paramref name="maxWorkspaceBytes"/>.</exception>
    public static EngineNetwork Compile(Network network, Composite composite, ExplainOptions? options = null, int parallelism = 0, long maxWorkspaceBytes = DefaultMaxWorkspaceBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parallelism);
        options ??= ExplainOptions.Default;
        var canonical = Canonizers.Canonize(network);
        RequireWithin(canonical, maxWorkspaceBytes, parallelism > 0 ? Math.Min(parallelism, Environment.ProcessorCount) : Environment.ProcessorCount);
        var rules = composite.Resolve(canonical);
        var nonNegative = NonNegativity.OfInputs(canonical);
        return new EngineNetwork(canonical, options, rules, nonNegative, parallelism);
    }

    /// <summary>The default limit on one explanation's buffers: 4 GiB.</summary>
    public const long DefaultMaxWorkspaceBytes = 4L << 30;

    // What one workspace will take, from the shapes alone and before anything is allocated: each node's value and relevance,
    // and for each linear layer its im2col matrix, its outputs' scratch and denominators (with margin for stacked forms).
    private static void RequireWithin(Network network, long limit, int cores)
    {
        var (total, largest, largestBytes) = (8L * network.InputShape.Size, Network.InputName, 0L);
        var (scratch, perCore) = (0L, 0L);
        for (var n = 0; n < network.Nodes.Length; n++)
        {
            var node = network.Nodes[n];
            var bytes = 8L * network.Shapes[n].Size;
            if (node.Layer is Dense or Conv2d)
            {
                var g = Geometry.Of(node.Layer, network.ShapeOf(node.Inputs[0]));
                var kernel = 4L * ((long)g.K * g.P + 3L * g.M * g.P);
                scratch = Math.Max(scratch, kernel);
                bytes += kernel;
                // A grouped layer's other cores each take one group's col(x), Z and input twice (Workspace.ScratchFor).
                if (node.Layer is Conv2d { Groups: > 1 }) perCore = Math.Max(perCore, 4L * ((long)g.K * g.P + (long)g.M * g.P + 2L * g.InputSize));
            }
            total += 8L * network.Shapes[n].Size;
            if (bytes > largestBytes) (largest, largestBytes) = (node.Name, bytes);
        }
        total += scratch + (cores - 1) * perCore;
        if (total > limit) throw new ResourceLimitException(largest, total, limit);
    }

    /// <summary>Buffers for one thread's explanations.</summary>
    public Workspace CreateWorkspace()
    {
        var linear = _kernels.Where(k => k.Scratch.HasValue).Select(k => k.Scratch!.Value).ToList();
        var largest = Network.Shapes.Select(s => s.Size).Append(Network.InputShape.Size).Concat(_kernels.Select(k => k.BackScratch)).Max();
        return new Workspace([.. Network.Shapes.Select(s => s.Size)], _plan, Network.InputShape.Size,
            linear.Select(s => s.Col).DefaultIfEmpty(1).Max(), linear.Select(s => s.Z).DefaultIfEmpty(1).Max(), largest,
            [.. _kernels.Select(k => k.DenominatorScratch)]) { Owner = this };
    }

    // A workspace's buffers are sized and planned for the network that made it: another's would be read out of bounds or,
    // worse, in bounds at the wrong places.
    private Workspace Own(Workspace ws, string parameter = "ws")
    {
        ArgumentNullException.ThrowIfNull(ws, parameter);
        return ReferenceEquals(ws.Owner, this) ? ws
            : throw new ArgumentException("This workspace was made by another EngineNetwork's CreateWorkspace; use one made by this network's.", parameter);
    }

    /// <summary>The network's outputs for one input.</summary>
    public float[] Forward(ReadOnlySpan<float> input) => Forward(input, CreateWorkspace()).ToArray();

    /// <summary>The network's outputs for one input, computed in the workspace (valid until its next use).</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> input, Workspace ws)
    {
        Own(ws);
        using var cores = Kernels.Parallelism.Limit(Parallelism);
        return Forward(input, ws, explaining: false);
    }

    // An explanation's forward pass also leaves the denominators of the layers that pair them (LinearKernel.PairsDenominators).
    private Span<float> Forward(ReadOnlySpan<float> input, Workspace ws, bool explaining)
    {
        Validate(input);
        for (var n = 0; n < Network.Nodes.Length; n++) ForwardNode(n, input, ws, explaining);
        return ws.Values[OutputIndex].Span;
    }

    /// <summary>Explains output <paramref name="target"/> (default: the arg-max) of one input.</summary>
    public Explanation Explain(ReadOnlySpan<float> input, int? target = null) => Explain(input, CreateWorkspace(), target);

    /// <summary>Explains one input using a workspace made by <see cref="CreateWorkspace"/>.</summary>
    public Explanation Explain(ReadOnlySpan<float> input, Workspace ws, int? target = null)
    {
        Own(ws);
        using var cores = Kernels.Parallelism.Limit(Parallelism);
        return Explained(input, ws, target);
    }

    // Explain's work, on the cores the calling thread may use.
    private Explanation Explained(ReadOnlySpan<float> input, Workspace ws, int? target)
    {
        var k = Start(input, ws, target, seedWithOutput: true);
        var outputs = ws.Values[OutputIndex].Span;
        var f = (double)outputs[k];
        if (!double.IsFinite(f)) throw ForwardFault(ws, k);
        var reports = new LayerConsistency[Network.Nodes.Length];
        var written = new (double Sum, double NegativeMass, double Minimum)?[Network.Nodes.Length];
        for (var n = Network.Nodes.Length - 1; n >= 0; n--)
        {
            var start = ws.Profiling ? Stopwatch.GetTimestamp() : 0;
            reports[n] = RelevanceNode(n, input, ws, f, written);
            if (ws.Profiling) Count(ws, Workspace.Phase.Relevance, n, start);
        }
        var layers = reports.ToImmutableArray();
        var heatmap = ws.Heatmap;
        if (Kernels.InputChecks.IndexOfNonFinite(heatmap) >= 0)
        {
            // Relevance flows from the output down: the first layer, from the top, that passed down a non-finite sum is where it appeared.
            var at = layers.Reverse().FirstOrDefault(l => !double.IsFinite(l.RelevanceOut)) ?? layers[0];
            throw new NumericFaultException(at.Node, $"the relevance this {at.Layer} layer passed down is not finite (f(x) = {f:G6}); the weights or the input are too large for float32.");
        }
        var map = Relevances.Measure(heatmap);
        var consistency = new ConsistencyReport(f, map.Sum, layers.Sum(l => l.BiasRelevance), map.NegativeMass, map.Minimum, layers);
        return new Explanation(Network.InputShape, [.. heatmap], f, k, Tensor.FromSingles(Network.ShapeOf(Network.Output), outputs), consistency);
    }

    // The first node whose value is not finite, in the order the forward pass computed them.
    private NumericFaultException ForwardFault(Workspace ws, int k)
    {
        for (var n = 0; n < Network.Nodes.Length; n++)
        {
            var i = Kernels.InputChecks.IndexOfNonFinite(ws.Values[n].Span);
            if (i >= 0)
                return new NumericFaultException(Network.Nodes[n].Name,
                    $"the forward pass gives {ws.Values[n].Span[i]} at element {i} of this {Network.Nodes[n].Layer.Kind} layer's output; the input or the weights are too large for float32.");
        }
        return new NumericFaultException(Network.Output, $"output {k} is not finite.");
    }

    /// <summary>∂f_target/∂x by backpropagation through the graph (the gradient behind sensitivity analysis), computed in the workspace.</summary>
    public float[] Gradient(ReadOnlySpan<float> input, Workspace ws, int? target = null)
    {
        Own(ws);
        using var cores = Kernels.Parallelism.Limit(Parallelism);
        Start(input, ws, target, seedWithOutput: false);
        for (var n = Network.Nodes.Length - 1; n >= 0; n--)
        {
            var node = Network.Nodes[n];
            var upper = ws.Gradients[n].Span;
            for (var m = 0; m < _inputs[n].Length; m++)
            {
                var x = ValueOf(_inputs[n][m], input, ws);
                var lower = ws.Contribution(x.Length);
                _kernels[n].Backward(m, new NodeInputs(input, ws, _inputs[n]), upper, lower, ws);
                PassDown(n, m, lower, ws);
            }
        }
        return [.. ws.Heatmap];
    }

    // The forward pass, then the target (default: the arg-max) and cleared backward buffers, the output's seeded with f_k
    // (relevance) or 1 (gradient).
    private int Start(ReadOnlySpan<float> input, Workspace ws, int? target, bool seedWithOutput)
    {
        var outputs = Forward(input, ws, explaining: seedWithOutput);
        var k = target ?? Relevances.ArgMax(outputs);
        if (k < 0 || k >= outputs.Length)
            throw new ArgumentOutOfRangeException(nameof(target), $"The network has {outputs.Length} outputs; target {k} does not exist.");
        // A gradient adds into every buffer. Relevance is written into the buffer of a value read once (see Direct), and into
        // that of a value read more often by the first edge to reach it and added by the others (see Started): only the
        // seeded output and values nothing reads are cleared.
        var buffers = seedWithOutput ? ws.Relevances : ws.Gradients;
        for (var n = 0; n < buffers.Length; n++)
            if (!seedWithOutput || n == OutputIndex || _consumers[n + 1] == 0) buffers[n].Span.Clear();
        if (!seedWithOutput || _consumers[0] == 0) Array.Clear(ws.Heatmap);
        buffers[OutputIndex].Span[k] = seedWithOutput ? outputs[k] : 1;
        Array.Clear(ws.Started);
        ws.Started[OutputIndex + 1] = true;
        return k;
    }

    // Adds the gradient node n passes to its input m into that input's gradient (the heatmap for the network's input).
    private void PassDown(int n, int m, ReadOnlySpan<float> lower, Workspace ws)
    {
        var into = _inputs[n][m] < 0 ? ws.Heatmap.AsSpan() : ws.Gradients[_inputs[n][m]].Span;
        TensorPrimitives.Add(into, lower, into);
    }

    // Passes relevance for input m of node n, a value read by more than one edge, into the buffer its relevance goes to:
    // copied by the first edge to reach it, added by the others.
    private void Accumulate(int n, int m, ReadOnlySpan<float> lower, Workspace ws)
    {
        var index = _inputs[n][m];
        var into = Buffer(Sink(index), ws)[..lower.Length];
        if (ws.Started[index + 1]) TensorPrimitives.Add(into, lower, into);
        else lower.CopyTo(into);
        ws.Started[index + 1] = true;
    }

    /// <summary>Explains a batch of inputs laid out one after another, each core explaining inputs of its own in a workspace of its own.</summary>
    public ImmutableArray<Explanation> ExplainBatch(ReadOnlyMemory<float> inputs, int batch, int? target = null) => ExplainBatch(inputs, batch, [], target);

    /// <summary>Explains a batch of inputs laid out one after another, each core explaining inputs of its own, in the given
    /// workspaces (one per core; made for the cores beyond them).</summary>
    public ImmutableArray<Explanation> ExplainBatch(ReadOnlyMemory<float> inputs, int batch, IReadOnlyList<Workspace> workspaces, int? target = null)
    {
        var results = new Explanation[batch];
        var size = Network.InputShape.Size;
        PerInput(inputs, batch, workspaces, (b, ws) => results[b] = Explained(inputs.Span.Slice(b * size, size), ws, target));
        return [.. results];
    }

    /// <summary>The outputs of a batch of inputs laid out one after another, [batch × outputs], each core computing inputs of
    /// its own in the given workspaces (one per core; made for the cores beyond them).</summary>
    public float[] ForwardBatch(ReadOnlyMemory<float> inputs, int batch, IReadOnlyList<Workspace> workspaces)
    {
        var (size, count) = (Network.InputShape.Size, Network.ShapeOf(Network.Output).Size);
        var outputs = new float[(long)batch * count];
        PerInput(inputs, batch, workspaces, (b, ws) => Forward(inputs.Span.Slice(b * size, size), ws, explaining: false).CopyTo(outputs.AsSpan(b * count, count)));
        return outputs;
    }

    // Runs `each` for every input of a batch. With more than one core, each core takes the next input not yet taken and runs
    // it alone (one core per input: a layer's work split across cores costs their synchronisation, an input per core none);
    // with one, inputs run one after another on the cores the engine may use.
    private void PerInput(ReadOnlyMemory<float> inputs, int batch, IReadOnlyList<Workspace> workspaces, Action<int, Workspace> each)
    {
        var size = Network.InputShape.Size;
        if (batch <= 0 || inputs.Length != (long)batch * size)
            throw new InvalidInputException($"A batch of {batch} inputs of shape {Network.InputShape} needs {(long)batch * size} values, got {inputs.Length}.");
        foreach (var w in workspaces) Own(w, nameof(workspaces));
        using var cores = Kernels.Parallelism.Limit(Parallelism);
        var workers = Math.Min(batch, Kernels.Parallelism.Cores);
        var next = -1;
        void Work(int w)
        {
            using var limit = Kernels.Parallelism.Limit(workers == 1 ? Parallelism : 1);
            var ws = w < workspaces.Count ? workspaces[w] : CreateWorkspace();
            try
            {
                for (int b; (b = Interlocked.Increment(ref next)) < batch;) each(b, ws);
            }
            catch
            {
                // The others stop at their next input.
                Volatile.Write(ref next, batch);
                throw;
            }
        }
        if (workers == 1)
        {
            Work(0);
            return;
        }
        try
        {
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, Work);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The first failure is the one to report (e.g. an input outside z^B's box), with its own type and stack.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    private void Validate(ReadOnlySpan<float> input)
    {
        if (input.Length != Network.InputShape.Size)
            throw new InvalidInputException($"The network expects an input of shape {Network.InputShape} ({Network.InputShape.Size} values), got {input.Length} values.");
        var i = Kernels.InputChecks.IndexOfNonFinite(input);
        if (i >= 0) throw new InvalidInputException($"The input holds a non-finite value ({input[i]}) at index {i}.");
    }

    private ReadOnlySpan<float> ValueOf(int index, ReadOnlySpan<float> input, Workspace ws) => index < 0 ? input : ws.Values[index].Span;

    private void ForwardNode(int n, ReadOnlySpan<float> input, Workspace ws, bool explaining)
    {
        var start = ws.Profiling ? Stopwatch.GetTimestamp() : 0;
        _kernels[n].Forward(new NodeInputs(input, ws, _inputs[n]), ws.Values[n].Span, ws, explaining ? ws.Denominators[n] : default);
        if (ws.Profiling) Count(ws, explaining ? Workspace.Phase.ExplanationForward : Workspace.Phase.Forward, n, start);
    }

    // Adds the time since `start` to node n's profile in phase `phase` (see Workspace.Profiling).
    private static void Count(Workspace ws, Workspace.Phase phase, int n, long start)
    {
        ws.Ticks![(int)phase, n] += Stopwatch.GetTimestamp() - start;
        ws.Calls![(int)phase, n]++;
    }

    /// <summary>Each node's mean time per call in the given workspaces' forward passes, explanations' forward passes and
    /// relevance passes, since their <see cref="Workspace.Profiling"/> was turned on.</summary>
    public ImmutableArray<NodeTime> Profile(IEnumerable<Workspace> workspaces)
    {
        var profiled = workspaces.Select(w => Own(w, nameof(workspaces))).ToList();
        if (profiled.Count == 0 || profiled.Any(w => !w.Profiling))
            throw new InvalidOperationException("Profile needs workspaces of this network whose Profiling is on.");
        TimeSpan Mean(Workspace.Phase phase, int n)
        {
            var (ticks, calls) = (profiled.Sum(w => w.Ticks![(int)phase, n]), profiled.Sum(w => w.Calls![(int)phase, n]));
            return calls == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)ticks / calls / Stopwatch.Frequency);
        }
        return [.. Network.Nodes.Select((node, n) => new NodeTime(node.Name, node.Layer.Kind, Mean(Workspace.Phase.Forward, n),
            Mean(Workspace.Phase.ExplanationForward, n), Mean(Workspace.Phase.Relevance, n)))];
    }

    // `written[i]` holds the measure of node i's relevance when one edge wrote all of it, so it is not measured twice.
    private LayerConsistency RelevanceNode(int n, ReadOnlySpan<float> input, Workspace ws, double f, (double Sum, double NegativeMass, double Minimum)?[] written)
    {
        var node = Network.Nodes[n];
        var upper = ws.Relevances[Sink(n) >= 0 ? Sink(n) : n].Span;
        var incoming = written[n] ?? MeasuredHalves.Measure(upper);
        var rIn = incoming.Sum;
        if (node.Layer.PassesRelevanceThrough)
        {
            // What comes in goes down unchanged: no redistribution, and the measure of what came in. In a chain (Sink(n) ≠ n)
            // it was written below already, and measured by its one writer — or, at a top several edges added up, here.
            var measure = incoming;
            if (Sink(n) == n) Send(n, 0, upper, ws, measure, written);
            else if (!Direct(n)) MarkWritten(_inputs[n][0], measure, written);
            return new LayerConsistency(node.Name, node.Layer.Kind, _kernels[n].Describe, measure.Sum, measure.Sum, 0, 0, 0, measure.NegativeMass, measure.Minimum);
        }
        var (sumOut, negative, minimum, bias) = (0.0, 0.0, double.PositiveInfinity, 0.0);
        for (var m = 0; m < _inputs[n].Length; m++)
        {
            var index = _inputs[n][m];
            var x = ValueOf(index, input, ws);
            var direct = Direct(index);
            // The first edge to reach a value read more often writes its buffer (see Started); a linear layer also adds its
            // relevance into a buffer others wrote in that pass (the relevance of an inception module's input, from its three
            // 1×1 convolutions), measuring its own share. Other kernels' later shares go through scratch and are added.
            var started = ws.Started[index + 1];
            var inPlace = !direct && (!started || _kernels[n].AddsInPlace);
            var lower = direct || inPlace ? Buffer(Sink(index), ws)[..x.Length] : ws.Contribution(x.Length);
            var measure = _kernels[n].Redistribute(m, new NodeInputs(input, ws, _inputs[n]), ws.Values[n].Span, upper, lower, ws, ws.Denominators[n], ref bias,
                    addTo: inPlace && started)
                ?? MeasuredHalves.Measure(lower);
            sumOut += measure.Sum;
            negative += measure.NegativeMass;
            minimum = Math.Min(minimum, measure.Minimum);
            if (direct) MarkWritten(index, measure, written);
            else if (inPlace) ws.Started[index + 1] = true;
            else Accumulate(n, m, lower, ws);
        }
        var error = rIn - sumOut - bias;
        return new LayerConsistency(node.Name, node.Layer.Kind, _kernels[n].Describe, rIn, sumOut, bias, error,
            Math.Abs(error) / ConsistencyReport.Scale(f), negative, double.IsPositiveInfinity(minimum) ? 0 : minimum);
    }

    // Passes `relevance` unchanged to input m of node n: copied into a buffer it alone fills, else added.
    private void Send(int n, int m, ReadOnlySpan<float> relevance, Workspace ws, (double Sum, double NegativeMass, double Minimum) measure,
        (double Sum, double NegativeMass, double Minimum)?[] written)
    {
        var index = _inputs[n][m];
        if (!Direct(index))
        {
            Accumulate(n, m, relevance, ws);
            return;
        }
        relevance.CopyTo(Buffer(Sink(index), ws));
        MarkWritten(index, measure, written);
    }

    // Records the measure of relevance written for `index`, and for every value of its chain down to its sink.
    private void MarkWritten(int index, (double Sum, double NegativeMass, double Minimum) measure, (double Sum, double NegativeMass, double Minimum)?[] written)
    {
        for (var j = index; j >= 0; j = _inputs[j][0])
        {
            written[j] = measure;
            if (j == Sink(index)) return;
        }
    }
}
