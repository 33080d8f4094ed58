using Relevance.Declarations;

namespace Relevance.Samples;

/// <summary>LeNet-5 on 28×28 grey images in [0, 1]: two convolutions with max-pooling, three dense layers, 10 logits.</summary>
/// <remarks>With l = 0 the first layer's z^B is the z⁺ of a non-negative box; every layer above reads a ReLU or a pool of one.</remarks>
[Network(1, 28, 28, Low = 0, High = 1)]
[Conv2d(6, 5, Padding = 2)]
[ReLU]
[MaxPool(2)]
[Conv2d(16, 5)]
[ReLU]
[MaxPool(2)]
[Flatten]
[Dense(120)]
[ReLU]
[Dense(84)]
[ReLU]
[Dense(10)]
public partial record LeNet5;
