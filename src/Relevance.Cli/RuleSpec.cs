using System.Globalization;

namespace Relevance.Cli;

/// <summary>Parses the rule names of the command line: w2, z, zplus, zbox[:LOW:HIGH], epsilon[:EPS], gamma[:GAMMA[:EPS]], alphabeta[:ALPHA:BETA], flat.</summary>
internal static class RuleSpec
{
    public const string Help = "w2, z, zplus, zbox:LOW:HIGH, epsilon:EPS, gamma:GAMMA[:EPS], alphabeta:ALPHA:BETA or flat";

    /// <summary>A rule, or null for a bare "zbox" whose bounds come from the preprocessing or --bounds.</summary>
    public static Rule? Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split(':');
        double Number(int i) => i < parts.Length && double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw new UsageException($"'{text}': expected a number at position {i} (rules: {Help}).");
        try
        {
            return (parts[0], parts.Length) switch
            {
                ("w2" or "wsquare", 1) => Rules.WSquare,
                ("z", 1) => Rules.Z,
                ("zplus" or "z+", 1) => Rules.ZPlus,
                ("flat", 1) => Rules.Flat,
                ("zbox" or "zb", 1) => null,
                ("zbox" or "zb", 3) => Rules.ZBox(Number(1), Number(2)),
                ("epsilon" or "eps", 1) => Rules.Epsilon(),
                ("epsilon" or "eps", 2) => Rules.Epsilon(Number(1)),
                ("gamma", 1) => Rules.Gamma(),
                ("gamma", 2) => Rules.Gamma(Number(1)),
                ("gamma", 3) => Rules.Gamma(Number(1), Number(2)),
                ("alphabeta" or "ab", 1) => Rules.AlphaBeta(),
                ("alphabeta" or "ab", 3) => Rules.AlphaBeta(Number(1), Number(2)),
                _ => throw new UsageException($"Unknown rule '{text}'; use {Help}."),
            };
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"Rule '{text}': {e.Message}");
        }
    }

    /// <summary>The name <see cref="Parse"/> reads back as the same rule; a z^B box with per-element bounds is a bare "zbox".</summary>
    public static string Format(Rule rule) => rule switch
    {
        WSquareRule => "w2",
        ZRule => "z",
        ZPlusRule => "zplus",
        FlatRule => "flat",
        ZBoxRule => "zbox",
        EpsilonRule e => string.Create(CultureInfo.InvariantCulture, $"epsilon:{e.Epsilon:R}"),
        GammaRule g => string.Create(CultureInfo.InvariantCulture, $"gamma:{g.Gamma:R}:{g.Epsilon:R}"),
        AlphaBetaRule a => string.Create(CultureInfo.InvariantCulture, $"alphabeta:{a.Alpha:R}:{a.Beta:R}"),
        _ => rule.Name,
    };

    /// <summary>LOW:HIGH.</summary>
    public static (double Low, double High) Bounds(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var low)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var high)
            && double.IsFinite(low) && double.IsFinite(high) && low <= 0 && high >= 0)
            return (low, high);
        throw new UsageException($"--bounds '{text}': expected LOW:HIGH with LOW ≤ 0 ≤ HIGH.");
    }
}
