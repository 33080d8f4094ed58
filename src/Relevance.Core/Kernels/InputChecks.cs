using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Relevance.Kernels;

/// <summary>The run-time checks of a generated explainer's input: length, finiteness and the first rule's domain.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class InputChecks
{
    /// <summary>Throws <see cref="InvalidInputException"/> unless the span has the declared length and only finite values.</summary>
    public static void RequireFinite(ReadOnlySpan<float> input, int length, string network)
    {
        if (input.Length != length)
            throw new InvalidInputException($"{network} takes {length} input values, got {input.Length}.");
        var i = IndexOfNonFinite(input);
        if (i >= 0) throw new InvalidInputException($"{network}: input {i} is {input[i]}.");
    }

    // The index of the first NaN or ±∞, or −1. One vector pass clears the common case (x − x is 0 for every finite x, NaN
    // otherwise); the index is looked for only when there is one to report.
    internal static int IndexOfNonFinite(ReadOnlySpan<float> input)
    {
        var i = 0;
        var residue = Vector512<float>.Zero;
        ref var start = ref MemoryMarshal.GetReference(input);
        for (; Vector512.IsHardwareAccelerated && i + 16 <= input.Length; i += 16)
        {
            var v = Vector512.LoadUnsafe(ref start, (nuint)i);
            residue += v - v;
        }
        for (i = Vector512.EqualsAll(residue, Vector512<float>.Zero) ? i : 0; i < input.Length; i++)
            if (!float.IsFinite(input[i])) return i;
        return -1;
    }

    // The index of the first x_i below l_i or above h_i, or −1 (a NaN is neither), by one vector pass as above.
    internal static int IndexOutside(ReadOnlySpan<float> x, ReadOnlySpan<float> low, ReadOnlySpan<float> high)
    {
        if (low.Length < x.Length || high.Length < x.Length) throw new ArgumentException($"Bounds for {x.Length} values hold {low.Length} and {high.Length}.");
        var i = 0;
        var outside = Vector512<float>.Zero;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rl = ref MemoryMarshal.GetReference(low);
        ref var rh = ref MemoryMarshal.GetReference(high);
        for (; Vector512.IsHardwareAccelerated && i + 16 <= x.Length; i += 16)
        {
            var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
            outside |= Vector512.LessThan(v, Vector512.LoadUnsafe(ref rl, (nuint)i)) | Vector512.GreaterThan(v, Vector512.LoadUnsafe(ref rh, (nuint)i));
        }
        for (i = Vector512.EqualsAll(outside, Vector512<float>.Zero) ? i : 0; i < x.Length; i++)
            if (x[i] < low[i] || x[i] > high[i]) return i;
        return -1;
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
