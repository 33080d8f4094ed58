using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Relevance.Generators.Tests;

/// <summary>Compilations and generator runs against the .NET 10 reference assemblies of a package (nothing is downloaded).</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>Relevance.Core and System.Numerics.Tensors, which generated code calls.</summary>
    public static ImmutableArray<MetadataReference> LibraryReferences { get; } =
    [
        MetadataReference.CreateFromFile(typeof(Declarations.NetworkAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location),
    ];

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create("Declared",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            [.. Basic.Reference.Assemblies.Net100.References.All, .. LibraryReferences],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() =>
        CSharpGeneratorDriver.Create([new NetworkGenerator().AsSourceGenerator()], parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>The generated files (hint name, text) for the sources.</summary>
    public static (string HintName, string Text)[] Generate(params string[] sources) =>
        [.. Driver().RunGenerators(Compilation(sources)).GetRunResult().Results.Single().GeneratedSources
            .Select(g => (g.HintName, g.SourceText.ToString()))];
}

/// <summary>Paths of the samples and the golden files in the source tree.</summary>
internal static class SourceTree
{
    /// <summary>Set RELEVANCE_ACCEPT_BASELINES=1 to rewrite the golden files from the generator's current output, on purpose.</summary>
    public static bool Accepting => Environment.GetEnvironmentVariable("RELEVANCE_ACCEPT_BASELINES") == "1";

    public static string Sample(string name) => Path.Combine(TestDirectory(), "..", "..", "samples", "Relevance.Samples", "Networks", name + ".cs");

    public static string Baseline(string name) => Path.Combine(TestDirectory(), "Baselines", name + ".g.cs");

    private static string TestDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
