using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>A fully connected layer z_j = Σ_i x_i w_ij + b_j; weights are row-major W[i, j] (inputs × outputs).</summary>
public sealed record Dense : Layer
{
    /// <summary>Creates a dense layer from its weight matrix (inputs × outputs, row-major) and biases.</summary>
    public Dense(int inputs, int outputs, ParameterArray weights, ParameterArray bias)
    {
        Inputs = Positive(inputs, "inputs", "Dense");
        Outputs = Positive(outputs, "outputs", "Dense");
        Weights = Require(weights, inputs * outputs, "weights", "Dense");
        Bias = Require(bias, outputs, "biases", "Dense");
    }

    /// <summary>The number of inputs i.</summary>
    public int Inputs { get; }
    /// <summary>The number of outputs j.</summary>
    public int Outputs { get; }
    /// <summary>w_ij at index i · Outputs + j.</summary>
    public ParameterArray Weights { get; }
    /// <summary>b_j.</summary>
    public ParameterArray Bias { get; }

    /// <summary>The weight w_ij.</summary>
    public double W(int i, int j) => Weights[i * Outputs + j];

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs) => inputs[0].Size == Inputs
        ? Shape.Of(Outputs)
        : throw new ShapeMismatchException(node, $"Dense expects {Inputs} inputs but receives shape {inputs[0]} ({inputs[0].Size} values).");

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output) => LinearLayer.Forward(this, inputs[0], output);

    internal override Redistribution Redistribute(RelevanceStep step) => LinearLayer.Redistribute(this, step);

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper) => LinearLayer.Backpropagate(this, inputs[0], upper);
}
