using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Relevance.Generators.Tests;

/// <summary>The generator's incremental pipeline: what is cached across edits, and what its models hold.</summary>
public class CachingTests
{
    private const string Declaration = """
        using Relevance.Declarations;
        namespace Declared;

        [Network(1568, Low = -0.5, High = 1.5)]
        [Dense(400, Bias = BiasConstraint.NonPositive)]
        [ReLU]
        [Sum]
        public partial record Detector;
        """;

    private static readonly string[] Steps = [NetworkGenerator.Steps.Declaration, NetworkGenerator.Steps.Plan];

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun()
    {
        var compilation = GeneratorHarness.Compilation(Declaration);
        return (GeneratorHarness.Driver().RunGenerators(compilation), compilation);
    }

    private static GeneratorRunResult Result(GeneratorDriver driver) => driver.GetRunResult().Results.Single();

    private static IncrementalStepRunReason[] Reasons(GeneratorRunResult result, string step) =>
        [.. result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason)];

    private static string Output(GeneratorRunResult result) => result.GeneratedSources.Single().SourceText.ToString();

    [Fact]
    public void A_second_run_on_the_same_compilation_is_cached_at_every_step()
    {
        var (driver, compilation) = FirstRun();
        var second = Result(driver.RunGenerators(compilation.Clone()));
        foreach (var step in Steps)
            Assert.All(Reasons(second, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void A_comment_only_edit_leaves_the_output_unchanged()
    {
        var (driver, compilation) = FirstRun();
        var before = Output(Result(driver));
        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().Replace(0, 0, "// a comment before everything\n")));
        var after = Result(driver.RunGenerators(edited));
        Assert.Equal(before, Output(after));
        Assert.All(Reasons(after, NetworkGenerator.Steps.Plan), r => Assert.NotEqual(IncrementalStepRunReason.New, r));
    }

    [Fact]
    public void An_unrelated_type_added_keeps_every_step_cached()
    {
        var (driver, compilation) = FirstRun();
        var added = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Declared; public record Unrelated(int X);", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));
        var after = Result(driver.RunGenerators(added));
        foreach (var step in Steps)
            Assert.All(Reasons(after, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
    }

    [Fact]
    public void A_layer_width_changed_modifies_the_plan_and_the_output()
    {
        var (driver, compilation) = FirstRun();
        var before = Output(Result(driver));
        var tree = compilation.SyntaxTrees.Single();
        var text = tree.GetText();
        var at = text.ToString().IndexOf("Dense(400", StringComparison.Ordinal) + "Dense(".Length;
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(text.Replace(at, 3, "300")));
        var after = Result(driver.RunGenerators(edited));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(after, NetworkGenerator.Steps.Plan));
        Assert.NotEqual(before, Output(after));
        Assert.Contains("L0Out = 300", Output(after));
    }

    [Fact]
    public void Pipeline_models_hold_no_symbol_syntax_location_semantic_model_or_compilation()
    {
        var (driver, _) = FirstRun();
        var result = Result(driver);
        var values = Steps.SelectMany(step => result.TrackedSteps[step]).SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        Assert.NotEmpty(values);
        foreach (var value in values) AssertPlainData(value, value.GetType().Name, 0);
    }

    // Walks properties (and sequences) recursively: none may be a Roslyn object that pins a compilation.
    private static void AssertPlainData(object? value, string path, int depth)
    {
        if (value is null || depth > 8) return;
        Assert.False(value is ISymbol or SyntaxNode or Location or SemanticModel or Compilation or SyntaxTree,
            $"{path} is a {value.GetType().Name}");
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is string) return;
        if (value is IEnumerable sequence)
        {
            var i = 0;
            foreach (var item in sequence) AssertPlainData(item, $"{path}[{i++}]", depth + 1);
            return;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            AssertPlainData(property.GetValue(value), $"{path}.{property.Name}", depth + 1);
    }
}
