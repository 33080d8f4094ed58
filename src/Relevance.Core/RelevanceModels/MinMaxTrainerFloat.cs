using System.Collections.Immutable;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;
using Relevance.Engine;

namespace Relevance.RelevanceModels;

/// <summary>The min-max trainer's SGD in float32 on the engine's matrix products: the same steps as
/// <see cref="MinMaxTrainer"/> (which stays the double-precision reference), fast enough to fit on tens of thousands of examples.</summary>
public static class MinMaxTrainerFloat
{
    /// <summary>Trains the model on the samples; reports the loss before training and after each epoch.</summary>
    public static MinMaxFit Train(MinMaxRelevanceModel model, IReadOnlyList<MinMaxSample> samples, MinMaxTraining training, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(training);
        if (samples.Count == 0) throw new ArgumentException("The min-max trainer needs at least one sample.", nameof(samples));
        if (!(training.LearningRate > 0) || training.Epochs < 0 || training.BatchSize <= 0)
            throw new ArgumentException("The learning rate and batch size must be positive and the epochs non-negative.", nameof(training));
        var (inputs, context, neurons, outputs, group) = (model.Inputs, model.Context, model.Neurons, model.Outputs, model.NeuronsPerOutput);
        foreach (var s in samples)
            if (s.Input.Count != inputs || s.Context.Count != context || s.Target.Count != outputs)
                throw new ArgumentException($"A sample does not fit the model (inputs {inputs}, context {context}, outputs {outputs}).", nameof(samples));

        var n = samples.Count;
        var x = Rows(samples, s => s.Input, inputs);
        var c = Rows(samples, s => s.Context, context);
        var t = Rows(samples, s => s.Target, outputs);
        var v = Floats(model.Detectors.ToRowMajorArray());
        var w = Floats(model.ContextWeights.ToRowMajorArray());
        var d = Floats(model.Offsets.ToArray());
        var batchSize = Math.Min(training.BatchSize, n);
        var scratch = new Scratch(Math.Max(batchSize, 256), inputs, context, neurons);

        var losses = ImmutableArray.CreateBuilder<double>();
        losses.Add(Loss(x, c, t, v, w, d, n, inputs, context, neurons, outputs, group, scratch));
        var rng = new Random(training.Seed);
        var order = Enumerable.Range(0, n).ToArray();
        var (bx, bc, bt) = (new float[batchSize * inputs], new float[batchSize * context], new float[batchSize * outputs]);
        for (var epoch = 0; epoch < training.Epochs; epoch++)
        {
            rng.Shuffle(order);
            for (var start = 0; start < n; start += batchSize)
            {
                var b = Math.Min(batchSize, n - start);
                for (var r = 0; r < b; r++)
                {
                    var i = order[start + r];
                    x.AsSpan(i * inputs, inputs).CopyTo(bx.AsSpan(r * inputs));
                    c.AsSpan(i * context, context).CopyTo(bc.AsSpan(r * context));
                    t.AsSpan(i * outputs, outputs).CopyTo(bt.AsSpan(r * outputs));
                }
                Step(bx, bc, bt, b, v, w, d, inputs, context, neurons, outputs, group, (float)(training.LearningRate / b), scratch);
            }
            losses.Add(Loss(x, c, t, v, w, d, n, inputs, context, neurons, outputs, group, scratch));
            progress?.Report(epoch + 1);
        }
        var fitted = model with
        {
            Detectors = Matrix<double>.Build.DenseOfRowMajor(inputs, neurons, v.Select(f => (double)f)),
            ContextWeights = Matrix<double>.Build.DenseOfRowMajor(context, neurons, w.Select(f => (double)f)),
            Offsets = Vector<double>.Build.DenseOfEnumerable(d.Select(f => (double)f)),
        };
        return new MinMaxFit(fitted, losses.ToImmutable());
    }

    private sealed class Scratch(int rows, int inputs, int context, int neurons)
    {
        public readonly float[] Z = new float[rows * neurons], Pre = new float[rows * neurons], Dz = new float[rows * neurons];
        public readonly float[] Transposed = new float[rows * Math.Max(inputs, context)];
        public readonly float[] GradV = new float[inputs * neurons], GradW = new float[context * neurons];
    }

    // pre = C·W + d, z = X·V + min(0, pre): the neurons' pre-activations for `rows` examples.
    private static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> c, int rows, float[] v, float[] w, float[] d,
        int inputs, int context, int neurons, Scratch s)
    {
        var z = s.Z.AsSpan(0, rows * neurons);
        var pre = s.Pre.AsSpan(0, rows * neurons);
        Gemm.Multiply(c, w, pre, rows, context, neurons);
        for (var r = 0; r < rows; r++) TensorPrimitives.Add(pre.Slice(r * neurons, neurons), d, pre.Slice(r * neurons, neurons));
        Gemm.Multiply(x, v, z, rows, inputs, neurons);
        for (var i = 0; i < z.Length; i++) z[i] += Math.Min(0f, pre[i]);
    }

    // One SGD step on a minibatch, as MinMaxTrainer's: the gradient of Σ_k (R̂_k − R_k)² reaches z_j where z_j > 0, and the
    // inhibitor's parameters where its pre-activation is negative.
    private static void Step(float[] x, float[] c, float[] t, int rows, float[] v, float[] w, float[] d,
        int inputs, int context, int neurons, int outputs, int group, float scale, Scratch s)
    {
        Forward(x.AsSpan(0, rows * inputs), c.AsSpan(0, rows * context), rows, v, w, d, inputs, context, neurons, s);
        var (z, pre, dz) = (s.Z, s.Pre, s.Dz);
        for (var r = 0; r < rows; r++)
            for (var k = 0; k < outputs; k++)
            {
                var predicted = 0f;
                for (var j = k * group; j < (k + 1) * group; j++) predicted += Math.Max(0f, z[r * neurons + j]);
                var error = 2 * (predicted - t[r * outputs + k]);
                for (var j = k * group; j < (k + 1) * group; j++) dz[r * neurons + j] = z[r * neurons + j] > 0 ? error : 0f;
            }
        var dzs = dz.AsSpan(0, rows * neurons);
        // V −= scale · Xᵀ dz; then dz becomes dpre = dz ⊙ [pre < 0] for W −= scale · Cᵀ dpre and d −= scale · Σ_rows dpre.
        Kernels.Weights.Transpose(x.AsSpan(0, rows * inputs), rows, inputs, s.Transposed);
        Gemm.Multiply(s.Transposed.AsSpan(0, inputs * rows), dzs, s.GradV, inputs, rows, neurons);
        TensorPrimitives.MultiplyAdd(s.GradV, -scale, v, v);
        for (var i = 0; i < dzs.Length; i++) if (!(pre[i] < 0)) dzs[i] = 0f;
        Kernels.Weights.Transpose(c.AsSpan(0, rows * context), rows, context, s.Transposed);
        Gemm.Multiply(s.Transposed.AsSpan(0, context * rows), dzs, s.GradW, context, rows, neurons);
        TensorPrimitives.MultiplyAdd(s.GradW, -scale, w, w);
        for (var r = 0; r < rows; r++) TensorPrimitives.MultiplyAdd(dzs.Slice(r * neurons, neurons), -scale, d, d);
    }

    private static double Loss(float[] x, float[] c, float[] t, float[] v, float[] w, float[] d, int n,
        int inputs, int context, int neurons, int outputs, int group, Scratch s)
    {
        var rows = s.Z.Length / neurons;
        var total = 0.0;
        for (var start = 0; start < n; start += rows)
        {
            var b = Math.Min(rows, n - start);
            Forward(x.AsSpan(start * inputs, b * inputs), c.AsSpan(start * context, b * context), b, v, w, d, inputs, context, neurons, s);
            for (var r = 0; r < b; r++)
                for (var k = 0; k < outputs; k++)
                {
                    var predicted = 0.0;
                    for (var j = k * group; j < (k + 1) * group; j++) predicted += Math.Max(0f, s.Z[r * neurons + j]);
                    var error = predicted - t[(start + r) * outputs + k];
                    total += error * error;
                }
        }
        return total / n;
    }

    private static float[] Rows(IReadOnlyList<MinMaxSample> samples, Func<MinMaxSample, Vector<double>> part, int width)
    {
        var a = new float[samples.Count * width];
        for (var i = 0; i < samples.Count; i++)
        {
            var p = part(samples[i]);
            for (var k = 0; k < width; k++) a[i * width + k] = (float)p[k];
        }
        return a;
    }

    private static float[] Floats(double[] values) => [.. values.Select(v => (float)v)];
}
