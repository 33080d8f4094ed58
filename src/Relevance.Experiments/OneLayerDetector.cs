using System.Collections.Immutable;
using Relevance.Engine;

namespace Relevance.Experiments;

/// <summary>The paper's one-layer network (section III-C): x_k = Σ_j max(0, Σ_i x_i w_ij + b_j) with b_j ≤ 0.</summary>
/// <param name="Weights">w_ij stored by hidden unit: row j holds (w_1j … w_dj), hidden × inputs.</param>
/// <param name="Bias">b_j ≤ 0.</param>
/// <param name="Inputs">d.</param>
public sealed record OneLayerDetector(ImmutableArray<float> Weights, ImmutableArray<float> Bias, int Inputs)
{
    /// <summary>The number of detection units.</summary>
    public int Hidden => Bias.Length;

    /// <summary>The network as a layer graph (Dense, ReLU, Sum) in double precision, for the reference explanations.</summary>
    public Network ToNetwork()
    {
        var w = new double[Inputs * Hidden];
        for (var j = 0; j < Hidden; j++)
            for (var i = 0; i < Inputs; i++) w[i * Hidden + j] = Weights[j * Inputs + i];
        return Network.Sequential(Shape.Of(Inputs), new Dense(Inputs, Hidden, [.. w], [.. Bias.Select(b => (double)b)]), new ReLU(), new Sum());
    }

    /// <summary>x_k for one input.</summary>
    public float Output(ReadOnlySpan<float> x)
    {
        var f = 0f;
        for (var j = 0; j < Hidden; j++)
            f += Math.Max(0, System.Numerics.Tensors.TensorPrimitives.Dot(Weights.AsSpan().Slice(j * Inputs, Inputs), x) + Bias[j]);
        return f;
    }
}

/// <summary>SGD settings of the paper's detectors.</summary>
/// <param name="Iterations">Minibatch steps (the paper: 300 000).</param>
/// <param name="BatchSize">Examples per step (the paper: 20).</param>
/// <param name="LearningRate">The step size.</param>
/// <param name="Seed">The seed of initialisation and batch order.</param>
/// <param name="Hidden">Detection units (the paper: 400).</param>
/// <param name="InitialStd">Standard deviation of the initial weights (the paper: 0.05).</param>
public sealed record Training(int Iterations, int BatchSize = 20, double LearningRate = 3e-5, int Seed = 1, int Hidden = 400, double InitialStd = 0.05);

/// <summary>Trains the one-layer detector by SGD on the mean-square error to {0, 100}, keeping b ≤ 0 after every step.</summary>
public static class OneLayerTrainer
{
    /// <summary>The trained detector and the mean loss of each tenth of the run.</summary>
    public static (OneLayerDetector Detector, ImmutableArray<double> Losses) Train(IReadOnlyList<TwoDigitData.Example> data, Training t, IProgress<int>? progress = null)
    {
        if (data.Count == 0 || t.Iterations < 0 || t.BatchSize <= 0 || !(t.LearningRate > 0) || t.Hidden <= 0)
            throw new ArgumentException("Training needs data, a positive batch size, learning rate and width, and non-negative iterations.");
        var (d, m, batch) = (data[0].Pixels.Length, t.Hidden, t.BatchSize);
        var rng = new Random(t.Seed);
        var w = Minibatch.Gaussian(rng, m * d, t.InitialStd);
        var b = new float[m];
        var (z, delta, grad) = (new float[m * batch], new float[m * batch], new float[m * d]);
        var minibatch = new Minibatch(d, batch);
        var losses = new LossByTenths(t.Iterations);
        for (var step = 0; step < t.Iterations; step++)
        {
            var picked = minibatch.Fill(data, rng);
            var x = minibatch.Rows;
            Gemm.Multiply(w, minibatch.Columns, z, m, d, batch);
            // f_s = Σ_j max(0, z_js + b_j); ∂/∂z_js of the mean (f_s − t_s)² is 2 (f_s − t_s) / B where z_js + b_j > 0.
            var error = new float[batch];
            for (var s = 0; s < batch; s++)
            {
                var f = 0f;
                for (var j = 0; j < m; j++) f += Math.Max(0, z[j * batch + s] + b[j]);
                error[s] = f - picked[s].Target;
                losses.Add(error[s]);
            }
            for (var j = 0; j < m; j++)
                for (var s = 0; s < batch; s++)
                    delta[j * batch + s] = z[j * batch + s] + b[j] > 0 ? 2 * error[s] / batch : 0;
            Gemm.Multiply(delta, x, grad, m, batch, d);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(grad, (float)-t.LearningRate, w, w);
            for (var j = 0; j < m; j++)
            {
                var g = 0f;
                for (var s = 0; s < batch; s++) g += delta[j * batch + s];
                b[j] = Math.Min(0, b[j] - (float)t.LearningRate * g);
            }
            losses.EndStep(step);
            if (step % 100 == 0) progress?.Report(step);
        }
        progress?.Report(t.Iterations);
        return (new OneLayerDetector([.. w], [.. b], d), losses.Losses);
    }
}
