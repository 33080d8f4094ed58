using MathNet.Numerics.LinearAlgebra;

namespace Relevance.Reference;

/// <summary>The supplement's matrix algorithms (section II): each rule as one forward-like and one backward-like product,
/// with the weight-only matrices precomputed once per layer.</summary>
/// <remarks>W is d_in × d_out; X, L, H are input vectors; R is the upper relevance; ⊙ and ⊘ are element-wise, with x ⊘ 0 = 0.</remarks>
internal static class MatrixForms
{
    /// <summary>w²: N = V ⊘ (1·V) with V = W ⊙ W, precomputed; R_lower = N · R.</summary>
    public sealed record WSquare(Matrix<double> Normalised)
    {
        /// <summary>Precomputes N from W.</summary>
        public static WSquare Precompute(Matrix<double> w)
        {
            var v = w.PointwiseMultiply(w);
            var columnSums = v.ColumnSums();
            return new WSquare(Matrix<double>.Build.Dense(v.RowCount, v.ColumnCount, (i, j) => LinearRules.SafeDivide(v[i, j], columnSums[j])));
        }

        /// <summary>N · R.</summary>
        public Vector<double> Apply(Vector<double> r) => Normalised * r;
    }

    /// <summary>z: Z = Wᵀ X; R_lower = X ⊙ (W · (R ⊘ Z)).</summary>
    public static Vector<double> Z(Matrix<double> w, Vector<double> x, Vector<double> r) =>
        x.PointwiseMultiply(w * SafeDivide(r, w.TransposeThisAndMultiply(x)));

    /// <summary>z⁺ with V = W⁺ precomputed.</summary>
    public sealed record ZPlus(Matrix<double> Positive)
    {
        /// <summary>Precomputes V = W⁺.</summary>
        public static ZPlus Precompute(Matrix<double> w) => new(w.Map(v => Math.Max(0, v)));

        /// <summary>Z = Vᵀ X + b⁺; R_lower = X ⊙ (V · (R ⊘ Z)). Pass b⁺ = max(0, b) for biases as neurons, or null.</summary>
        public Vector<double> Apply(Vector<double> x, Vector<double> r, Vector<double>? positiveBias = null)
        {
            var z = Positive.TransposeThisAndMultiply(x);
            if (positiveBias is not null) z += positiveBias;
            return x.PointwiseMultiply(Positive * SafeDivide(r, z));
        }
    }

    /// <summary>z^B with V = W⁺ and U = W⁻ precomputed.</summary>
    public sealed record ZBox(Matrix<double> Weights, Matrix<double> Positive, Matrix<double> Negative)
    {
        /// <summary>Precomputes V = W⁺ and U = W⁻.</summary>
        public static ZBox Precompute(Matrix<double> w) => new(w, w.Map(v => Math.Max(0, v)), w.Map(v => Math.Min(0, v)));

        /// <summary>N = R ⊘ (Wᵀ X − Vᵀ L − Uᵀ H + b⁺); R_lower = X ⊙ (W N) − L ⊙ (V N) − H ⊙ (U N).</summary>
        public Vector<double> Apply(Vector<double> x, Vector<double> low, Vector<double> high, Vector<double> r, Vector<double>? positiveBias = null)
        {
            var z = Weights.TransposeThisAndMultiply(x) - Positive.TransposeThisAndMultiply(low) - Negative.TransposeThisAndMultiply(high);
            if (positiveBias is not null) z += positiveBias;
            var n = SafeDivide(r, z);
            return x.PointwiseMultiply(Weights * n) - low.PointwiseMultiply(Positive * n) - high.PointwiseMultiply(Negative * n);
        }
    }

    /// <summary>The layer's weights as a MathNet matrix (d_in × d_out).</summary>
    public static Matrix<double> MatrixOf(LinearMap map) => Matrix<double>.Build.DenseOfArray(map.ToMatrix());

    private static Vector<double> SafeDivide(Vector<double> r, Vector<double> z) =>
        Vector<double>.Build.Dense(r.Count, j => LinearRules.SafeDivide(r[j], z[j]));
}
