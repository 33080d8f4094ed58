using System.Collections.Immutable;

namespace Relevance.Reference;

/// <summary>What Dense and Conv2d share in the reference: each is a <see cref="LinearMap"/>, and the rules apply to it (docs/rules.md §4).</summary>
internal static class LinearLayer
{
    public static Tensor Forward(Layer layer, Tensor x, Shape output) => Tensor.Own(output, LinearMap.Of(layer, x.Shape).Forward(x.Data.AsSpan()));

    public static Redistribution Redistribute(Layer layer, RelevanceStep step)
    {
        var rule = step.Rule ?? throw new UncoveredLayerException(step.Node, $"the composite assigns no rule to this {layer.Kind} layer.");
        var result = LinearRules.Propagate(step.Node, rule, LinearMap.Of(layer, step.X.Shape), step.X, step.Upper, step.Options.Bias);
        return new([result.Lower], result.BiasRelevance, rule.Name);
    }

    public static double[][] Backpropagate(Layer layer, Tensor x, double[] upper) => [LinearMap.Of(layer, x.Shape).Transpose(upper)];
}
