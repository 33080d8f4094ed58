namespace Relevance.Kernels;

/// <summary>The run-time checks of a generated explainer's input: length, finiteness and the first rule's domain.</summary>
public static class InputChecks
{
    /// <summary>Throws <see cref="InvalidInputException"/> unless the span has the declared length and only finite values.</summary>
    public static void RequireFinite(ReadOnlySpan<float> input, int length, string network)
    {
        if (input.Length != length)
            throw new InvalidInputException($"{network} takes {length} input values, got {input.Length}.");
        for (var i = 0; i < input.Length; i++)
            if (!float.IsFinite(input[i])) throw new InvalidInputException($"{network}: input {i} is {input[i]}.");
    }

    /// <summary>Throws <see cref="RuleDomainException"/> unless l ≤ x_i ≤ h for every element (z^B, or z⁺ with l = 0).</summary>
    public static void RequireInBox(ReadOnlySpan<float> input, float low, float high, string layer, string rule)
    {
        for (var i = 0; i < input.Length; i++)
            if (input[i] < low || input[i] > high)
                throw new RuleDomainException(layer, $"{rule} needs inputs in [{low}, {high}], but input {i} is {input[i]}.");
    }

    /// <summary>Throws unless an output buffer has at least the needed length.</summary>
    public static void RequireLength(int actual, int needed, string what)
    {
        if (actual < needed) throw new ArgumentException($"The {what} span holds {actual} values; {needed} are needed.");
    }
}
