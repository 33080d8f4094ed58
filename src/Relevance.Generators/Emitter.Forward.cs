using Relevance.Declarations;

namespace Relevance.Generators;

internal static partial class Emitter
{
    private static void EmitForward(CodeWriter w, NetworkPlan plan)
    {
        w.Open($"private void RunForward({ReadOnlySpan} input)");
        foreach (var l in plan.Layers) w.Line($"Forward{l.Index}({Input(l)}, _a{l.Index});");
        w.Close();
        w.Line();
        foreach (var l in plan.Layers)
        {
            var n = l.Index;
            w.Line($"// {Describe(l)}");
            w.Open($"private void Forward{n}({ReadOnlySpan} x, {Span} y)");
            switch (l.Kind)
            {
                case LayerKind.Dense when ShiftsInput(l, plan):
                    w.Line("// z = (b + l·Σ_i W_i) + Wᵀ(x − l): pixels at the lower bound are skipped");
                    w.Line($"global::System.MemoryExtensions.CopyTo(_p.BL{n}, y);");
                    w.Line($"{K}.DenseKernel.AccumulateShifted(x, Low, _p.W{n}, y, L{n}In, L{n}Out);");
                    break;
                case LayerKind.Dense:
                    w.Line($"global::System.MemoryExtensions.CopyTo(_p.B{n}, y);");
                    w.Line($"{K}.DenseKernel.Accumulate(x, _p.W{n}, y, L{n}In, L{n}Out);");
                    break;
                case LayerKind.Conv2d:
                    w.Line($"{K}.ConvKernel.Forward(G{n}, x, _p.W{n}, _p.B{n}, y, _col{n});");
                    break;
                case LayerKind.ReLU:
                    w.Line($"{Tp}.Max(x.Slice(0, L{n}In), 0f, y);");
                    break;
                case LayerKind.Flatten:
                    w.Line($"x.Slice(0, L{n}In).CopyTo(y);");
                    break;
                case LayerKind.Sum:
                    w.Line($"y[0] = {Tp}.Sum(x.Slice(0, L{n}In));");
                    break;
                case LayerKind.Add:
                    w.Line($"{Tp}.Add(x.Slice(0, L{n}In), _a{l.Skip}, y);");
                    break;
                default:
                    EmitPoolForward(w, l, $"L{n}Out");
                    break;
            }
            w.Close();
            w.Line();
        }
    }

    // A pooling over planes is a PoolKernel call with constant shapes; a vector is pooled in groups of Size, `groups` of them.
    private static void EmitPoolForward(CodeWriter w, PlannedLayer l, string groups)
    {
        var max = l.Kind == LayerKind.MaxPool;
        if (l.InShape.Length != 1)
        {
            var factor = l.Kind == LayerKind.AvgPool ? Literals.Float(1.0 / (l.Size * l.Size)) : "1f";
            w.Line($"{K}.PoolKernel.Forward(x, y, {PoolShape(l)}, max: {(max ? "true" : "false")}, scale: {factor});");
            return;
        }
        var scale = l.Kind == LayerKind.AvgPool ? $" * {Literals.Float(1.0 / l.Size)}" : "";
        w.Open($"for (var k = 0; k < {groups}; k++)");
        w.Line($"var m = {(max ? "float.NegativeInfinity" : "0f")};");
        w.Open($"for (var i = k * {l.Size}; i < k * {l.Size} + {l.Size}; i++)");
        w.Line("var v = x[i];").Line(max ? "if (v > m) m = v;" : "m += v;");
        w.Close();
        w.Line($"y[k] = m{scale};");
        w.Close();
    }

    // C, H, W, OH, OW, stride and size of a pooling over planes, as PoolKernel takes them.
    private static string PoolShape(PlannedLayer l) =>
        $"{l.InShape[0]}, {l.InShape[1]}, {l.InShape[2]}, {l.OutShape[1]}, {l.OutShape[2]}, {(l.Stride == 0 ? l.Size : l.Stride)}, {l.Size}";
}
