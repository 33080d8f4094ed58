using Relevance.Declarations;

namespace Relevance.Generators;

internal static partial class Emitter
{
    // Each method adds what layer n passes down to `lower` (the heatmap or the relevance of the layer below); an Add writes
    // its skip connection's share into a buffer of its own (_rs), which Explain adds to the skip source's relevance once that
    // source's successor has passed down its own share, so that each layer's share can be measured alone.
    private static void EmitRelevance(CodeWriter w, NetworkPlan plan)
    {
        foreach (var l in plan.Layers)
        {
            var n = l.Index;
            w.Line($"// {Describe(l)}");
            w.Open($"private void Relevance{n}({ReadOnlySpan} x, {Span} lower)");
            w.Line($"var upper = _r{n};");
            switch (l.Kind)
            {
                case LayerKind.Dense:
                    EmitDenseRelevance(w, l);
                    break;
                case LayerKind.Conv2d:
                    EmitConvRelevance(w, l);
                    break;
                case LayerKind.ReLU or LayerKind.Flatten:
                    w.Line($"{Tp}.Add(lower.Slice(0, L{n}In), upper, lower.Slice(0, L{n}In));");
                    break;
                case LayerKind.Sum:
                    w.Line($"var ratio = _a{n}[0] == 0f ? 0f : upper[0] / _a{n}[0];");
                    w.Line($"{Tp}.MultiplyAdd(x.Slice(0, L{n}In), ratio, lower.Slice(0, L{n}In), lower.Slice(0, L{n}In));");
                    break;
                case LayerKind.Add:
                    w.Line($"var y = _a{n};");
                    EmitAddRelevance(w, $"_a{l.Skip}", $"_rs{n}", $"L{n}Out", writesSkip: true);
                    break;
                default:
                    EmitPoolRelevance(w, l, plan.MaxPool == 1 && l.Kind == LayerKind.MaxPool, $"L{n}Out");
                    break;
            }
            w.Close();
            w.Line();
        }
    }

    // R_i = q_ij / d_j · R_j: the ratios s_j = R_j / d_j (zero where d_j = 0) overwrite the denominators, then go back through W.
    private static void EmitRatios(CodeWriter w, PlannedLayer l, params string[] denominators)
    {
        var n = l.Index;
        w.Line($"{Span} s = _d{n};");
        foreach (var line in denominators) w.Line(line);
        w.Line($"{K}.RelevanceKernel.Ratios(upper, s);");
    }

    // t = W's rows against the ratios (z^B: with W⁺'s too, in one pass), on two cores for a large layer. Where t is then
    // multiplied by x (z⁺, z), rows of zero inputs are skipped.
    private static void EmitBack(CodeWriter w, PlannedLayer l)
    {
        var n = l.Index;
        var mask = l.Rule is LayerRule.ZPlus or LayerRule.Z or LayerRule.Gamma ? $", x.Slice(0, L{n}In)" : "";
        if (Splits(l)) w.Line($"{K}.HelperThread.Run(_back{n}Job);");
        else if (l.Rule == LayerRule.ZBox) w.Line($"{K}.DenseKernel.BackPair(_p.W{n}, s, _t{n}, _u{n}, L{n}In, L{n}Out);");
        else w.Line($"{K}.DenseKernel.Back(_p.{BackMatrix(l)}{n}, s, _t{n}, L{n}In, L{n}Out{mask});");
    }

    private static void EmitDenseRelevance(CodeWriter w, PlannedLayer l)
    {
        var n = l.Index;
        var (inputs, outputs) = ($"L{n}In", $"L{n}Out");
        var lower = $"lower.Slice(0, {inputs})";
        var xs = $"x.Slice(0, {inputs})";
        switch (l.Rule)
        {
            case LayerRule.ZPlus:
                w.Line($"// d_j = Σ_i x_i w⁺_ij (+ b⁺_j as a neuron)");
                EmitRatios(w, l, $"global::System.MemoryExtensions.CopyTo(_p.BN{n}, s);", $"{K}.DenseKernel.Accumulate(x, _p.WP{n}, s, {inputs}, {outputs});");
                w.Line($"_layerBias[{n}] += {Tp}.Dot<float>(_p.BN{n}, s);");
                EmitBack(w, l);
                w.Line($"{Tp}.MultiplyAdd({xs}, _t{n}, {lower}, {lower});");
                break;
            case LayerRule.ZBox:
                w.Line("// d_j = Σ_i x_i w_ij − l w⁺_ij − h w⁻_ij = (z_j − b_j) − C_j (+ b⁺_j as a neuron)");
                EmitRatios(w, l, $"for (var j = 0; j < {outputs}; j++) s[j] = _a{n}[j] - _p.B{n}[j] - _p.C{n}[j] + _p.BN{n}[j];");
                w.Line($"_layerBias[{n}] += {Tp}.Dot<float>(_p.BN{n}, s);");
                EmitBack(w, l);
                w.Line("// R_i = x_i (Ws)_i − l (W⁺s)_i − h (W⁻s)_i = (x_i − h)(Ws)_i + (h − l)(W⁺s)_i");
                w.Line($"{K}.RelevanceKernel.BoxShares(x, _t{n}, _u{n}, Low, High, {lower}, accumulate: true);");
                break;
            case LayerRule.Z:
                w.Line("// d_j = z_j − b_j");
                EmitRatios(w, l, $"{Tp}.Subtract(_a{n}, _p.B{n}, s);");
                EmitBack(w, l);
                w.Line($"{Tp}.MultiplyAdd({xs}, _t{n}, {lower}, {lower});");
                break;
            case LayerRule.Gamma:
                w.Line("// d_j = Σ_i x_i (w_ij + γ w⁺_ij) where z_j − b_j ≥ 0, Σ_i x_i (w_ij + γ w⁻_ij) elsewhere, stabilised by ε");
                w.Line($"{Span} s = _d{n}, sn = _e{n};");
                w.Line("s.Clear();").Line("sn.Clear();");
                w.Line($"{K}.DenseKernel.Accumulate(x, _p.WG{n}, s, {inputs}, {outputs});");
                w.Line($"{K}.DenseKernel.Accumulate(x, _p.WGN{n}, sn, {inputs}, {outputs});");
                w.Line($"{K}.RelevanceKernel.GammaRatios(upper, _a{n}, _p.B{n}, 1, s, sn, {GammaEpsilon});");
                w.Line($"{K}.DenseKernel.Back(_p.WG{n}, s, _t{n}, {inputs}, {outputs}, {xs});");
                w.Line($"{Tp}.MultiplyAdd({xs}, _t{n}, {lower}, {lower});");
                w.Line($"{K}.DenseKernel.Back(_p.WGN{n}, sn, _t{n}, {inputs}, {outputs}, {xs});");
                w.Line($"{Tp}.MultiplyAdd({xs}, _t{n}, {lower}, {lower});");
                break;
            default:
                w.Line(l.Rule == LayerRule.Flat ? "// d_j = number of inputs" : "// d_j = Σ_i w_ij²");
                EmitRatios(w, l, $"global::System.MemoryExtensions.CopyTo(_p.N{n}, s);");
                EmitBack(w, l);
                w.Line($"{Tp}.Add({lower}, _t{n}, {lower});");
                break;
        }
    }

    private static void EmitConvRelevance(CodeWriter w, PlannedLayer l)
    {
        var n = l.Index;
        var g = $"G{n}";
        var gemm = $"{K}.ConvKernel.Multiply";
        // back = col(x) ⊙ (Vᵀ ratios), per tap: the share of each input of a rule whose terms are x times a weight.
        void InputShares(string transposed, string ratios)
        {
            w.Line($"{gemm}(_p.{transposed}{n}, {ratios}, _back{n}, {g}.K, {g}.M, {g}.P);");
            w.Line($"{Tp}.Multiply<float>(_back{n}, _col{n}, _back{n});");
        }
        switch (l.Rule)
        {
            case LayerRule.ZPlus:
                w.Line("// d = V⁺ · col(x) (+ b⁺ as neurons), col(x) as the forward pass made it");
                EmitRatios(w, l, $"{K}.ConvKernel.FromColumns({g}, _col{n}, _p.VP{n}, _p.BN{n}, s);");
                EmitConvBiasRelevance(w, n);
                InputShares("VPT", "s");
                break;
            case LayerRule.ZBox:
                w.Line("// d = (z − b) − C (+ b⁺ as neurons), C the bound terms summed over each position's in-image taps");
                EmitRatios(w, l, ChannelShift(l, $"_p.B{n}[o] - _p.BN{n}[o]"), $"{Tp}.Subtract(s, _p.C{n}, s);");
                EmitConvBiasRelevance(w, n);
                w.Line($"{gemm}(_p.VT{n}, s, _back{n}, {g}.K, {g}.M, {g}.P);");
                w.Line($"{gemm}(_p.VPT{n}, s, _back2{n}, {g}.K, {g}.M, {g}.P);");
                w.Line("// per tap: (x − h)(Vᵀs) + (h − l)(V⁺ᵀs); padded taps are dropped by col2im");
                w.Line($"{K}.RelevanceKernel.BoxShares(_col{n}, _back{n}, _back2{n}, Low, High, _back{n}, accumulate: false);");
                break;
            case LayerRule.Z:
                w.Line("// d = z − b");
                EmitRatios(w, l, ChannelShift(l, $"_p.B{n}[o]"));
                InputShares("VT", "s");
                break;
            case LayerRule.Gamma:
                w.Line("// d = (V + γV⁺) · col(x) where z − b ≥ 0, (V + γV⁻) · col(x) elsewhere, stabilised by ε; col(x) as the forward pass made it");
                w.Line($"{Span} s = _d{n}, sn = _e{n};");
                w.Line($"{K}.ConvKernel.FromColumns({g}, _col{n}, _p.VG{n}, default, s);");
                w.Line($"{K}.ConvKernel.FromColumns({g}, _col{n}, _p.VGN{n}, default, sn);");
                w.Line($"{K}.RelevanceKernel.GammaRatios(upper, _a{n}, _p.B{n}, {g}.P, s, sn, {GammaEpsilon});");
                InputShares("VGT", "s");
                w.Line($"{g}.Col2ImAdd(_back{n}, lower);");
                InputShares("VGNT", "sn");
                break;
            default:
                w.Line(l.Rule == LayerRule.Flat ? "// d = number of in-image taps" : "// d = Σ w² over in-image taps");
                EmitRatios(w, l, $"global::System.MemoryExtensions.CopyTo(_p.N{n}, s);");
                w.Line($"{gemm}(_p.VQT{n}, s, _back{n}, {g}.K, {g}.M, {g}.P);");
                break;
        }
        w.Line($"{g}.Col2ImAdd(_back{n}, lower);");
    }

    // s = z − c_o over each channel o's positions, c_o the channel's constant (a bias, or a bias less its positive part).
    private static string ChannelShift(PlannedLayer l, string channelConstant)
    {
        var (n, m, p) = (l.Index, l.OutShape[0], l.OutShape[1] * l.OutShape[2]);
        return $"for (var o = 0; o < {m}; o++) {Tp}.Subtract(new {ReadOnlySpan}(_a{n}, o * {p}, {p}), {channelConstant}, s.Slice(o * {p}, {p}));";
    }

    private static void EmitConvBiasRelevance(CodeWriter w, int n) =>
        w.Line($"for (var o = 0; o < G{n}.M; o++) _layerBias[{n}] += _p.BN{n}[o] * {Tp}.Sum(new {ReadOnlySpan}(_d{n}, o * G{n}.P, G{n}.P));");

    // A residual sum y = x + skip gives each addend the share x_i / y_i of R_i (count: the values, one input's or a batch's).
    private static void EmitAddRelevance(CodeWriter w, string skip, string skipLower, string count, bool writesSkip = false)
    {
        w.Line($"var skip = {skip};");
        w.Line($"var skipLower = {skipLower};");
        w.Open($"for (var i = 0; i < {count}; i++)");
        w.Line("var ratio = y[i] == 0f ? 0f : upper[i] / y[i];");
        w.Line("lower[i] += x[i] * ratio;");
        w.Line(writesSkip ? "skipLower[i] = skip[i] * ratio;" : "skipLower[i] += skip[i] * ratio;");
        w.Close();
    }

    // Proportional: R_i = x_i / Σ_window x · R_k; winner-take-all gives R_k to the window's first maximum. A vector is pooled
    // in groups, `groups` of them (one input's or a whole batch's: groups never straddle two inputs).
    private static void EmitPoolRelevance(CodeWriter w, PlannedLayer l, bool winnerTakesAll, string groups)
    {
        var vector = l.InShape.Length == 1;
        if (!vector && !winnerTakesAll)
        {
            w.Line($"{K}.PoolKernel.Proportional(x, upper, lower, {PoolShape(l)});");
            return;
        }
        if (vector)
        {
            w.Open($"for (var k = 0; k < {groups}; k++)");
            w.Line("var r = upper[k];").Line("if (r == 0f) continue;");
            w.Line($"var (first, end) = (k * {l.Size}, k * {l.Size} + {l.Size});");
        }
        else
        {
            var stride = l.Stride == 0 ? l.Size : l.Stride;
            w.Line($"const int C = {l.InShape[0]}, H = {l.InShape[1]}, W = {l.InShape[2]}, OH = {l.OutShape[1]}, OW = {l.OutShape[2]}, S = {stride}, Size = {l.Size};");
            w.Line("for (var ch = 0; ch < C; ch++)");
            w.Line("for (var oy = 0; oy < OH; oy++)");
            w.Open("for (var ox = 0; ox < OW; ox++)");
            w.Line("var r = upper[(ch * OH + oy) * OW + ox];").Line("if (r == 0f) continue;");
        }
        string Loop(string body) => vector
            ? $"for (var i = first; i < end; i++) {body}"
            : $"for (var iy = oy * S; iy < oy * S + Size; iy++) for (var ix = ox * S; ix < ox * S + Size; ix++) {{ var i = (ch * H + iy) * W + ix; {body} }}";
        if (winnerTakesAll)
        {
            w.Line(vector ? "var best = first;" : "var best = (ch * H + oy * S) * W + ox * S;");
            w.Line(Loop("if (x[i] > x[best]) best = i;"));
            w.Line("lower[best] += r;");
        }
        else
        {
            w.Line("var total = 0f;");
            w.Line(Loop("total += x[i];"));
            w.Line("if (total == 0f) continue;");
            w.Line("var ratio = r / total;");
            w.Line(Loop("lower[i] += x[i] * ratio;"));
        }
        w.Close();
    }
}
