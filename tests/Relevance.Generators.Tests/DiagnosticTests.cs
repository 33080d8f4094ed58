using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace Relevance.Generators.Tests;

/// <summary>One test per diagnostic id: the id, the exact span (the attribute or name that is wrong) and the message arguments.</summary>
public class DiagnosticTests
{
    private const string Usings = "using Relevance.Declarations;\nnamespace Declared;\n";

    private static Task Expect(string source, params DiagnosticResult[] expected) => Run(source, generates: false, expected);

    private static async Task Run(string source, bool generates, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest { TestState = { Sources = { Usings + source } } };
        if (generates) test.TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    // Ids and severities are written out: they are the stable contract users suppress and configure by.
    private static DiagnosticResult Diagnostic(string id, DiagnosticSeverity severity, int markup) => new DiagnosticResult(id, severity).WithLocation(markup);

    [Fact]
    public Task RLV001_a_class_is_not_a_partial_record() => Expect("""
        [Network(4, FirstRule = LayerRule.WSquare)]
        [Dense(2)]
        public partial class {|#0:Detector|};
        """, Diagnostic("RLV001", DiagnosticSeverity.Error, 0).WithArguments("Detector"));

    [Fact]
    public Task RLV001_a_record_without_partial() => Expect("""
        [Network(4, FirstRule = LayerRule.WSquare)]
        [Dense(2)]
        public record {|#0:Detector|};
        """, Diagnostic("RLV001", DiagnosticSeverity.Error, 0).WithArguments("Detector"));

    [Fact]
    public Task RLV003_can_be_suppressed_with_pragma_like_every_error_of_a_declaration() => Run("""
        [Network(1, 8, 8, Low = 0, High = 1)]
        [Conv2d(4, 3)]
        #pragma warning disable RLV003
        [Dense(10)]
        #pragma warning restore RLV003
        public partial record Detector;
        """, generates: false);

    [Fact]
    public Task RLV002_a_network_without_layers() => Expect("""
        [{|#0:Network(4)|}]
        public partial record Detector;
        """, Diagnostic("RLV002", DiagnosticSeverity.Error, 0).WithArguments("Detector"));

    [Fact]
    public Task RLV003_names_both_shapes_when_a_dense_layer_follows_an_image() => Expect("""
        [Network(1, 8, 8, Low = 0, High = 1)]
        [Conv2d(4, 3)]
        [ReLU]
        [{|#0:Dense(10)|}]
        public partial record Detector;
        """, Diagnostic("RLV003", DiagnosticSeverity.Error, 0).WithArguments("Dense2", "Dense", "the output of 'ReLU1'", "[4×6×6]", "Dense takes a vector; add [Flatten] before it"));

    [Fact]
    public Task RLV003_an_add_whose_skip_has_another_shape() => Expect("""
        [Network(6, Low = 0, High = 1)]
        [Dense(4, Name = "first")]
        [ReLU]
        [Dense(3)]
        [{|#0:Add("first")|}]
        public partial record Detector;
        """, Diagnostic("RLV003", DiagnosticSeverity.Error, 0).WithArguments("Add3", "Add", "the output of 'Dense2'", "[3]",
        "the skip connection from 'first' gives [4], and both addends must have the same shape"));

    [Fact]
    public Task RLV003_a_kernel_larger_than_the_image() => Expect("""
        [Network(1, 4, 4, Low = 0, High = 1)]
        [{|#0:Conv2d(2, 5)|}]
        public partial record Detector;
        """, Diagnostic("RLV003", DiagnosticSeverity.Error, 0).WithArguments("Conv2d0", "Conv2d", "the input", "[1×4×4]",
        "the 5×5 kernel does not fit a 4×4 image with padding 0"));

    [Fact]
    public Task RLV004_z_plus_on_a_layer_whose_input_can_be_negative_is_a_warning_and_code_is_still_generated() => Run("""
        [Network(4, Low = -1, High = 1)]
        [Dense(3)]
        [{|#0:Dense(2, Rule = LayerRule.ZPlus)|}]
        public partial record Detector;
        """, generates: true, Diagnostic("RLV004", DiagnosticSeverity.Warning, 0).WithArguments("Dense1", "the output of 'Dense0'"));

    [Fact]
    public Task RLV004_can_be_suppressed_with_pragma() => Run("""
        #pragma warning disable RLV004
        [Network(4, Low = -1, High = 1)]
        [Dense(3)]
        [Dense(2, Rule = LayerRule.ZPlus)]
        public partial record Detector;
        """, generates: true);

    [Fact]
    public Task RLV005_z_box_without_bounds() => Expect("""
        [{|#0:Network(4)|}]
        [Dense(2)]
        public partial record Detector;
        """, Diagnostic("RLV005", DiagnosticSeverity.Error, 0).WithArguments("Dense0"));

    [Fact]
    public Task RLV006_a_lower_bound_above_zero() => Expect("""
        [{|#0:Network(4, Low = 0.5, High = 1)|}]
        [Dense(2)]
        public partial record Detector;
        """, Diagnostic("RLV006", DiagnosticSeverity.Error, 0).WithArguments("0.5", "1"));

    [Fact]
    public Task RLV006_an_upper_bound_below_zero() => Expect("""
        [{|#0:Network(4, Low = -2, High = -1)|}]
        [Dense(2)]
        public partial record Detector;
        """, Diagnostic("RLV006", DiagnosticSeverity.Error, 0).WithArguments("-2", "-1"));

    [Fact]
    public Task RLV007_z_box_above_the_first_layer() => Expect("""
        [Network(4, Low = -1, High = 1)]
        [Dense(3)]
        [ReLU]
        [{|#0:Dense(2, Rule = LayerRule.ZBox)|}]
        public partial record Detector;
        """, Diagnostic("RLV007", DiagnosticSeverity.Error, 0).WithArguments(
        "Layer 'Dense2' uses z^B, which is supported on the first Dense/Conv2d layer only: its box is the network's input box"));

    [Fact]
    public Task RLV007_gamma_on_an_input_that_can_be_negative() => Expect("""
        [Network(4, Low = -1, High = 1, FirstRule = LayerRule.Gamma)]
        [{|#0:Dense(2)|}]
        public partial record Detector;
        """, Diagnostic("RLV007", DiagnosticSeverity.Error, 0).WithArguments(
        "Layer 'Dense0' uses γ on an input that can be negative; generated code takes γ where the input is ≥ 0 (after a ReLU, or a box with Low ≥ 0), the engine (Explainer) anywhere"));

    [Fact]
    public Task RLV007_Zennit_biases() => Expect("""
        [{|#0:Network(4, Low = -1, High = 1, BiasRelevance = Relevance.BiasTreatment.Zennit)|}]
        [Dense(2)]
        public partial record Detector;
        """, Diagnostic("RLV007", DiagnosticSeverity.Error, 0).WithArguments(
        "BiasRelevance = BiasTreatment.Zennit is not supported by generated explainers; explain with the engine (Explainer) to compare with Zennit"));

    [Fact]
    public Task RLV007_a_nested_network() => Expect("""
        public partial class Outer
        {
            [Network(4, FirstRule = LayerRule.WSquare)]
            [Dense(2)]
            public partial record {|#0:Detector|};
        }
        """, Diagnostic("RLV007", DiagnosticSeverity.Error, 0).WithArguments("Network 'Detector' must be a non-generic record declared directly in a namespace"));

    [Fact]
    public Task RLV008_an_add_that_names_no_earlier_layer() => Expect("""
        [Network(4, FirstRule = LayerRule.WSquare)]
        [Dense(4)]
        [{|#0:Add("missing")|}]
        public partial record Detector;
        """, Diagnostic("RLV008", DiagnosticSeverity.Error, 0).WithArguments("Layer 'Add1' (Add) adds 'missing', which is not an earlier layer"));

    [Fact]
    public Task RLV008_a_non_positive_width() => Expect("""
        [Network(4, FirstRule = LayerRule.WSquare)]
        [{|#0:Dense(0)|}]
        public partial record Detector;
        """, Diagnostic("RLV008", DiagnosticSeverity.Error, 0).WithArguments("Layer 'Dense0' (Dense): the number of outputs must be positive, got 0"));

    [Fact]
    public Task A_valid_declaration_reports_nothing() => Run("""
        [Network(4, FirstRule = LayerRule.WSquare)]
        [Dense(3)]
        [ReLU]
        [Dense(2)]
        public partial record Detector;
        """, generates: true);

    [Fact]
    public Task RLV004_suppressed_on_the_first_layer_still_generates_code_that_compiles() => Run("""
        #pragma warning disable RLV004
        [Network(4, Low = -1, High = 1, FirstRule = LayerRule.ZPlus)]
        [Dense(2)]
        public partial record Detector;
        """, generates: true);

    [Fact]
    public Task RLV009_a_positional_record() => Expect("""
        [Network(4, FirstRule = LayerRule.WSquare)]
        [Dense(2)]
        public partial record {|#0:Detector|}(int Width);
        """, Diagnostic("RLV009", DiagnosticSeverity.Error, 0).WithArguments("Detector", "a positional record (it has a parameter list)"));

    [Fact]
    public Task RLV009_an_abstract_record() => Expect("""
        [Network(4, FirstRule = LayerRule.WSquare)]
        [Dense(2)]
        public abstract partial record {|#0:Detector|};
        """, Diagnostic("RLV009", DiagnosticSeverity.Error, 0).WithArguments("Detector", "abstract"));

    [Fact]
    public Task RLV010_a_member_named_as_a_generated_one() => Expect("""
        [Network(4, FirstRule = LayerRule.WSquare)]
        [Dense(2)]
        public partial record Detector
        {
            public static int {|#0:InputSize|} => 3;
        }
        """, Diagnostic("RLV010", DiagnosticSeverity.Error, 0).WithArguments("Detector", "InputSize"));

    [Fact]
    public Task RLV010_is_not_raised_for_an_overload_of_a_generated_method() => Run("""
        [Network(4, FirstRule = LayerRule.WSquare)]
        [Dense(2)]
        public partial record Detector
        {
            public int Explain() => 0;
        }
        """, generates: true);
}
