using Relevance.Declarations;

namespace Relevance.Samples;

/// <summary>A small residual CNN on 28×28 grey images: a stem, one residual block (Add splits relevance by contribution), pooling and 10 logits.</summary>
[Network(1, 28, 28, Low = 0, High = 1)]
[Conv2d(8, 3, Padding = 1)]
[ReLU(Name = "stem")]
[Conv2d(8, 3, Padding = 1)]
[ReLU]
[Conv2d(8, 3, Padding = 1)]
[Add("stem")]
[ReLU]
[SumPool(2)]
[Flatten]
[Dense(10)]
public partial record ResidualCnn;
