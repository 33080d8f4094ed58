namespace Relevance.Cli;

/// <summary>Files shipped beside the executable: the repository's data/ folder and the models restored by the build.</summary>
internal static class Shipped
{
    /// <summary>A path under the executable's folder.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, .. parts]);
}
