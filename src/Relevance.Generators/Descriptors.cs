using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Relevance.Generators;

/// <summary>The generator's diagnostics. Ids are stable; AnalyzerReleases.*.md tracks them.</summary>
internal static class Descriptors
{
    private const string Category = "Relevance";

    public static readonly DiagnosticDescriptor NotPartialRecord = new(
        "RLV001", "A network must be a partial record",
        "'{0}' is declared with [Network] but is not a partial record; declare it as 'partial record {0}'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor EmptyNetwork = new(
        "RLV002", "A network needs layers",
        "Network '{0}' declares no layers; add layer attributes such as [Dense(…)] after [Network]",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ShapeMismatch = new(
        "RLV003", "Layer shapes do not fit",
        "Layer '{0}' ({1}) cannot take {2} of shape {3}: {4}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NegativeInput = new(
        "RLV004", "z⁺ on an input that can be negative",
        "Layer '{0}' uses z⁺, whose domain is x ≥ 0, but its input {1} can be negative; put a ReLU before it, or use z^B or w²",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MissingBounds = new(
        "RLV005", "z^B without bounds",
        "Layer '{0}' uses z^B, which needs the input box: set Low and High on [Network] (or choose FirstRule = LayerRule.WSquare)",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidBounds = new(
        "RLV006", "Invalid input bounds",
        "The input box needs finite bounds with Low ≤ 0 ≤ High, got Low = {0}, High = {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor Unsupported = new(
        "RLV007", "Unsupported layer or rule combination",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidArgument = new(
        "RLV008", "Invalid layer argument",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotConstructible = new(
        "RLV009", "A network record must be constructible by the generated code",
        "Network '{0}' is {1}; the generated code creates instances through a constructor of its own, so declare it as a non-abstract 'partial record {0};' without a parameter list",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MemberClash = new(
        "RLV010", "A member clashes with a generated member",
        "'{0}' declares a member named '{1}', which the generated explainer declares too; rename it",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly ImmutableArray<DiagnosticDescriptor> All =
        [NotPartialRecord, EmptyNetwork, ShapeMismatch, NegativeInput, MissingBounds, InvalidBounds, Unsupported, InvalidArgument, NotConstructible, MemberClash];

    public static DiagnosticDescriptor ById(string id) =>
        All.FirstOrDefault(d => d.Id == id) ?? throw new ArgumentException("Unknown diagnostic " + id);
}
