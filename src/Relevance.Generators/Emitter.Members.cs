using System.Linq;
using Relevance.Declarations;

namespace Relevance.Generators;

internal static partial class Emitter
{
    private static string RuleExpression(LayerRule rule) => rule switch
    {
        LayerRule.WSquare => "global::Relevance.Rules.WSquare",
        LayerRule.Z => "global::Relevance.Rules.Z",
        LayerRule.ZPlus => "global::Relevance.Rules.ZPlus",
        LayerRule.ZBox => "global::Relevance.Rules.ZBox(Low, High)",
        LayerRule.Gamma => "global::Relevance.Rules.Gamma()",
        _ => "global::Relevance.Rules.Flat",
    };

    private static void EmitStatics(CodeWriter w, NetworkPlan plan)
    {
        var names = string.Join(", ", plan.Layers.Select(l => Literals.String(l.Name)));
        w.Line($"private static readonly global::Relevance.Shape s_inputShape = global::Relevance.Shape.Of({string.Join(", ", plan.InputShape)});");
        w.Line($"private static readonly global::System.Collections.Immutable.ImmutableArray<string> s_layerNames = global::System.Collections.Immutable.ImmutableArray.Create({names});");
        w.Line();
        w.Line("/// <inheritdoc />").Line("public static global::Relevance.Shape InputShape => s_inputShape;");
        w.Line("/// <inheritdoc />").Line("public static int OutputLength => OutputSize;");
        w.Line("/// <inheritdoc />").Line("public static global::System.Collections.Immutable.ImmutableArray<string> LayerNames => s_layerNames;");
        w.Line("/// <inheritdoc />");
        w.Line($"public static global::System.Collections.Immutable.ImmutableArray<{K}.ParameterSize> ParameterSizes {{ get; }} = global::System.Collections.Immutable.ImmutableArray.Create(");
        var linear = plan.Layers.Where(l => l.IsLinear).ToArray();
        for (var i = 0; i < linear.Length; i++)
        {
            var l = linear[i];
            var fanIn = l.Kind == LayerKind.Dense ? l.InSize : l.InShape[0] * l.Kernel * l.Kernel;
            var bias = l.Bias == BiasConstraint.None ? 0 : l.Kind == LayerKind.Dense ? l.OutSize : l.Size;
            w.Line($"    new {K}.ParameterSize({Literals.String(l.Name)}, {fanIn * (l.Kind == LayerKind.Dense ? l.OutSize : l.Size)}, {bias}, {fanIn}){(i < linear.Length - 1 ? "," : ");")}");
        }
        w.Line("/// <inheritdoc />");
        w.Line("public static global::Relevance.Composite Composite { get; } = global::Relevance.Composite.PerLayer(new global::System.Collections.Generic.Dictionary<string, global::Relevance.Rule>");
        w.Line("{");
        foreach (var l in plan.Layers.Where(l => l.IsLinear))
            w.Line($"    [{Literals.String(l.Name)}] = {RuleExpression(l.Rule)},");
        w.Line("});");
        w.Line("/// <inheritdoc />");
        w.Line($"public static global::Relevance.ExplainOptions Options {{ get; }} = new(global::Relevance.PoolingRedistribution.{(plan.MaxPool == 1 ? "WinnerTakeAll" : "Proportional")}, global::Relevance.BiasTreatment.{(plan.BiasRelevance == 1 ? "Ignore" : "Neuron")});");
        w.Line();
    }

    private static void EmitParameters(CodeWriter w, NetworkPlan plan)
    {
        var linear = plan.Layers.Where(l => l.IsLinear).ToArray();
        w.Line("// The bound weights and the weight-only matrices each rule needs, computed once per binding and shared by workspaces.");
        w.Open("private sealed class Parameters");
        foreach (var l in linear)
            w.Line($"public readonly float[] {string.Join(", ", Arrays(l, plan))};");
        w.Line();
        w.Open($"public Parameters(global::System.ReadOnlySpan<{K}.LayerParameters> parameters)");
        w.Line("if (parameters.Length != LinearCount)");
        w.Line($"    throw new global::System.ArgumentException($\"{plan.TypeName} binds {{LinearCount}} Dense/Conv2d layers, got {{parameters.Length}}.\", nameof(parameters));");
        foreach (var l in linear)
        {
            var n = l.Index;
            var (weights, outs, dims) = l.Kind == LayerKind.Dense
                ? ($"L{n}In * L{n}Out", $"L{n}Out", $"[L{n}In, L{n}Out]")
                : ($"G{n}.M * G{n}.K", $"G{n}.M", $"[G{n}.M, {l.InShape[0]}, {l.Kernel}, {l.Kernel}]");
            w.Line($"var p{n} = {K}.Weights.Check({Literals.String(l.Name)}, parameters[{l.Linear}], {weights}, {outs}, global::Relevance.Declarations.BiasConstraint.{l.Bias}, {dims});");
            w.Line($"W{n} = p{n}.Weights;");
            w.Line($"B{n} = p{n}.Bias;");
            if (ShiftsInput(l, plan)) w.Line($"BL{n} = {K}.DenseKernel.ShiftedBias(B{n}, W{n}, L{n}In, L{n}Out, Low);");
            var bn = plan.BiasRelevance == 1 ? $"new float[{outs}]" : $"{K}.Weights.Positive(B{n})";
            const string bounds = "static w => w > 0 ? Low * w : High * w";
            if (l.Kind == LayerKind.Dense)
            {
                switch (l.Rule)
                {
                    case LayerRule.ZPlus:
                        w.Line($"WP{n} = {K}.Weights.Positive(W{n});").Line($"BN{n} = {bn};");
                        break;
                    case LayerRule.ZBox:
                        w.Line($"C{n} = {K}.DenseKernel.ColumnSums(W{n}, L{n}In, L{n}Out, {bounds});");
                        w.Line($"BN{n} = {bn};");
                        if (Splits(l)) w.Line($"WT{n} = {K}.Weights.Transpose(W{n}, L{n}In, L{n}Out);");
                        break;
                    case LayerRule.WSquare:
                        w.Line($"WQ{n} = {K}.Weights.Square(W{n});");
                        w.Line($"N{n} = {K}.DenseKernel.ColumnSums(W{n}, L{n}In, L{n}Out, static w => w * w);");
                        break;
                    case LayerRule.Flat:
                        w.Line($"WQ{n} = {K}.Weights.Ones(L{n}In * L{n}Out);");
                        w.Line($"N{n} = {K}.DenseKernel.ColumnSums(W{n}, L{n}In, L{n}Out, static w => 1f);");
                        break;
                    case LayerRule.Gamma:
                        w.Line($"WG{n} = {K}.Weights.Map(W{n}, {GammaUp});");
                        w.Line($"WGN{n} = {K}.Weights.Map(W{n}, {GammaDown});");
                        break;
                }
                continue;
            }
            switch (l.Rule)
            {
                case LayerRule.ZPlus:
                    w.Line($"VP{n} = {K}.Weights.Positive(W{n});");
                    w.Line($"VPT{n} = {K}.Weights.Transpose(VP{n}, G{n}.M, G{n}.K);");
                    w.Line($"BN{n} = {bn};");
                    break;
                case LayerRule.ZBox:
                    w.Line($"VT{n} = {K}.Weights.Transpose(W{n}, G{n}.M, G{n}.K);");
                    w.Line($"VPT{n} = {K}.Weights.Transpose({K}.Weights.Positive(W{n}), G{n}.M, G{n}.K);");
                    w.Line($"C{n} = {K}.ConvKernel.PositionSums(G{n}, {K}.Weights.Map(W{n}, {bounds}));");
                    w.Line($"BN{n} = {bn};");
                    break;
                case LayerRule.Z:
                    w.Line($"VT{n} = {K}.Weights.Transpose(W{n}, G{n}.M, G{n}.K);");
                    break;
                case LayerRule.WSquare:
                    w.Line($"VQT{n} = {K}.Weights.Transpose({K}.Weights.Square(W{n}), G{n}.M, G{n}.K);");
                    w.Line($"N{n} = {K}.ConvKernel.PositionSums(G{n}, {K}.Weights.Square(W{n}));");
                    break;
                case LayerRule.Flat:
                    w.Line($"VQT{n} = {K}.Weights.Ones(G{n}.M * G{n}.K);");
                    w.Line($"N{n} = {K}.ConvKernel.PositionSums(G{n}, VQT{n});");
                    break;
                case LayerRule.Gamma:
                    w.Line($"VG{n} = {K}.Weights.Map(W{n}, {GammaUp});");
                    w.Line($"VGT{n} = {K}.Weights.Transpose(VG{n}, G{n}.M, G{n}.K);");
                    w.Line($"VGN{n} = {K}.Weights.Map(W{n}, {GammaDown});");
                    w.Line($"VGNT{n} = {K}.Weights.Transpose(VGN{n}, G{n}.M, G{n}.K);");
                    break;
            }
        }
        w.Close();
        w.Close();
        w.Line();
    }

    // γ's weights on an input ≥ 0, w + γw⁺ for the outputs with Σ x w ≥ 0 and w + γw⁻ for the others, and its stabiliser:
    // Rules.Gamma()'s defaults (LayerRule.Gamma).
    private const string GammaUp = "static w => w + 0.25f * global::System.Math.Max(0f, w)";
    private const string GammaDown = "static w => w + 0.25f * global::System.Math.Min(0f, w)";
    private const string GammaEpsilon = "1e-6f";

    // W, B and what the rule adds: W⁺ (WP), bounds constants (C), bias neurons (BN), w² or ones (WQ) with their sums (N),
    // W + γW⁺ (WG, VG), and for convolutions the transposed matrices of the backward product (VT, VPT, VQT, VGT).
    // A dense layer on the network's input, when the box's lower bound is not 0, accumulates (x − l) from b + l·Σ_i W_i:
    // the background pixels at l then cost nothing.
    private static bool ShiftsInput(PlannedLayer l, NetworkPlan plan) =>
        l.Kind == LayerKind.Dense && l.Index == 0 && plan.Low is { } low && low != 0 && plan.High is not null;

    private static string[] Arrays(PlannedLayer l, NetworkPlan plan)
    {
        var n = l.Index;
        var dense = l.Kind == LayerKind.Dense;
        var extra = l.Rule switch
        {
            LayerRule.ZPlus => dense ? new[] { "WP", "BN" } : new[] { "VP", "VPT", "BN" },
            LayerRule.ZBox => dense ? (Splits(l) ? new[] { "C", "BN", "WT" } : new[] { "C", "BN" }) : new[] { "VT", "VPT", "C", "BN" },
            LayerRule.Z => dense ? new string[0] : new[] { "VT" },
            LayerRule.Gamma => dense ? new[] { "WG", "WGN" } : new[] { "VG", "VGT", "VGN", "VGNT" },
            _ => dense ? new[] { "WQ", "N" } : new[] { "VQT", "N" },
        };
        var shifted = ShiftsInput(l, plan) ? new[] { "BL" } : new string[0];
        return new[] { "W", "B" }.Concat(shifted).Concat(extra).Select(a => a + n).ToArray();
    }

    private static void EmitWorkspace(CodeWriter w, NetworkPlan plan)
    {
        w.Line("// The workspace: every buffer a pass needs, allocated once per instance, so a steady-state explanation allocates nothing.");
        w.Line("private readonly Parameters _p;");
        foreach (var l in plan.Layers)
        {
            var fields = Buffers(l).Select(b => b.Name);
            w.Line($"private readonly float[] {string.Join(", ", fields)};");
        }
        foreach (var l in plan.Layers.Where(Splits))
            w.Line($"private readonly {K}.RowJob _back{l.Index}Job;");
        w.Line("private readonly float[] _layerSums = new float[LayerCount];");
        w.Line("private readonly float[] _layerBias = new float[LayerCount];");
        w.Line($"private readonly {K}.LayerMeasure[] _layerMeasures = new {K}.LayerMeasure[LayerCount];");
        w.Line("private int _target = -1;");
        w.Line();
        w.Open($"private {plan.TypeName}(Parameters p)");
        w.Line("_p = p;");
        foreach (var l in plan.Layers)
            foreach (var (name, size) in Buffers(l))
                w.Line($"{name} = new float[{size}];");
        foreach (var l in plan.Layers.Where(Splits))
        {
            var n = l.Index;
            w.Line(l.Rule == LayerRule.ZBox
                ? $"_back{n}Job = new {K}.DenseKernel.SparseBackPairJob(p.WT{n}, _d{n}, _t{n}, _u{n}, L{n}In, L{n}Out);"
                : $"_back{n}Job = new {K}.DenseKernel.BackJob(p.{BackMatrix(l)}{n}, _d{n}, _t{n}, L{n}In, L{n}Out);");
        }
        w.Close();
        w.Line();
    }

    // A large dense layer's backward product is split across two cores (HelperThread): its halves then stay in two L2 caches.
    // γ's two backward products stay on the calling thread.
    private static bool Splits(PlannedLayer l) => l.Kind == LayerKind.Dense && l.Rule != LayerRule.Gamma && (long)l.InSize * l.OutSize >= 1 << 17;

    private static string BackMatrix(PlannedLayer l) => l.Rule switch
    {
        LayerRule.ZPlus => "WP",
        LayerRule.Z or LayerRule.ZBox => "W",
        LayerRule.Gamma => "WG",
        _ => "WQ",
    };

    private static (string Name, string Size)[] Buffers(PlannedLayer l)
    {
        var n = l.Index;
        var list = new System.Collections.Generic.List<(string, string)> { ($"_a{n}", $"L{n}Out"), ($"_r{n}", $"L{n}Out") };
        if (l.Kind == LayerKind.Add) list.Add(($"_rs{n}", $"L{n}Out"));
        if (l.Kind == LayerKind.Dense)
        {
            list.Add(($"_d{n}", $"L{n}Out"));
            list.Add(($"_t{n}", $"L{n}In"));
            if (l.Rule == LayerRule.ZBox) list.Add(($"_u{n}", $"L{n}In"));
            if (l.Rule == LayerRule.Gamma) list.Add(($"_e{n}", $"L{n}Out"));
        }
        else if (l.Kind == LayerKind.Conv2d)
        {
            list.Add(($"_d{n}", $"L{n}Out"));
            list.Add(($"_col{n}", $"G{n}.K * G{n}.P"));
            list.Add(($"_back{n}", $"G{n}.K * G{n}.P"));
            if (l.Rule == LayerRule.ZBox) list.Add(($"_back2{n}", $"G{n}.K * G{n}.P"));
            if (l.Rule == LayerRule.Gamma) list.Add(($"_e{n}", $"L{n}Out"));
        }
        return list.ToArray();
    }
}
