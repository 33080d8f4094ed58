using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Relevance.Generators;

/// <summary>Reports the mistakes of <c>[Network]</c> declarations (RLV001…) as an analyzer, so <c>#pragma</c> and .editorconfig reach them.</summary>
/// <remarks>The generator plans the same declaration and emits nothing when the plan has an error; it reports nothing itself,
/// since diagnostics a generator reports bypass the compiler's suppressions.</remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NetworkAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = Descriptors.All;

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(Analyze, SymbolKind.NamedType);
    }

    private static void Analyze(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (Parsing.NetworkAttributeOf(type) is not { } network) return;
        var syntax = network.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>()
            ?? type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(context.CancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault();
        if (syntax is null) return;
        var plan = Planning.Plan(Parsing.Parse(type, syntax, network, context.CancellationToken));
        foreach (var diagnostic in plan.Diagnostics)
        {
            // A location in its syntax tree (not just a path and span), so #pragma in that tree applies.
            var at = diagnostic.Location;
            var tree = at is null ? null : context.Compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == at.Path);
            var location = tree is null ? at?.ToLocation() : Location.Create(tree, at!.Span);
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.ById(diagnostic.Id), location, diagnostic.Arguments.Cast<object>().ToArray()));
        }
    }
}
