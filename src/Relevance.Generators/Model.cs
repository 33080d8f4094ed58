using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Relevance.Declarations;

namespace Relevance.Generators;

// The pipeline's models: plain data with value equality. No ISymbol, SyntaxNode, Location, SemanticModel or Compilation
// is kept, so an unchanged declaration compares equal across compilations and the generator's steps stay cached.

/// <summary>Where a diagnostic points, as data.</summary>
internal sealed record LocationInfo(string Path, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public Location ToLocation() => Location.Create(Path, Span, LineSpan);
}

/// <summary>A diagnostic to report, as data.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments);

internal enum LayerKind { Dense, Conv2d, ReLU, SumPool, AvgPool, MaxPool, Flatten, Sum, Add }

/// <summary>One layer attribute as written.</summary>
internal sealed record LayerDeclaration(
    LayerKind Kind, int Size, int Kernel, int Stride, int Padding, int Rule, int Bias, string? Name, string? Skip, LocationInfo? Location);

/// <summary>A <c>[Network]</c> record as written.</summary>
/// <summary>A member the user declared on a network record: its name, whether it is a method (methods may overload), and where.</summary>
internal sealed record UserMember(string Name, bool IsMethod, LocationInfo? Location);

internal sealed record NetworkDeclaration(
    string? Namespace, string TypeName, bool IsPartialRecord, bool IsNestedOrGeneric, string? NotConstructible, EquatableArray<UserMember> Members,
    EquatableArray<int> InputShape, double? Low, double? High, int FirstRule, int Rule, int BiasRelevance, int MaxPool,
    EquatableArray<LayerDeclaration> Layers, LocationInfo? TypeLocation, LocationInfo? NetworkLocation);

/// <summary>A layer with its shapes and resolved rule.</summary>
internal sealed record PlannedLayer(
    int Index, string Name, LayerKind Kind, EquatableArray<int> InShape, EquatableArray<int> OutShape,
    int Size, int Kernel, int Stride, int Padding, LayerRule Rule, BiasConstraint Bias, int Skip, int Linear, bool InputNonNegative)
{
    public int InSize => Product(InShape);
    public int OutSize => Product(OutShape);
    public bool IsLinear => Kind is LayerKind.Dense or LayerKind.Conv2d;

    private static int Product(EquatableArray<int> shape)
    {
        var n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }
}

/// <summary>What the emitter needs, or the diagnostics that stop it.</summary>
internal sealed record NetworkPlan(
    string? Namespace, string TypeName, EquatableArray<int> InputShape, double? Low, double? High,
    int BiasRelevance, int MaxPool, EquatableArray<PlannedLayer> Layers, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => Descriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error);
    public string HintName => (Namespace is null ? "" : Namespace + ".") + TypeName + ".g.cs";
}
