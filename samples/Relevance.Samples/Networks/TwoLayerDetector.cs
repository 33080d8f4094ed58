using Relevance.Declarations;

namespace Relevance.Samples;

/// <summary>The paper's two-layer MNIST detector (Section IV-C): 1568 → 400 (b ≤ 0) → sum-pool groups of 4 → 400 (b ≤ 0) → sum.</summary>
[Network(1568, Low = -0.5, High = 1.5)]
[Dense(400, Bias = BiasConstraint.NonPositive)]
[ReLU]
[SumPool(4)]
[Dense(400, Bias = BiasConstraint.NonPositive)]
[ReLU]
[Sum]
public partial record TwoLayerDetector;
