using Relevance.Declarations;

namespace PackageConsumer;

/// <summary>A mistake the compiler catches: a Dense layer straight after a convolution, with no Flatten (RLV003).</summary>
[Network(1, 28, 28, Low = 0, High = 1)]
[Conv2d(6, 5)]
[ReLU]
[Dense(10)]
public partial record MistakenNetwork;
