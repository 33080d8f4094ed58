using System.Collections.Immutable;
using Relevance.Reference;

namespace Relevance;

/// <summary>The product of a value and a gate, y = x ⊙ g, with g one number per channel ([C, 1, 1] or [C]) or per element
/// (squeeze-and-excitation: x · σ(W₂ ReLU(W₁ GAP(x)))).</summary>
/// <remarks>The gate is held constant: all relevance goes to the value, none to the gate; or, with
/// <see cref="GateRedistribution.Uniform"/>, half to each. Either way the layer conserves (docs/rules.md §9).</remarks>
public sealed record Gating : Layer
{
    internal override bool Merges => true;

    internal override Shape OutputShape(string node, ImmutableArray<Shape> inputs)
    {
        if (inputs.Length != 2) throw new ShapeMismatchException(node, $"Gating takes a value and a gate, got {inputs.Length} inputs.");
        var (x, g) = (inputs[0], inputs[1]);
        return g.Equals(x) || (x.Rank == 3 && g.Size == x[0] && (g.Rank == 1 || (g.Rank == 3 && g[1] == 1 && g[2] == 1)))
            ? x
            : throw new ShapeMismatchException(node, $"a gate of shape {g} does not fit a value of shape {x}: one per channel or per element is expected.");
    }

    // How many value elements share each gate element: 1 (per element) or a channel's plane.
    internal static int Plane(Shape value, Shape gate) => value.Size / gate.Size;

    internal override Tensor Forward(ImmutableArray<Tensor> inputs, Shape output)
    {
        var (x, g) = (inputs[0], inputs[1]);
        var plane = Plane(x.Shape, g.Shape);
        return Tensor.Own(output, [.. x.Data.Select((v, i) => v * g[i / plane])]);
    }

    internal override Redistribution Redistribute(RelevanceStep step)
    {
        if (step.Options.Gating == GateRedistribution.ToValue)
            return new([(double[])step.Upper.Clone(), new double[step.Inputs[1].Size]], 0, "gate held constant");
        var plane = Plane(step.Inputs[0].Shape, step.Inputs[1].Shape);
        var toGate = new double[step.Inputs[1].Size];
        for (var i = 0; i < step.Upper.Length; i++) toGate[i / plane] += step.Upper[i] / 2;
        return new([[.. step.Upper.Select(u => u / 2)], toGate], 0, "half to the value, half to the gate");
    }

    internal override double[][] Backpropagate(ImmutableArray<Tensor> inputs, double[] upper)
    {
        var (x, g) = (inputs[0], inputs[1]);
        var plane = Plane(x.Shape, g.Shape);
        var toGate = new double[g.Size];
        for (var i = 0; i < x.Size; i++) toGate[i / plane] += upper[i] * x[i];
        return [[.. upper.Select((u, i) => u * g[i / plane])], toGate];
    }

    internal override bool OutputNonNegative(bool inputsNonNegative) => inputsNonNegative;
}
