using Relevance.Declarations;

namespace PackageConsumer;

/// <summary>The paper's one-layer MNIST detector: two 28×28 digits side by side (1568 pixels in [−0.5, 1.5]) → 400 ReLU units → sum.</summary>
[Network(1568, Low = -0.5, High = 1.5)]
[Dense(400, Bias = BiasConstraint.NonPositive)]
[ReLU]
[Sum]
public partial record PaperDetector;
