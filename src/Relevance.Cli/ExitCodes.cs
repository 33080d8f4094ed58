namespace Relevance.Cli;

/// <summary>The command's exit codes; scripts depend on them.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>The work ran and found a failure (e.g. a proposition that does not hold), or an unexpected error.</summary>
    public const int Failure = 1;
    /// <summary>Bad command-line usage.</summary>
    public const int Usage = 2;
}
