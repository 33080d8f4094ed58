using System.Linq;
using Relevance.Declarations;

namespace Relevance.Generators;

internal static partial class Emitter
{
    private static void EmitApi(CodeWriter w, NetworkPlan plan)
    {
        var self = plan.TypeName;
        var layers = plan.Layers;
        var last = layers[layers.Length - 1].Index;
        var linear = layers.Where(l => l.IsLinear).ToArray();

        w.Line("/// <inheritdoc />");
        w.Line($"public static {self} Bind(global::System.ReadOnlySpan<{K}.LayerParameters> parameters) => new(new Parameters(parameters));");
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Open($"public static {self} FromNetwork(global::Relevance.Network network)");
        w.Line($"var layers = {K}.Binding.LinearLayers(network, LinearCount, {Literals.String(self)});");
        w.Line("if (network.InputShape.Size != InputSize)");
        w.Line($"    throw new global::Relevance.ShapeMismatchException(\"input\", $\"{self} takes {{InputSize}} input values; the network takes {{network.InputShape}}.\");");
        w.Line($"return Bind(new {K}.LayerParameters[]");
        w.Line("{");
        foreach (var l in linear)
            w.Line(l.Kind == LayerKind.Dense
                ? $"    {K}.Binding.Dense(layers[{l.Linear}], {Literals.String(l.Name)}, L{l.Index}In, L{l.Index}Out),"
                : $"    {K}.Binding.Conv2d(layers[{l.Linear}], {Literals.String(l.Name)}, {l.InShape[0]}, {l.Size}, {l.Kernel}, {l.Stride}, {l.Padding}),");
        w.Line("});");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc />").Line($"public {self} WithNewWorkspace() => new(_p);");
        w.Line("/// <inheritdoc />").Line("public global::System.ReadOnlySpan<float> LayerRelevance => _layerSums;");
        w.Line("/// <inheritdoc />").Line($"public float BiasRelevance => {Tp}.Sum<float>(_layerBias);");
        w.Line("/// <inheritdoc />").Line($"public global::System.ReadOnlySpan<{K}.LayerMeasure> LayerMeasures => _layerMeasures;");
        w.Line("/// <inheritdoc />").Line("public global::System.ReadOnlySpan<float> LayerBiasRelevance => _layerBias;");
        w.Line("/// <inheritdoc />").Line($"public global::System.ReadOnlySpan<float> Outputs => _a{last};");
        w.Line("/// <inheritdoc />").Line("public int Target => _target;");
        w.Line();

        w.Line("/// <inheritdoc />");
        w.Open($"public void Forward({ReadOnlySpan} input, {Span} output)");
        w.Line($"{K}.InputChecks.RequireFinite(input, InputSize, {Literals.String(self)});");
        w.Line($"{K}.InputChecks.RequireLength(output.Length, OutputSize, \"output\");");
        w.Line("RunForward(input);");
        w.Line($"global::System.MemoryExtensions.CopyTo(_a{last}, output);");
        w.Close();
        w.Line();

        w.Line("/// <inheritdoc />");
        w.Open($"public float Explain({ReadOnlySpan} input, {Span} heatmap, int target = -1)");
        w.Line("CheckInput(input);");
        w.Line($"{K}.InputChecks.RequireLength(heatmap.Length, InputSize, \"heatmap\");");
        w.Line("RunForward(input);");
        foreach (var l in linear.Where(ChecksNonNegativeAtRunTime))
            w.Line($"{K}.InputChecks.RequireInBox({Input(l)}, 0f, float.PositiveInfinity, {Literals.String(l.Name)}, \"z⁺\");");
        w.Line($"var k = target < 0 ? {Tp}.IndexOfMax<float>(_a{last}) : target;");
        w.Line("if (k >= OutputSize)");
        w.Line($"    throw new global::System.ArgumentOutOfRangeException(nameof(target), $\"{self} has {{OutputSize}} outputs; target {{k}} does not exist.\");");
        w.Line($"var f = _a{last}[k];");
        w.Line("heatmap.Slice(0, InputSize).Clear();");
        foreach (var l in layers) w.Line($"global::System.Array.Clear(_r{l.Index});");
        w.Line($"_r{last}[k] = f;");
        w.Line("global::System.Array.Clear(_layerBias);");
        // Each layer's relevance is complete when its turn comes (the Adds above have added their skip shares); what it passes
        // down is measured alone, before anything else is added to that buffer.
        foreach (var l in layers.Reverse())
        {
            foreach (var a in layers.Where(a => a.Kind == LayerKind.Add && a.Skip == l.Index))
                w.Line($"{Tp}.Add(_r{l.Index}, _rs{a.Index}, _r{l.Index});");
            w.Line($"var in{l.Index} = global::Relevance.Relevances.Measure(_r{l.Index}).Sum;");
            w.Line($"Relevance{l.Index}({Input(l)}, {Lower(l)});");
            var passed = $"global::Relevance.Relevances.Measure({(l.Index == 0 ? "heatmap.Slice(0, InputSize)" : Lower(l))})";
            w.Line(l.Kind == LayerKind.Add
                ? $"_layerMeasures[{l.Index}] = {K}.LayerMeasure.Of(in{l.Index}, {passed}, global::Relevance.Relevances.Measure(_rs{l.Index}));"
                : $"_layerMeasures[{l.Index}] = {K}.LayerMeasure.Of(in{l.Index}, {passed});");
            w.Line($"_layerSums[{l.Index}] = (float)in{l.Index};");
        }
        w.Line("_target = k;");
        w.Line("return f;");
        w.Close();
        w.Line();

        if (Batched(plan)) EmitBatchApi(w, plan);
        else EmitBatchLoops(w, self);
        w.Open($"private static void CheckInput({ReadOnlySpan} input)");
        w.Line($"{K}.InputChecks.RequireFinite(input, InputSize, {Literals.String(self)});");
        if (plan.Low is not null || plan.High is not null)
            w.Line($"{K}.InputChecks.RequireInBox(input, {(plan.Low is null ? "float.NegativeInfinity" : "Low")}, {(plan.High is null ? "float.PositiveInfinity" : "High")}, {Literals.String(linear.Length > 0 ? linear[0].Name : layers[0].Name)}, \"the declared input box\");");
        w.Close();
        w.Line();
        w.Line("private static int BatchSize(int values) => values > 0 && values % InputSize == 0");
        w.Line("    ? values / InputSize");
        w.Line($"    : throw new global::Relevance.InvalidInputException($\"{self} takes inputs of {{InputSize}} values; a batch of {{values}} values is not a whole number of them.\");");
        w.Line();
    }
}
