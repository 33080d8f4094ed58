namespace Relevance.Experiments;

/// <summary>The SGD plumbing the paper's detectors share: random minibatches in both layouts, Gaussian initialisation, the loss by tenths of a run.</summary>
internal sealed class Minibatch(int inputs, int size)
{
    /// <summary>The batch as rows, [B×d].</summary>
    public float[] Rows { get; } = new float[size * inputs];

    /// <summary>The batch as columns, [d×B] (the right operand of W · X).</summary>
    public float[] Columns { get; } = new float[inputs * size];

    /// <summary>Draws a batch with replacement and lays it out both ways.</summary>
    public TwoDigitData.Example[] Fill(IReadOnlyList<TwoDigitData.Example> data, Random rng)
    {
        var picked = new TwoDigitData.Example[size];
        for (var s = 0; s < size; s++)
        {
            picked[s] = data[rng.Next(data.Count)];
            picked[s].Pixels.CopyTo(Rows, s * inputs);
            for (var i = 0; i < inputs; i++) Columns[i * size + s] = picked[s].Pixels[i];
        }
        return picked;
    }

    /// <summary>n values drawn from N(0, std²) (Box–Muller).</summary>
    public static float[] Gaussian(Random rng, int n, double std) =>
        [.. Enumerable.Range(0, n).Select(_ => (float)(std * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())))];
}

/// <summary>Averages the squared error over each tenth of a run.</summary>
internal sealed class LossByTenths(int iterations)
{
    private readonly System.Collections.Immutable.ImmutableArray<double>.Builder _losses = System.Collections.Immutable.ImmutableArray.CreateBuilder<double>();
    private double _sum;
    private int _count;

    public void Add(float error)
    {
        _sum += error * (double)error;
        _count++;
    }

    public void EndStep(int step)
    {
        if ((step + 1) % Math.Max(1, iterations / 10) != 0) return;
        _losses.Add(_sum / Math.Max(1, _count));
        (_sum, _count) = (0, 0);
    }

    public System.Collections.Immutable.ImmutableArray<double> Losses => _losses.ToImmutable();
}
