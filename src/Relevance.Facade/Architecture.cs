using System.Globalization;
using System.Text;

namespace Relevance;

/// <summary>Compares a declared network with a loaded model: the same function, or a refusal with both architectures listed.</summary>
internal static class Architecture
{
    /// <summary>Throws unless both networks compute the same outputs on random inputs (checked in double precision).</summary>
    /// <remarks>Comparing functions rather than node lists accepts what encodes the same layer differently (a sum exported as
    /// a MatMul with a 0/1 matrix, a Flatten as a Reshape) and refuses everything else — a pooling kind, a window, a stride,
    /// a padding, an activation — that the weights alone cannot show.</remarks>
    public static void RequireSameFunction(Network declared, Network model, string declaration, string file)
    {
        var outputs = (declared.ShapeOf(declared.Output).Size, model.ShapeOf(model.Output).Size);
        var why = declared.InputShape.Size != model.InputShape.Size
            ? $"it takes {declared.InputShape.Size} input values; the model takes {model.InputShape.Size}"
            : outputs.Item1 != outputs.Item2
                ? $"it has {outputs.Item1} outputs; the model has {outputs.Item2}"
                : Difference(declared, model);
        if (why is null) return;
        var text = new StringBuilder($"{declaration} does not compute what '{file}' computes: {why}.");
        text.AppendLine().AppendLine($"declared ({declaration}):");
        foreach (var line in Describe(declared)) text.AppendLine($"  {line}");
        text.AppendLine($"model ({file}):");
        foreach (var line in Describe(model)) text.AppendLine($"  {line}");
        throw new NetworkException(text.ToString().TrimEnd());
    }

    // The first output that differs on inputs uniform in [0, 1]: float32 weights make both equal to double rounding, so
    // 1e-6 of the output's size separates an encoding of the same layer from another layer.
    private static string? Difference(Network declared, Network model)
    {
        var rng = new Random(20170101);
        for (var sample = 0; sample < 3; sample++)
        {
            var x = new double[declared.InputShape.Size];
            for (var i = 0; i < x.Length; i++) x[i] = rng.NextDouble();
            var a = Reference.Forward.Output(declared, Tensor.Own(declared.InputShape, x));
            var b = Reference.Forward.Output(model, Tensor.Own(model.InputShape, [.. x]));
            for (var k = 0; k < a.Size; k++)
                if (Math.Abs(a[k] - b[k]) > 1e-6 * Math.Max(1, Math.Max(Math.Abs(a[k]), Math.Abs(b[k]))))
                    return string.Create(CultureInfo.InvariantCulture, $"on a random input its output {k} is {a[k]:G6}, the model's {b[k]:G6}");
        }
        return null;
    }

    /// <summary>One line per node: its kind, what defines it besides weights, and its output shape.</summary>
    public static IEnumerable<string> Describe(Network network) => network.Nodes.Select((n, i) =>
        $"{i,3}. {Describe(n.Layer)} → {network.Shapes[i]}{(n.Inputs.Length > 1 ? $" (from {string.Join(", ", n.Inputs)})" : "")}");

    private static string Describe(Layer layer) => layer switch
    {
        Dense d => $"Dense {d.Inputs}→{d.Outputs}",
        Conv2d c => c.Describe(),
        Pool2d p => $"{p.Kind} {p.KernelHeight}×{p.KernelWidth}, stride {p.StrideHeight}×{p.StrideWidth}, padding {p.Pads}",
        _ => layer.Kind,
    };
}
