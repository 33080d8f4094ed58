using System.Collections.Immutable;

namespace Relevance.Reference;

/// <summary>What one node's step of the reference relevance pass reads: its rule, input and output values, the relevance at
/// its output, and whether it is on the input side (<see cref="Network.InputSide"/>).</summary>
internal readonly record struct RelevanceStep(string Node, Rule? Rule, ImmutableArray<Tensor> Inputs, Tensor Output, double[] Upper, ExplainOptions Options,
    bool OnInputSide = false)
{
    /// <summary>The first (for most layers the only) input.</summary>
    public Tensor X => Inputs[0];
}

/// <summary>What one node passes down: relevance per input, the part absorbed by biases, and how it was redistributed.</summary>
internal readonly record struct Redistribution(double[][] Lower, double BiasRelevance, string How)
{
    /// <summary>The relevance at the output passed unchanged to the one input.</summary>
    public static Redistribution PassThrough(double[] upper) => new([(double[])upper.Clone()], 0, "pass-through");

    /// <summary>One input's relevance, redistributed with nothing absorbed.</summary>
    public static Redistribution Of(double[] lower, string how) => new([lower], 0, how);

    // R_i = x_i / Σ_{i' ∈ window} x_i' · R_k, summed over the windows that hold i (docs/rules.md §4).
    public static double[] Proportional(Tensor x, ImmutableArray<ImmutableArray<int>> windows, double[] upper)
    {
        var lower = new double[x.Size];
        for (var k = 0; k < windows.Length; k++)
        {
            var total = windows[k].Sum(i => x[i]);
            var ratio = LinearRules.SafeDivide(upper[k], total);
            foreach (var i in windows[k]) lower[i] += x[i] * ratio;
        }
        return lower;
    }

    /// <summary>Cuts a vector along the first axis back into one part per input (relevance or gradient alike).</summary>
    public static double[][] Slices(double[] upper, ImmutableArray<Tensor> inputs)
    {
        var offset = 0;
        var parts = new double[inputs.Length][];
        for (var m = 0; m < inputs.Length; m++)
        {
            parts[m] = upper.AsSpan(offset, inputs[m].Size).ToArray();
            offset += inputs[m].Size;
        }
        return parts;
    }

    /// <summary>Σ over windows of derivative(window, i) · g_k at each input i (the gradient of a pooling).</summary>
    public static double[] Windows(Tensor x, ImmutableArray<ImmutableArray<int>> windows, double[] g, Func<ImmutableArray<int>, int, double> derivative)
    {
        var lower = new double[x.Size];
        for (var k = 0; k < windows.Length; k++)
            foreach (var i in windows[k]) lower[i] += derivative(windows[k], i) * g[k];
        return lower;
    }
}
