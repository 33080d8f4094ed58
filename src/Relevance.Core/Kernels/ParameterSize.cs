namespace Relevance.Kernels;

/// <summary>What one linear layer of a declared network binds: its weight and bias counts and its fan-in.</summary>
/// <param name="Layer">The layer's name.</param>
/// <param name="Weights">The number of weights (Dense: inputs·outputs; Conv2d: out·in·k·k).</param>
/// <param name="Bias">The number of biases (0 when declared without bias).</param>
/// <param name="FanIn">Inputs per output neuron (Dense: inputs; Conv2d: in·k·k), for weight initialisation.</param>
public readonly record struct ParameterSize(string Layer, int Weights, int Bias, int FanIn);
