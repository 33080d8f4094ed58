using System.Linq;

namespace Relevance.Generators;

internal static partial class Emitter
{
    // The same architecture as reference layers in double precision, with the node names of LayerNames: the oracle.
    private static void EmitReference(CodeWriter w, NetworkPlan plan)
    {
        const string R = "global::Relevance";
        w.Line("/// <inheritdoc />");
        w.Open($"public {R}.Network ToNetwork()");
        w.Line($"var nodes = global::System.Collections.Immutable.ImmutableArray.CreateBuilder<{R}.Node>();");
        foreach (var l in plan.Layers)
        {
            var n = l.Index;
            var input = Literals.String(n == 0 ? "input" : plan.Layers[n - 1].Name);
            var name = Literals.String(l.Name);
            string Node(string layer, string from) =>
                $"nodes.Add(new {R}.Node({name}, {layer}, global::System.Collections.Immutable.ImmutableArray.Create({from})));";
            switch (l.Kind)
            {
                case LayerKind.Dense:
                    w.Line(Node($"new {R}.Dense(L{n}In, L{n}Out, {K}.Binding.Doubles(_p.W{n}), {K}.Binding.Doubles(_p.B{n}))", input));
                    break;
                case LayerKind.Conv2d:
                    w.Line(Node($"new {R}.Conv2d({l.InShape[0]}, {l.Size}, {l.Kernel}, {l.Kernel}, {K}.Binding.Doubles(_p.W{n}), {K}.Binding.Doubles(_p.B{n}), {l.Stride}, {l.Padding})", input));
                    break;
                case LayerKind.ReLU:
                    w.Line(Node($"new {R}.ReLU()", input));
                    break;
                case LayerKind.Flatten:
                    w.Line(Node($"new {R}.Flatten()", input));
                    break;
                case LayerKind.Sum:
                    w.Line(Node($"new {R}.Sum()", input));
                    break;
                case LayerKind.Add:
                    w.Line(Node($"new {R}.Add()", $"{input}, {Literals.String(plan.Layers[l.Skip].Name)}"));
                    break;
                default:
                {
                    var kind = $"{R}.PoolKind.{(l.Kind == LayerKind.SumPool ? "Sum" : l.Kind == LayerKind.AvgPool ? "Average" : "Max")}";
                    if (l.InShape.Length == 3)
                    {
                        var stride = l.Stride == 0 ? l.Size : l.Stride;
                        w.Line(Node($"new {R}.Pool2d({kind}, {l.Size}, {l.Size}, {stride}, {stride})", input));
                        break;
                    }
                    // A vector pooled in groups: [N] → [N/g, 1, g], pooled 1×g, flattened back.
                    var (reshape, pool) = (Literals.String(l.Name + "/reshape"), Literals.String(l.Name + "/pool"));
                    w.Line($"nodes.Add(new {R}.Node({reshape}, new {R}.Reshape({R}.Shape.Of(L{n}Out, 1, {l.Size})), global::System.Collections.Immutable.ImmutableArray.Create({input})));");
                    w.Line($"nodes.Add(new {R}.Node({pool}, new {R}.Pool2d({kind}, 1, {l.Size}), global::System.Collections.Immutable.ImmutableArray.Create({reshape})));");
                    w.Line(Node($"new {R}.Flatten()", pool));
                    break;
                }
            }
        }
        w.Line($"return new {R}.Network(s_inputShape, nodes.ToImmutable(), {Literals.String(plan.Layers[plan.Layers.Length - 1].Name)});");
        w.Close();
    }
}
