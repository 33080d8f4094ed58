using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Relevance.Reference;

namespace Relevance.RelevanceModels;

/// <summary>The min-max relevance model of §IV-A (docs/rules.md §4): R̂_k = Σ_{j ∈ k} y_j with y_j = max(0, Σ_i x_i v_ij + a_j)
/// and the inhibitor a_j = min(0, Σ_l R_l v_lj + d_j) fed by top-down context R_l.</summary>
/// <param name="Detectors">v_ij, inputs × neurons.</param>
/// <param name="ContextWeights">v_lj, context × neurons.</param>
/// <param name="Offsets">d_j, one per neuron.</param>
/// <param name="NeuronsPerOutput">How many neurons j sum into each modelled relevance R̂_k (neurons of k are consecutive).</param>
public sealed record MinMaxRelevanceModel(Matrix<double> Detectors, Matrix<double> ContextWeights, Vector<double> Offsets, int NeuronsPerOutput)
{
    /// <summary>The number of inputs x_i.</summary>
    public int Inputs => Detectors.RowCount;
    /// <summary>The number of context relevances R_l.</summary>
    public int Context => ContextWeights.RowCount;
    /// <summary>The number of neurons j.</summary>
    public int Neurons => Detectors.ColumnCount;
    /// <summary>The number of modelled relevances R̂_k.</summary>
    public int Outputs => Neurons / NeuronsPerOutput;

    /// <summary>A model with v ~ N(0, scale²), context weights ~ N(0, scale²) and d = 0, from a seed.</summary>
    public static MinMaxRelevanceModel Random(int inputs, int context, int outputs, int neuronsPerOutput, double scale, int seed)
    {
        if (inputs <= 0 || context < 0 || outputs <= 0 || neuronsPerOutput <= 0)
            throw new ArgumentException("A min-max model needs positive sizes.");
        var rng = new Random(seed);
        var normal = new Normal(0, scale, rng);
        var m = outputs * neuronsPerOutput;
        return new MinMaxRelevanceModel(
            Matrix<double>.Build.Random(inputs, m, normal),
            Matrix<double>.Build.Random(context, m, normal),
            Vector<double>.Build.Dense(m),
            neuronsPerOutput);
    }

    /// <summary>The inhibitors a_j = min(0, Σ_l R_l v_lj + d_j).</summary>
    public Vector<double> Inhibitors(Vector<double> context) =>
        (ContextWeights.TransposeThisAndMultiply(context) + Offsets).Map(v => Math.Min(0, v));

    /// <summary>The neurons y_j for one input and its context.</summary>
    public Vector<double> Activations(Vector<double> x, Vector<double> context) =>
        (Detectors.TransposeThisAndMultiply(x) + Inhibitors(context)).Map(v => Math.Max(0, v));

    /// <summary>R̂_k = Σ_{j ∈ k} y_j.</summary>
    public Vector<double> Predict(Vector<double> x, Vector<double> context) => Pool(Activations(x, context));

    /// <summary>Propagates the model's relevance R_j = y_j to the inputs with w², z⁺ or z^B on v (the inhibitor is a bias ≤ 0 and takes nothing).</summary>
    /// <remarks>Only the neurons of the outputs in <paramref name="selected"/> carry relevance (all outputs when null);
    /// the result sums to Σ_k R̂_k, and differs from the true relevance by the fitting error.</remarks>
    public Tensor Explain(Rule rule, Tensor x, Vector<double> context, IReadOnlySet<int>? selected = null)
    {
        if (rule is not (WSquareRule or ZPlusRule or ZBoxRule))
            throw new ArgumentException($"The min-max model propagates with w², z⁺ or z^B, not {rule.Name}.", nameof(rule));
        if (x.Size != Inputs) throw new InvalidInputException($"The min-max model takes {Inputs} inputs, got {x.Size}.");
        var xv = Vector<double>.Build.DenseOfEnumerable(x.Data);
        var y = Activations(xv, context);
        if (selected is not null)
            for (var j = 0; j < y.Count; j++)
                if (!selected.Contains(j / NeuronsPerOutput)) y[j] = 0;
        var layer = new Dense(Inputs, Neurons, [.. Detectors.ToRowMajorArray()], [.. Inhibitors(context)]);
        var result = LinearRules.Propagate("min-max model", rule, LinearMap.Of(layer, x.Shape), x, y.ToArray(), BiasTreatment.Neuron);
        return Tensor.Own(x.Shape, result.Lower);
    }

    /// <summary>Sums consecutive groups of neurons into outputs.</summary>
    public Vector<double> Pool(Vector<double> neurons) =>
        Vector<double>.Build.Dense(Outputs, k => neurons.SubVector(k * NeuronsPerOutput, NeuronsPerOutput).Sum());
}
