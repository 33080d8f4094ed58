using System.Linq;
using Relevance.Declarations;

namespace Relevance.Generators;

internal static partial class Emitter
{
    // Networks of vectors only (the paper's detectors) run a batch layer by layer: each dense layer is one matrix product over
    // the batch instead of one matrix-vector product per input. Others explain a batch input by input.
    private static bool Batched(NetworkPlan plan) =>
        plan.Layers.All(l => l.Kind is LayerKind.Dense or LayerKind.ReLU or LayerKind.Sum or LayerKind.Flatten or LayerKind.Add
            || (l.Kind is LayerKind.SumPool or LayerKind.AvgPool or LayerKind.MaxPool && l.InShape.Length == 1));

    private static void EmitBatchLoops(CodeWriter w, string self)
    {
        w.Line("/// <inheritdoc />");
        w.Open($"public void ForwardBatch({ReadOnlySpan} inputs, {Span} outputs)");
        w.Line("var batch = BatchSize(inputs.Length);");
        w.Line($"{K}.InputChecks.RequireLength(outputs.Length, batch * OutputSize, \"outputs\");");
        w.Line("for (var b = 0; b < batch; b++) Forward(inputs.Slice(b * InputSize, InputSize), outputs.Slice(b * OutputSize, OutputSize));");
        w.Close();
        w.Line();
        w.Line($"private {K}.SplitBatch<{self}>? _split;");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Open($"public void ExplainBatch({ReadOnlySpan} inputs, {Span} heatmaps, {Span} outputs, global::System.ReadOnlySpan<int> targets = default)");
        EmitBatchChecks(w);
        w.Line("// Input by input, half of them on each core with a second workspace.");
        w.Line($"(_split ??= new {K}.SplitBatch<{self}>(this)).Explain(inputs, heatmaps, outputs, targets, batch);");
        w.Close();
        w.Line();
    }

    private static void EmitBatchChecks(CodeWriter w)
    {
        w.Line("var batch = BatchSize(inputs.Length);");
        w.Line($"{K}.InputChecks.RequireLength(heatmaps.Length, batch * InputSize, \"heatmaps\");");
        w.Line($"{K}.InputChecks.RequireLength(outputs.Length, batch, \"outputs\");");
        w.Line("if (!targets.IsEmpty && targets.Length != batch)");
        w.Line("    throw new global::System.ArgumentException($\"{batch} inputs need {batch} targets, got {targets.Length}.\", nameof(targets));");
    }

    private static string BatchInput(PlannedLayer l) => l.Index == 0 ? "inputs" : $"ws.A{l.Index - 1}";

    private static string BatchLower(PlannedLayer l) => l.Index == 0 ? "heatmaps" : $"ws.R{l.Index - 1}";

    private static void EmitBatchApi(CodeWriter w, NetworkPlan plan)
    {
        var layers = plan.Layers;
        var last = layers[layers.Length - 1].Index;
        var dense = layers.Where(l => l.Kind == LayerKind.Dense).ToArray();

        w.Line("// Batch buffers [batch × size] per layer, grown when a larger batch arrives; transposed weights for the backward");
        w.Line("// products, made on the first batch and shared by every workspace over the same weights.");
        w.Open("private sealed class BatchWorkspace(int capacity)");
        w.Line("public readonly int Capacity = capacity;");
        foreach (var l in layers)
        {
            var n = l.Index;
            w.Line($"public readonly float[] A{n} = new float[capacity * L{n}Out], R{n} = new float[capacity * L{n}Out];");
            if (l.Kind == LayerKind.Dense)
                w.Line($"public readonly float[] D{n} = new float[capacity * L{n}Out], T{n} = new float[capacity * L{n}In{(l.Rule == LayerRule.ZBox ? " * 2" : "")}]{(l.Rule == LayerRule.Gamma ? $", E{n} = new float[capacity * L{n}Out]" : "")};");
        }
        w.Close();
        w.Line();
        w.Open("private sealed class TransposedWeights(Parameters p)");
        foreach (var l in dense)
        {
            var n = l.Index;
            // z^B's two backward products are one, with Wᵀ and W⁺ᵀ side by side: [Out × 2·In].
            if (l.Rule == LayerRule.ZBox)
                w.Line($"public readonly float[] WST{n} = {K}.Weights.SideBySide({K}.Weights.Transpose(p.W{n}, L{n}In, L{n}Out), {K}.Weights.Transpose({K}.Weights.Positive(p.W{n}), L{n}In, L{n}Out), L{n}Out, L{n}In);");
            else
                foreach (var (name, source) in Transposes(l))
                    w.Line($"public readonly float[] {name}{n} = {K}.Weights.Transpose({source.Replace("#", n.ToString())}, L{n}In, L{n}Out);");
        }
        w.Close();
        w.Line();
        w.Line("private BatchWorkspace? _batch;");
        w.Line("private TransposedWeights? _transposed;");
        w.Line();
        w.Line("private BatchWorkspace BatchBuffers(int batch) => _batch is { } ws && ws.Capacity >= batch ? ws : _batch = new BatchWorkspace(batch);");
        w.Line();

        w.Line("/// <inheritdoc />");
        w.Open($"public void ForwardBatch({ReadOnlySpan} inputs, {Span} outputs)");
        w.Line("var batch = BatchSize(inputs.Length);");
        w.Line($"{K}.InputChecks.RequireLength(outputs.Length, batch * OutputSize, \"outputs\");");
        w.Line($"for (var b = 0; b < batch; b++) {K}.InputChecks.RequireFinite(inputs.Slice(b * InputSize, InputSize), InputSize, {Literals.String(plan.TypeName)});");
        w.Line("var ws = BatchBuffers(batch);");
        w.Line("RunForwardBatch(inputs, ws, batch);");
        w.Line($"new {ReadOnlySpan}(ws.A{last}, 0, batch * OutputSize).CopyTo(outputs);");
        w.Close();
        w.Line();

        w.Line("/// <inheritdoc />");
        w.Open($"public void ExplainBatch({ReadOnlySpan} inputs, {Span} heatmaps, {Span} outputs, global::System.ReadOnlySpan<int> targets = default)");
        EmitBatchChecks(w);
        w.Line("for (var b = 0; b < batch; b++) CheckInput(inputs.Slice(b * InputSize, InputSize));");
        w.Line("var ws = BatchBuffers(batch);");
        w.Line("var tw = _transposed ??= new TransposedWeights(_p);");
        w.Line("RunForwardBatch(inputs, ws, batch);");
        foreach (var l in dense.Where(ChecksNonNegativeAtRunTime))
            w.Line($"{K}.InputChecks.RequireInBox({(l.Index == 0 ? $"inputs.Slice(0, batch * L0In)" : $"new {ReadOnlySpan}({BatchInput(l)}, 0, batch * L{l.Index}In)")}, 0f, float.PositiveInfinity, {Literals.String(l.Name)}, \"z⁺\");");
        w.Line("heatmaps.Slice(0, batch * InputSize).Clear();");
        foreach (var l in layers) w.Line($"global::System.Array.Clear(ws.R{l.Index}, 0, batch * L{l.Index}Out);");
        w.Open("for (var b = 0; b < batch; b++)");
        w.Line($"var row = new {ReadOnlySpan}(ws.A{last}, b * OutputSize, OutputSize);");
        w.Line($"var k = targets.IsEmpty ? {Tp}.IndexOfMax(row) : targets[b];");
        w.Line("if ((uint)k >= OutputSize)");
        w.Line($"    throw new global::System.ArgumentOutOfRangeException(nameof(targets), $\"{plan.TypeName} has {{OutputSize}} outputs; target {{k}} does not exist.\");");
        w.Line($"outputs[b] = ws.R{last}[b * OutputSize + k] = row[k];");
        w.Close();
        foreach (var l in layers.Reverse()) w.Line($"RelevanceBatch{l.Index}({BatchInput(l)}, {BatchLower(l)}, ws, tw, batch);");
        w.Close();
        w.Line();

        w.Open($"private void RunForwardBatch({ReadOnlySpan} inputs, BatchWorkspace ws, int batch)");
        foreach (var l in layers) w.Line($"ForwardBatch{l.Index}({BatchInput(l)}, ws.A{l.Index}, ws, batch);");
        w.Close();
        w.Line();
        foreach (var l in layers) EmitForwardBatch(w, l);
        foreach (var l in layers) EmitRelevanceBatch(w, l, plan);
    }

    private static (string Name, string Source)[] Transposes(PlannedLayer l) => l.Rule switch
    {
        LayerRule.ZPlus => [("WPT", "p.WP#")],
        LayerRule.Z => [("WT", "p.W#")],
        LayerRule.Gamma => [("WGT", "p.WG#"), ("WGNT", "p.WGN#")],
        _ => [("WQT", "p.WQ#")],
    };

    private static void EmitForwardBatch(CodeWriter w, PlannedLayer l)
    {
        var n = l.Index;
        w.Line($"// {Describe(l)}, a batch at a time");
        w.Open($"private void ForwardBatch{n}({ReadOnlySpan} x, {Span} y, BatchWorkspace ws, int batch)");
        w.Line($"var count = batch * L{n}Out;");
        switch (l.Kind)
        {
            case LayerKind.Dense:
                w.Line($"global::Relevance.Engine.Gemm.Multiply(x, _p.W{n}, y, batch, L{n}In, L{n}Out);");
                w.Line($"for (var b = 0; b < batch; b++) {Tp}.Add(y.Slice(b * L{n}Out, L{n}Out), _p.B{n}, y.Slice(b * L{n}Out, L{n}Out));");
                break;
            case LayerKind.ReLU:
                w.Line($"{Tp}.Max(x.Slice(0, count), 0f, y);");
                break;
            case LayerKind.Flatten:
                w.Line("x.Slice(0, count).CopyTo(y);");
                break;
            case LayerKind.Sum:
                w.Line($"for (var b = 0; b < batch; b++) y[b] = {Tp}.Sum(x.Slice(b * L{n}In, L{n}In));");
                break;
            case LayerKind.Add:
                w.Line($"{Tp}.Add(x.Slice(0, count), new {ReadOnlySpan}(ws.A{l.Skip}, 0, count), y);");
                break;
            default:
                EmitPoolForward(w, l, "count");
                break;
        }
        w.Close();
        w.Line();
    }

    private static void EmitRelevanceBatch(CodeWriter w, PlannedLayer l, NetworkPlan plan)
    {
        var n = l.Index;
        w.Line($"// {Describe(l)}, a batch at a time");
        w.Open($"private void RelevanceBatch{n}({ReadOnlySpan} x, {Span} lower, BatchWorkspace ws, TransposedWeights tw, int batch)");
        w.Line($"var (count, inputs) = (batch * L{n}Out, batch * L{n}In);");
        w.Line($"var upper = new {ReadOnlySpan}(ws.R{n}, 0, count);");
        w.Line($"var y = new {ReadOnlySpan}(ws.A{n}, 0, count);");
        switch (l.Kind)
        {
            case LayerKind.Dense:
                EmitDenseRelevanceBatch(w, l);
                break;
            case LayerKind.ReLU or LayerKind.Flatten:
                w.Line($"{Tp}.Add(lower.Slice(0, inputs), upper, lower.Slice(0, inputs));");
                break;
            case LayerKind.Sum:
                w.Open("for (var b = 0; b < batch; b++)");
                w.Line("var ratio = y[b] == 0f ? 0f : upper[b] / y[b];");
                w.Line($"{Tp}.MultiplyAdd(x.Slice(b * L{n}In, L{n}In), ratio, lower.Slice(b * L{n}In, L{n}In), lower.Slice(b * L{n}In, L{n}In));");
                w.Close();
                break;
            case LayerKind.Add:
                EmitAddRelevance(w, $"ws.A{l.Skip}", $"ws.R{l.Skip}", "count");
                break;
            default:
                EmitPoolRelevance(w, l, plan.MaxPool == 1 && l.Kind == LayerKind.MaxPool, "count");
                break;
        }
        w.Close();
        w.Line();
    }

    private static void EmitDenseRelevanceBatch(CodeWriter w, PlannedLayer l)
    {
        var n = l.Index;
        w.Line($"var s = new {Span}(ws.D{n}, 0, count);");
        if (l.Rule != LayerRule.ZBox) w.Line($"var t = new {Span}(ws.T{n}, 0, inputs);");
        switch (l.Rule)
        {
            case LayerRule.ZPlus:
                w.Line($"global::Relevance.Engine.Gemm.Multiply(x, _p.WP{n}, s, batch, L{n}In, L{n}Out);");
                w.Line($"for (var b = 0; b < batch; b++) {Tp}.Add(s.Slice(b * L{n}Out, L{n}Out), _p.BN{n}, s.Slice(b * L{n}Out, L{n}Out));");
                break;
            case LayerRule.ZBox:
                w.Open("for (var b = 0; b < batch; b++)");
                w.Line($"var row = s.Slice(b * L{n}Out, L{n}Out);");
                w.Line($"{Tp}.Subtract(y.Slice(b * L{n}Out, L{n}Out), _p.B{n}, row);");
                w.Line($"{Tp}.Subtract(row, _p.C{n}, row);");
                w.Line($"{Tp}.Add(row, _p.BN{n}, row);");
                w.Close();
                break;
            case LayerRule.Z:
                w.Line($"for (var b = 0; b < batch; b++) {Tp}.Subtract(y.Slice(b * L{n}Out, L{n}Out), _p.B{n}, s.Slice(b * L{n}Out, L{n}Out));");
                break;
            case LayerRule.Gamma:
                w.Line($"var sn = new {Span}(ws.E{n}, 0, count);");
                w.Line($"global::Relevance.Engine.Gemm.Multiply(x, _p.WG{n}, s, batch, L{n}In, L{n}Out);");
                w.Line($"global::Relevance.Engine.Gemm.Multiply(x, _p.WGN{n}, sn, batch, L{n}In, L{n}Out);");
                break;
            default:
                w.Line($"for (var b = 0; b < batch; b++) global::System.MemoryExtensions.CopyTo(_p.N{n}, s.Slice(b * L{n}Out, L{n}Out));");
                break;
        }
        w.Line(l.Rule == LayerRule.Gamma ? $"{K}.RelevanceKernel.GammaRatios(upper, y, _p.B{n}, 1, s, sn, {GammaEpsilon});" : $"{K}.RelevanceKernel.Ratios(upper, s);");
        switch (l.Rule)
        {
            case LayerRule.ZBox:
                w.Line($"var tu = new {Span}(ws.T{n}, 0, 2 * inputs);");
                w.Line($"global::Relevance.Engine.Gemm.Multiply(s, tw.WST{n}, tu, batch, L{n}Out, 2 * L{n}In);");
                w.Open("for (var b = 0; b < batch; b++)");
                w.Line($"var at = b * L{n}In;");
                w.Line($"var row = tu.Slice(2 * at, 2 * L{n}In);");
                w.Line($"{K}.RelevanceKernel.BoxShares(x.Slice(at, L{n}In), row.Slice(0, L{n}In), row.Slice(L{n}In), Low, High, lower.Slice(at, L{n}In), accumulate: true);");
                w.Close();
                break;
            case LayerRule.Gamma:
                w.Line($"global::Relevance.Engine.Gemm.Multiply(s, tw.WGT{n}, t, batch, L{n}Out, L{n}In);");
                w.Line($"{Tp}.MultiplyAdd(x.Slice(0, inputs), t, lower.Slice(0, inputs), lower.Slice(0, inputs));");
                w.Line($"global::Relevance.Engine.Gemm.Multiply(sn, tw.WGNT{n}, t, batch, L{n}Out, L{n}In);");
                w.Line($"{Tp}.MultiplyAdd(x.Slice(0, inputs), t, lower.Slice(0, inputs), lower.Slice(0, inputs));");
                break;
            case LayerRule.ZPlus or LayerRule.Z:
                w.Line($"global::Relevance.Engine.Gemm.Multiply(s, tw.{Transposes(l)[0].Name}{n}, t, batch, L{n}Out, L{n}In);");
                w.Line($"{Tp}.MultiplyAdd(x.Slice(0, inputs), t, lower.Slice(0, inputs), lower.Slice(0, inputs));");
                break;
            default:
                w.Line($"global::Relevance.Engine.Gemm.Multiply(s, tw.WQT{n}, t, batch, L{n}Out, L{n}In);");
                w.Line($"{Tp}.Add(lower.Slice(0, inputs), t, lower.Slice(0, inputs));");
                break;
        }
    }
}
