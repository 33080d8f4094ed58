using System.Collections.Immutable;
using Relevance.Engine;

namespace Relevance.Experiments;

/// <summary>The paper's two-layer network (section IV-C): 1568 → 400 (ReLU, b ≤ 0) → sum-pool groups of 4 → 100 → 400 (ReLU, b ≤ 0) → sum.</summary>
/// <param name="W1">First-layer weights by hidden unit, 400 × 1568.</param>
/// <param name="B1">First-layer biases (≤ 0).</param>
/// <param name="W2">Second-layer weights by unit, 400 × 100.</param>
/// <param name="B2">Second-layer biases (≤ 0).</param>
public sealed record TwoLayerDetector(ImmutableArray<float> W1, ImmutableArray<float> B1, ImmutableArray<float> W2, ImmutableArray<float> B2)
{
    /// <summary>Sum-pooling group size.</summary>
    public const int Group = 4;

    /// <summary>Input size.</summary>
    public int Inputs => W1.Length / B1.Length;
    /// <summary>First detection layer width.</summary>
    public int Hidden1 => B1.Length;
    /// <summary>Pooled units.</summary>
    public int Pooled => Hidden1 / Group;
    /// <summary>Second detection layer width.</summary>
    public int Hidden2 => B2.Length;

    /// <summary>The network as a layer graph in double precision: Dense, ReLU, Reshape + SumPool (groups of 4), Flatten, Dense, ReLU, Sum.</summary>
    public Network ToNetwork()
    {
        static ImmutableArray<double> ByInput(ImmutableArray<float> w, int outputs, int inputs)
        {
            var t = new double[w.Length];
            for (var j = 0; j < outputs; j++)
                for (var i = 0; i < inputs; i++) t[i * outputs + j] = w[j * inputs + i];
            return [.. t];
        }
        return Network.Sequential(Shape.Of(Inputs),
            new Dense(Inputs, Hidden1, ByInput(W1, Hidden1, Inputs), [.. B1.Select(b => (double)b)]),
            new ReLU(),
            new Reshape(Shape.Of(Pooled, 1, Group)),
            new Pool2d(PoolKind.Sum, 1, Group),
            new Flatten(),
            new Dense(Pooled, Hidden2, ByInput(W2, Hidden2, Pooled), [.. B2.Select(b => (double)b)]),
            new ReLU(),
            new Sum());
    }

    /// <summary>The pooled units p_k and the upper detection units h2_l for one input.</summary>
    public (float[] Pooled, float[] Upper, float Output) Activations(ReadOnlySpan<float> x)
    {
        var p = new float[Pooled];
        for (var j = 0; j < Hidden1; j++)
            p[j / Group] += Math.Max(0, System.Numerics.Tensors.TensorPrimitives.Dot(W1.AsSpan().Slice(j * Inputs, Inputs), x) + B1[j]);
        var h = new float[Hidden2];
        for (var l = 0; l < Hidden2; l++)
            h[l] = Math.Max(0, System.Numerics.Tensors.TensorPrimitives.Dot(W2.AsSpan().Slice(l * Pooled, Pooled), p) + B2[l]);
        return (p, h, System.Numerics.Tensors.TensorPrimitives.Sum(h));
    }
}

/// <summary>Trains the two-layer detector by SGD on the mean-square error to {0, 100}, keeping both layers' biases ≤ 0.</summary>
public static class TwoLayerTrainer
{
    /// <summary>The trained detector and the mean loss of each tenth of the run.</summary>
    public static (TwoLayerDetector Detector, ImmutableArray<double> Losses) Train(IReadOnlyList<TwoDigitData.Example> data, Training t, IProgress<int>? progress = null)
    {
        if (data.Count == 0 || t.Iterations < 0 || t.BatchSize <= 0 || !(t.LearningRate > 0) || t.Hidden % TwoLayerDetector.Group != 0)
            throw new ArgumentException("Training needs data, positive settings, and a width divisible by the pooling group.");
        var (d, m1, k, m2, batch, g) = (data[0].Pixels.Length, t.Hidden, t.Hidden / TwoLayerDetector.Group, t.Hidden, t.BatchSize, TwoLayerDetector.Group);
        var rng = new Random(t.Seed);
        var (w1, b1) = (Minibatch.Gaussian(rng, m1 * d, t.InitialStd), new float[m1]);
        var (w2, b2) = (Minibatch.Gaussian(rng, m2 * k, t.InitialStd), new float[m2]);
        var minibatch = new Minibatch(d, batch);
        var (z1, p, pt, z2) = (new float[m1 * batch], new float[k * batch], new float[batch * k], new float[m2 * batch]);
        var (d2, dp, d1, w2t) = (new float[m2 * batch], new float[k * batch], new float[m1 * batch], new float[k * m2]);
        var (g1, g2) = (new float[m1 * d], new float[m2 * k]);
        var losses = new LossByTenths(t.Iterations);
        var rate = (float)t.LearningRate;
        for (var step = 0; step < t.Iterations; step++)
        {
            var picked = minibatch.Fill(data, rng);
            var x = minibatch.Rows;
            Gemm.Multiply(w1, minibatch.Columns, z1, m1, d, batch);
            Array.Clear(p);
            for (var j = 0; j < m1; j++)
                for (var s = 0; s < batch; s++) p[j / g * batch + s] += Math.Max(0, z1[j * batch + s] + b1[j]);
            Gemm.Multiply(w2, p, z2, m2, k, batch);
            var error = new float[batch];
            for (var s = 0; s < batch; s++)
            {
                var f = 0f;
                for (var l = 0; l < m2; l++) f += Math.Max(0, z2[l * batch + s] + b2[l]);
                error[s] = f - picked[s].Target;
                losses.Add(error[s]);
            }
            // Backpropagation of the mean (f − t)² through sum, ReLU, dense, sum-pool, ReLU, dense.
            for (var l = 0; l < m2; l++)
                for (var s = 0; s < batch; s++) d2[l * batch + s] = z2[l * batch + s] + b2[l] > 0 ? 2 * error[s] / batch : 0;
            for (var kk = 0; kk < k; kk++)
                for (var s = 0; s < batch; s++) pt[s * k + kk] = p[kk * batch + s];
            for (var l = 0; l < m2; l++)
                for (var kk = 0; kk < k; kk++) w2t[kk * m2 + l] = w2[l * k + kk];
            Gemm.Multiply(d2, pt, g2, m2, batch, k);
            Gemm.Multiply(w2t, d2, dp, k, m2, batch);
            for (var j = 0; j < m1; j++)
                for (var s = 0; s < batch; s++) d1[j * batch + s] = z1[j * batch + s] + b1[j] > 0 ? dp[j / g * batch + s] : 0;
            Gemm.Multiply(d1, x, g1, m1, batch, d);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g1, -rate, w1, w1);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g2, -rate, w2, w2);
            for (var j = 0; j < m1; j++) b1[j] = Math.Min(0, b1[j] - rate * System.Numerics.Tensors.TensorPrimitives.Sum(d1.AsSpan(j * batch, batch)));
            for (var l = 0; l < m2; l++) b2[l] = Math.Min(0, b2[l] - rate * System.Numerics.Tensors.TensorPrimitives.Sum(d2.AsSpan(l * batch, batch)));
            losses.EndStep(step);
            if (step % 100 == 0) progress?.Report(step);
        }
        progress?.Report(t.Iterations);
        return (new TwoLayerDetector([.. w1], [.. b1], [.. w2], [.. b2]), losses.Losses);
    }
}
