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
    /// <summary>The model cannot be read or uses something unsupported.</summary>
    public const int UnsupportedModel = 3;
    /// <summary>The input file is unreadable, of the wrong shape, not finite, outside the rule's domain, or overflows the computation.</summary>
    public const int BadInput = 4;

    /// <summary>The exit code for an error raised while running a command.</summary>
    public static int For(Exception e) => e switch
    {
        UsageException => Usage,
        Onnx.UnsupportedModelException or Onnx.ModelFormatException or UncoveredLayerException or NetworkException => UnsupportedModel,
        IO.NpyFormatException or IO.ImageFormatException or IO.IdxFormatException or InvalidInputException or RuleDomainException or ShapeMismatchException or NumericFaultException => BadInput,
        _ => Failure,
    };
}

/// <summary>A command line that parses but does not make sense (a malformed rule, inconsistent options).</summary>
internal sealed class UsageException(string message) : Exception(message);
