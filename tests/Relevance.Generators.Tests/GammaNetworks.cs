using Relevance.Declarations;

namespace Relevance.Generators.Tests;

/// <summary>A CNN under the γ-rule on every layer, for the generated path's parity with the reference. Every layer's output
/// is rectified and summed, and the biases are bound ≤ 0, so an output that carries relevance has Σ x w &gt; −b ≥ 0 on inputs
/// x ≥ 0: its γ denominator Σ x w + γ Σ x w⁺ is then at least γ Σ x w⁺, and at least γ / (2 + γ) = 1/9 of the sum of its
/// terms' magnitudes. No denominator cancels, so float32 against double stays within the parity tolerance by construction.</summary>
[Network(1, 8, 8, Low = 0, High = 1, FirstRule = LayerRule.Gamma, Rule = LayerRule.Gamma)]
[Conv2d(4, 3, Padding = 1, Bias = BiasConstraint.NonPositive)]
[ReLU]
[MaxPool(2)]
[Conv2d(6, 3, Bias = BiasConstraint.NonPositive)]
[ReLU]
[Flatten]
[Dense(8, Bias = BiasConstraint.NonPositive)]
[ReLU]
[Sum]
public partial record GammaCnn;

/// <summary>Dense layers under the γ-rule (the batch path's matrix products), conditioned as <see cref="GammaCnn"/> when
/// bound with biases ≤ 0; with positive biases, outputs whose Σ x w &lt; 0 pass their ReLU and take γ's negative branch.</summary>
[Network(24, Low = 0, High = 1, FirstRule = LayerRule.Gamma, Rule = LayerRule.Gamma)]
[Dense(12)]
[ReLU]
[Dense(6)]
[ReLU]
[Sum]
public partial record GammaDense;
