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

    // Pools loop over windows with constant bounds; a vector is pooled in groups of Size, `groups` of them.
    private static void EmitPoolForward(CodeWriter w, PlannedLayer l, string groups)
    {
        var reduce = l.Kind switch
        {
            LayerKind.MaxPool => "if (v > m) m = v;",
            _ => "m += v;",
        };
        var init = l.Kind == LayerKind.MaxPool ? "float.NegativeInfinity" : "0f";
        var scale = l.Kind == LayerKind.AvgPool ? $" * {Literals.Float(1.0 / (l.InShape.Length == 1 ? l.Size : l.Size * l.Size))}" : "";
        if (l.InShape.Length == 1)
        {
            w.Open($"for (var k = 0; k < {groups}; k++)");
            w.Line($"var m = {init};");
            w.Open($"for (var i = k * {l.Size}; i < k * {l.Size} + {l.Size}; i++)");
            w.Line("var v = x[i];").Line(reduce);
            w.Close();
            w.Line($"y[k] = m{scale};");
            w.Close();
            return;
        }
        var stride = l.Stride == 0 ? l.Size : l.Stride;
        var (c, h, wd, oh, ow) = (l.InShape[0], l.InShape[1], l.InShape[2], l.OutShape[1], l.OutShape[2]);
        w.Line($"const int C = {c}, H = {h}, W = {wd}, OH = {oh}, OW = {ow}, S = {stride}, Size = {l.Size};");
        w.Line("for (var ch = 0; ch < C; ch++)");
        w.Line("for (var oy = 0; oy < OH; oy++)");
        w.Open("for (var ox = 0; ox < OW; ox++)");
        w.Line($"var m = {init};");
        w.Line("for (var iy = oy * S; iy < oy * S + Size; iy++)");
        w.Open("for (var ix = ox * S; ix < ox * S + Size; ix++)");
        w.Line("var v = x[(ch * H + iy) * W + ix];").Line(reduce);
        w.Close();
        w.Line($"y[(ch * OH + oy) * OW + ox] = m{scale};");
        w.Close();
    }
}
