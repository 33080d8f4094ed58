using Relevance.Declarations;

namespace Relevance.Samples;

/// <summary>The paper's one-layer MNIST detector (Section III-C): 1568 pixels in [−0.5, 1.5] → 400 ReLU units with b ≤ 0 → sum.</summary>
/// <remarks>Training-free deep Taylor: z^B on the pixels with the input box, z⁺ above (there is no layer above here).</remarks>
[Network(1568, Low = -0.5, High = 1.5)]
[Dense(400, Bias = BiasConstraint.NonPositive)]
[ReLU]
[Sum]
public partial record OneLayerDetector;
