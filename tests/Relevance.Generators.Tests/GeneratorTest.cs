using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace Relevance.Generators.Tests;

/// <summary>The testing library's generator test over the .NET 10 reference assemblies of Basic.Reference.Assemblies and Relevance.Core.</summary>
internal sealed class GeneratorTest : CSharpSourceGeneratorTest<NetworkGenerator, DefaultVerifier>
{
    public GeneratorTest()
    {
        // A framework name with no package: the references below are all there is, so nothing is restored at test time.
        ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        TestState.AdditionalReferences.AddRange(GeneratorHarness.LibraryReferences);
    }

    protected override CompilationOptions CreateCompilationOptions() =>
        ((CSharpCompilationOptions)base.CreateCompilationOptions()).WithNullableContextOptions(NullableContextOptions.Enable);

    protected override ParseOptions CreateParseOptions() => GeneratorHarness.ParseOptions;
}

/// <summary>The testing library's analyzer test, with the generator's output compiled in, over the same references.</summary>
internal sealed class AnalyzerTest : CSharpAnalyzerTest<NetworkAnalyzer, DefaultVerifier>
{
    public AnalyzerTest()
    {
        ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        TestState.AdditionalReferences.AddRange(GeneratorHarness.LibraryReferences);
    }

    protected override IEnumerable<Type> GetSourceGenerators() => [typeof(NetworkGenerator)];

    protected override CompilationOptions CreateCompilationOptions() =>
        ((CSharpCompilationOptions)base.CreateCompilationOptions()).WithNullableContextOptions(NullableContextOptions.Enable);

    protected override ParseOptions CreateParseOptions() => GeneratorHarness.ParseOptions;
}
