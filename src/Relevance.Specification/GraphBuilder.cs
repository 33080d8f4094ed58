using System.Collections.Immutable;

namespace Relevance.Specification;

/// <summary>Assembles a random layer graph block by block, skipping blocks that do not fit the current shape.</summary>
internal sealed class GraphBuilder(Shape inputShape, Random rng, bool nonPositiveBias, bool zeroWeights)
{
    private readonly List<Node> _nodes = [];
    private string _current = Relevance.Network.InputName;
    private Shape? _shape;

    public void Add(Block block)
    {
        switch (block)
        {
            case ConvBlock c when Spatial && Fits(c.Kernel, Math.Min(c.Padding, c.Trailing)):
                _current = Relu(Conv(_current, c.Channels, c.Kernel, c.Stride, new Padding2d(c.Padding, c.Padding, c.Trailing, c.Trailing)));
                break;
            case PoolBlock p when Spatial && Fits(p.Kernel, 0):
                _current = Append("pool", new Pool2d(p.Kind, p.Kernel, p.Kernel, p.Stride, p.Stride, p: 2, new Padding2d(p.Padding, p.Padding, 0, 0)), _current);
                break;
            case ResidualBlock r when Spatial && Fits(r.Kernel, r.Kernel / 2):
            {
                var branch = Relu(Conv(_current, Current[0], r.Kernel, 1, Padding2d.Uniform(r.Kernel / 2)));
                _current = Append("add", new Add(), _current, branch);
                break;
            }
            case BranchBlock b when Spatial && Fits(3, 1):
            {
                var left = Relu(Conv(_current, b.Left, 1, 1, Padding2d.Uniform(0)));
                var right = Relu(Conv(_current, b.Right, 3, 1, Padding2d.Uniform(1)));
                _current = Append("concat", new Concat(), left, right);
                break;
            }
            case LrnBlock l when Spatial:
                _current = Append("lrn", new LocalResponseNorm(l.Size, alpha: 0.5, beta: 0.75, bias: 1), _current);
                break;
            case DenseBlock d:
                Flat(globalPool: false);
                _current = Relu(Dense(_current, d.Width));
                break;
        }
    }

    public void Head(bool globalPool, int hidden)
    {
        Flat(globalPool);
        _current = Relu(Dense(_current, hidden));
        Append("sum", new Sum(), _current);
    }

    public Network Build() => new(inputShape, [.. _nodes]);

    private Shape Current => _shape ?? inputShape;

    private Shape ShapeOf(string name) => name == Relevance.Network.InputName ? inputShape : Build().ShapeOf(name);

    private bool Spatial => Current.Rank == 3;

    private bool Fits(int kernel, int padding) => Current[1] + 2 * padding >= kernel && Current[2] + 2 * padding >= kernel;

    private void Flat(bool globalPool)
    {
        if (Current.Rank == 3) _current = Append(globalPool ? "gap" : "flatten", globalPool ? new GlobalAvgPool() : new Flatten(), _current);
    }

    private string Conv(string from, int channels, int kernel, int stride, Padding2d padding)
    {
        var inChannels = ShapeOf(from)[0];
        var w = Values(channels * inChannels * kernel * kernel, Draw.Weight);
        return Append("conv", new Conv2d(inChannels, channels, kernel, kernel, w, Biases(channels), stride, padding), from);
    }

    private string Dense(string from, int width) =>
        Append("dense", new Dense(ShapeOf(from).Size, width, Values(ShapeOf(from).Size * width, Draw.Weight), Biases(width)), from);

    private string Relu(string from) => Append("relu", new ReLU(), from);

    private ImmutableArray<double> Biases(int n) => Values(n, r => Draw.Bias(r, nonPositiveBias));

    private ImmutableArray<double> Values(int n, Func<Random, double> draw) =>
        [.. Enumerable.Range(0, n).Select(_ => draw(rng)).Select(v => zeroWeights ? 0 : v)];

    private string Append(string kind, Layer layer, params string[] inputs)
    {
        var name = $"{kind}{_nodes.Count}";
        _nodes.Add(new Node(name, layer, [.. inputs]));
        _shape = Build().ShapeOf(name);
        return name;
    }
}
