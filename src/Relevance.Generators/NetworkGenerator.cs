using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Relevance.Generators;

/// <summary>Emits a specialised forward and relevance pass for every record declared with <c>[Network]</c>; <see cref="NetworkAnalyzer"/> reports its mistakes.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>Names of the pipeline's tracked steps, for caching tests.</summary>
    public static class Steps
    {
        /// <summary>Attributes read into a declaration.</summary>
        public const string Declaration = nameof(Declaration);
        /// <summary>A declaration checked and planned.</summary>
        public const string Plan = nameof(Plan);
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var plans = context.SyntaxProvider
            .ForAttributeWithMetadataName(Parsing.NetworkAttribute,
                static (node, _) => node is TypeDeclarationSyntax,
                static (syntax, cancellationToken) => Parsing.Parse(syntax, cancellationToken))
            .WithTrackingName(Steps.Declaration)
            .Select(static (declaration, _) => Planning.Plan(declaration))
            .WithTrackingName(Steps.Plan);

        // Diagnostics are NetworkAnalyzer's to report (a generator's bypass #pragma); a plan with an error emits nothing.
        context.RegisterSourceOutput(plans, static (output, plan) =>
        {
            if (!plan.HasErrors && plan.Layers.Length > 0) output.AddSource(plan.HintName, Emitter.Emit(plan));
        });
    }
}
