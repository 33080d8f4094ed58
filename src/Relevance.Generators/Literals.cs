using System.Globalization;
using Relevance.Declarations;

namespace Relevance.Generators;

/// <summary>C# literals and names for emitted code, in the invariant culture.</summary>
internal static class Literals
{
    public static string Float(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f";

    public static string Double(double value) => value.ToString("R", CultureInfo.InvariantCulture) + "d";

    public static string String(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    public static string RuleName(LayerRule rule) => rule switch
    {
        LayerRule.WSquare => "w²",
        LayerRule.Z => "z",
        LayerRule.ZPlus => "z⁺",
        LayerRule.ZBox => "z^B",
        LayerRule.Flat => "flat",
        LayerRule.Gamma => "γ",
        _ => "none",
    };
}
