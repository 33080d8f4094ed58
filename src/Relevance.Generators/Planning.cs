using System;
using System.Collections.Generic;
using System.Linq;
using Relevance.Declarations;

namespace Relevance.Generators;

/// <summary>Checks a declaration and plans it: shapes layer by layer, each linear layer's rule, and the diagnostics for what does not fit.</summary>
internal static class Planning
{
    public static NetworkPlan Plan(NetworkDeclaration d)
    {
        var diagnostics = new List<DiagnosticInfo>();
        void Report(string id, LocationInfo? at, params string[] args) => diagnostics.Add(new DiagnosticInfo(id, at, args.ToEquatableArray()));
        NetworkPlan Done(IEnumerable<PlannedLayer> layers) =>
            new(d.Namespace, d.TypeName, d.InputShape, d.Low, d.High, d.BiasRelevance, d.MaxPool, layers.ToEquatableArray(), diagnostics.ToEquatableArray());

        if (!d.IsPartialRecord) Report(Descriptors.NotPartialRecord.Id, d.TypeLocation, d.TypeName);
        else if (d.NotConstructible is not null) Report(Descriptors.NotConstructible.Id, d.TypeLocation, d.TypeName, d.NotConstructible);
        if (d.IsNestedOrGeneric)
            Report(Descriptors.Unsupported.Id, d.TypeLocation, $"Network '{d.TypeName}' must be a non-generic record declared directly in a namespace");
        if (d.Layers.Length == 0) Report(Descriptors.EmptyNetwork.Id, d.NetworkLocation, d.TypeName);
        if (d.InputShape.Length is not (1 or 3) || d.InputShape.Any(x => x <= 0))
        {
            Report(Descriptors.InvalidArgument.Id, d.NetworkLocation,
                $"The input shape {Format(d.InputShape)} must be [N] or [C, H, W] with positive sizes");
            return Done([]);
        }
        if (d.Low is not null || d.High is not null)
        {
            var (l, h) = (d.Low ?? 0, d.High ?? 0);
            if (double.IsNaN(l) || double.IsInfinity(l) || double.IsNaN(h) || double.IsInfinity(h) || l > 0 || h < 0 || (d.Low is not null && d.High is not null && l >= h))
                Report(Descriptors.InvalidBounds.Id, d.NetworkLocation, Number(d.Low), Number(d.High));
        }
        // BiasTreatment.Zennit (2) is for comparing with Zennit through the engine; generated code has no kernels for it.
        if (d.BiasRelevance == 2)
            Report(Descriptors.Unsupported.Id, d.NetworkLocation, "BiasRelevance = BiasTreatment.Zennit is not supported by generated explainers; explain with the engine (Explainer) to compare with Zennit");
        else if (!Enum.IsDefined(typeof(LayerRule), d.FirstRule) || !Enum.IsDefined(typeof(LayerRule), d.Rule) || d.BiasRelevance is not (0 or 1) || d.MaxPool is not (0 or 1))
            Report(Descriptors.InvalidArgument.Id, d.NetworkLocation, "A rule or option of [Network] is not one of its enum's values");

        var planned = new List<PlannedLayer>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var nonNegative = new List<bool>();
        var shape = d.InputShape;
        var inputNonNegative = d.Low is >= 0;
        var linear = 0;
        for (var n = 0; n < d.Layers.Length; n++)
        {
            var layer = d.Layers[n];
            var name = layer.Name ?? $"{layer.Kind}{n}";
            var at = layer.Location;
            var from = n == 0 ? "the input" : $"the output of '{planned[n - 1].Name}'";
            if (name.Length == 0 || name == "input" || names.ContainsKey(name))
            {
                Report(Descriptors.InvalidArgument.Id, at, $"Layer name '{name}' is empty, reserved or already used");
                return Done([]);
            }
            var (outShape, problem, argument) = Infer(layer, shape);
            if (argument is not null)
            {
                Report(Descriptors.InvalidArgument.Id, at, $"Layer '{name}' ({layer.Kind}): {argument}");
                return Done([]);
            }
            var skip = -1;
            var outNonNegative = layer.Kind switch
            {
                LayerKind.Dense or LayerKind.Conv2d => false,
                LayerKind.ReLU => true,
                _ => inputNonNegative,
            };
            if (layer.Kind == LayerKind.Add)
            {
                if (layer.Skip is null || !names.TryGetValue(layer.Skip, out skip))
                {
                    Report(Descriptors.InvalidArgument.Id, at, $"Layer '{name}' (Add) adds '{layer.Skip}', which is not an earlier layer");
                    return Done([]);
                }
                if (!planned[skip].OutShape.Equals(shape))
                    problem = $"the skip connection from '{layer.Skip}' gives {Format(planned[skip].OutShape)}, and both addends must have the same shape";
                outNonNegative = inputNonNegative && nonNegative[skip];
            }
            if (problem is not null)
            {
                Report(Descriptors.ShapeMismatch.Id, at, name, layer.Kind.ToString(), from, Format(shape), problem);
                return Done([]);
            }
            var rule = LayerRule.Default;
            if (layer.Kind is LayerKind.Dense or LayerKind.Conv2d)
            {
                rule = (LayerRule)(layer.Rule != 0 ? layer.Rule : linear == 0 ? d.FirstRule : d.Rule);
                if (!Enum.IsDefined(typeof(LayerRule), rule) || !Enum.IsDefined(typeof(BiasConstraint), layer.Bias))
                    Report(Descriptors.InvalidArgument.Id, at, $"Layer '{name}': its rule or bias constraint is not one of the enum's values");
                else if (rule == LayerRule.ZPlus && !inputNonNegative)
                    Report(Descriptors.NegativeInput.Id, at, name, from);
                else if (rule == LayerRule.ZBox && linear != 0)
                    Report(Descriptors.Unsupported.Id, at,
                        $"Layer '{name}' uses z^B, which is supported on the first Dense/Conv2d layer only: its box is the network's input box");
                else if (rule == LayerRule.ZBox && (d.Low is null || d.High is null))
                    Report(Descriptors.MissingBounds.Id, d.NetworkLocation ?? at, name);
                else if (rule == LayerRule.Gamma && !inputNonNegative)
                    Report(Descriptors.Unsupported.Id, at,
                        $"Layer '{name}' uses γ on an input that can be negative; generated code takes γ where the input is ≥ 0 (after a ReLU, or a box with Low ≥ 0), the engine (Explainer) anywhere");
                linear++;
            }
            planned.Add(new PlannedLayer(n, name, layer.Kind, shape, outShape, layer.Size, layer.Kernel,
                layer.Stride, layer.Padding, rule, (BiasConstraint)layer.Bias, skip, layer.Kind is LayerKind.Dense or LayerKind.Conv2d ? linear - 1 : -1, inputNonNegative));
            names.Add(name, n);
            nonNegative.Add(outNonNegative);
            shape = outShape;
            inputNonNegative = outNonNegative;
        }
        var plan = Done(planned);
        if (plan.HasErrors || d.Members.Length == 0) return plan;
        var generated = GeneratedMembers(plan);
        foreach (var m in d.Members.Where(m => generated.TryGetValue(m.Name, out var isMethod) && !(isMethod && m.IsMethod)))
            Report(Descriptors.MemberClash.Id, m.Location ?? d.TypeLocation, d.TypeName, m.Name);
        return Done(planned);
    }

    // The members the emitted code declares on the record (name → whether it is a method), read back from its syntax.
    private static Dictionary<string, bool> GeneratedMembers(NetworkPlan plan)
    {
        var root = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(Emitter.Emit(plan)).GetRoot();
        var type = root.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax>().First(t => t.Identifier.Text == plan.TypeName);
        var members = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var member in type.Members)
            switch (member)
            {
                case Microsoft.CodeAnalysis.CSharp.Syntax.BaseFieldDeclarationSyntax field:
                    foreach (var v in field.Declaration.Variables) members[v.Identifier.Text] = false;
                    break;
                case Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax property:
                    members[property.Identifier.Text] = false;
                    break;
                case Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax method:
                    members[method.Identifier.Text] = !members.ContainsKey(method.Identifier.Text) || members[method.Identifier.Text];
                    break;
                case Microsoft.CodeAnalysis.CSharp.Syntax.BaseTypeDeclarationSyntax nested:
                    members[nested.Identifier.Text] = false;
                    break;
            }
        return members;
    }

    // The output shape, or why the input does not fit (problem), or why an argument is invalid (argument).
    private static (EquatableArray<int> Shape, string? Problem, string? Argument) Infer(LayerDeclaration layer, EquatableArray<int> input)
    {
        var none = EquatableArray<int>.Empty;
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                if (layer.Size <= 0) return (none, null, $"the number of outputs must be positive, got {layer.Size}");
                return input.Length == 1 ? (Shape(layer.Size), null, null) : (none, "Dense takes a vector; add [Flatten] before it", null);
            case LayerKind.Conv2d:
            {
                if (layer.Size <= 0 || layer.Kernel <= 0 || layer.Stride <= 0 || layer.Padding < 0)
                    return (none, null, $"channels {layer.Size}, kernel {layer.Kernel} and stride {layer.Stride} must be positive and padding {layer.Padding} non-negative");
                if (input.Length != 3) return (none, "Conv2d takes a [C, H, W] image", null);
                var (h, w) = (input[1] + 2 * layer.Padding, input[2] + 2 * layer.Padding);
                if (h < layer.Kernel || w < layer.Kernel)
                    return (none, $"the {layer.Kernel}×{layer.Kernel} kernel does not fit a {input[1]}×{input[2]} image with padding {layer.Padding}", null);
                return (Shape(layer.Size, (h - layer.Kernel) / layer.Stride + 1, (w - layer.Kernel) / layer.Stride + 1), null, null);
            }
            case LayerKind.SumPool or LayerKind.AvgPool or LayerKind.MaxPool:
            {
                var stride = layer.Stride == 0 ? layer.Size : layer.Stride;
                if (layer.Size <= 0 || stride <= 0) return (none, null, $"the window {layer.Size} and stride {stride} must be positive");
                if (input.Length == 1)
                {
                    if (stride != layer.Size) return (none, null, "over a vector, pooling takes groups: the stride must equal the size");
                    return input[0] % layer.Size == 0
                        ? (Shape(input[0] / layer.Size), null, null)
                        : (none, $"{input[0]} values do not split into groups of {layer.Size}", null);
                }
                if (input[1] < layer.Size || input[2] < layer.Size)
                    return (none, $"the {layer.Size}×{layer.Size} window does not fit a {input[1]}×{input[2]} image", null);
                return (Shape(input[0], (input[1] - layer.Size) / stride + 1, (input[2] - layer.Size) / stride + 1), null, null);
            }
            case LayerKind.Flatten:
                return (Shape(input.Aggregate(1, (a, b) => a * b)), null, null);
            case LayerKind.Sum:
                return (Shape(1), null, null);
            default:
                return (input, null, null);
        }
    }

    private static EquatableArray<int> Shape(params int[] dims) => dims.ToEquatableArray();

    public static string Format(EquatableArray<int> shape) => "[" + string.Join("×", shape) + "]";

    private static string Number(double? value) =>
        value is null ? "(not set)" : value.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
