using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Relevance.Generators;

/// <summary>Reads a <c>[Network]</c> record's attributes into a <see cref="NetworkDeclaration"/>: syntax and symbols in, data out.</summary>
internal static class Parsing
{
    public const string DeclarationsNamespace = "Relevance.Declarations";
    public const string NetworkAttribute = DeclarationsNamespace + ".NetworkAttribute";

    public static NetworkDeclaration Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        Parse((INamedTypeSymbol)context.TargetSymbol, (TypeDeclarationSyntax)context.TargetNode, context.Attributes[0], cancellationToken);

    /// <summary>The [Network] attribute of a type, if it has one.</summary>
    public static AttributeData? NetworkAttributeOf(INamedTypeSymbol type) =>
        type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkAttribute);

    public static NetworkDeclaration Parse(INamedTypeSymbol type, TypeDeclarationSyntax syntax, AttributeData network, CancellationToken cancellationToken)
    {
        var isPartialRecord = syntax is RecordDeclarationSyntax record
            && !record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword)
            && syntax.Modifiers.Any(SyntaxKind.PartialKeyword);
        var shape = network.ConstructorArguments.Length == 1 && network.ConstructorArguments[0].Kind == TypedConstantKind.Array
            ? network.ConstructorArguments[0].Values.Select(v => v.Value is int i ? i : 0)
            : Enumerable.Empty<int>();
        var named = Named(network);
        var layers = new List<LayerDeclaration>();
        foreach (var attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Layer(attribute, cancellationToken) is { } layer) layers.Add(layer);
        }
        return new NetworkDeclaration(
            type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            type.Name,
            isPartialRecord,
            type.ContainingType is not null || type.IsGenericType,
            type.IsAbstract ? "abstract" : syntax is RecordDeclarationSyntax { ParameterList: not null } ? "a positional record (it has a parameter list)" : null,
            Members(type, cancellationToken).ToEquatableArray(),
            shape.ToEquatableArray(),
            named.TryGetValue("Low", out var low) ? low.Value as double? : null,
            named.TryGetValue("High", out var high) ? high.Value as double? : null,
            Int(named, "FirstRule", 4),
            Int(named, "Rule", 3),
            Int(named, "BiasRelevance", 0),
            Int(named, "MaxPool", 0),
            layers.ToEquatableArray(),
            LocationInfo.From(syntax.Identifier.GetLocation()),
            LocationInfo.From(network.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()));
    }

    // What the user wrote in the record's body, not what the compiler adds to every record; in the generator the
    // compilation holds no generated code, in the analyzer the generated trees are told apart by their path.
    private static IEnumerable<UserMember> Members(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.GetMembers()
            .Where(m => !m.IsImplicitlyDeclared && m is not IMethodSymbol { MethodKind: not MethodKind.Ordinary })
            .Select(m => (Member: m, Syntax: m.DeclaringSyntaxReferences.FirstOrDefault()))
            .Where(m => m.Syntax is not null && !m.Syntax.SyntaxTree.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal))
            .Select(m => new UserMember(m.Member.Name, m.Member is IMethodSymbol, LocationInfo.From(m.Member.Locations.FirstOrDefault())));

    private static LayerDeclaration? Layer(AttributeData attribute, CancellationToken cancellationToken)
    {
        var cls = attribute.AttributeClass;
        if (cls is null || cls.ContainingNamespace?.ToDisplayString() != DeclarationsNamespace || cls.BaseType?.Name != "LayerAttribute")
            return null;
        LayerKind? kind = cls.Name switch
        {
            "DenseAttribute" => LayerKind.Dense,
            "Conv2dAttribute" => LayerKind.Conv2d,
            "ReLUAttribute" => LayerKind.ReLU,
            "SumPoolAttribute" => LayerKind.SumPool,
            "AvgPoolAttribute" => LayerKind.AvgPool,
            "MaxPoolAttribute" => LayerKind.MaxPool,
            "FlattenAttribute" => LayerKind.Flatten,
            "SumAttribute" => LayerKind.Sum,
            "AddAttribute" => LayerKind.Add,
            _ => null,
        };
        if (kind is null) return null;
        var args = attribute.ConstructorArguments;
        var named = Named(attribute);
        var first = args.Length > 0 ? args[0].Value : null;
        return new LayerDeclaration(
            kind.Value,
            first as int? ?? 0,
            args.Length > 1 && args[1].Value is int k ? k : 0,
            Int(named, "Stride", kind == LayerKind.Conv2d ? 1 : 0),
            Int(named, "Padding", 0),
            Int(named, "Rule", 0),
            Int(named, "Bias", 0),
            named.TryGetValue("Name", out var name) ? name.Value as string : null,
            first as string,
            LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()));
    }

    private static Dictionary<string, TypedConstant> Named(AttributeData attribute) =>
        attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value);

    private static int Int(Dictionary<string, TypedConstant> named, string key, int fallback) =>
        named.TryGetValue(key, out var value) && value.Value is int i ? i : fallback;
}
