using FsCheck.Xunit;

namespace Relevance.Tests;

/// <summary>An FsCheck property that runs 200 cases, or RELEVANCE_PROPERTY_CASES when set (to raise it locally).</summary>
public sealed class SpecPropertyAttribute : PropertyAttribute
{
    /// <summary>The number of cases every specification property runs.</summary>
    public static int Cases =>
        int.TryParse(Environment.GetEnvironmentVariable("RELEVANCE_PROPERTY_CASES"), out var n) && n > 0 ? n : 200;

    public SpecPropertyAttribute() => MaxTest = Cases;
}
