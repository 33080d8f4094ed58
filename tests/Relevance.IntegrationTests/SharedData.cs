namespace Relevance.IntegrationTests;

/// <summary>Paths into the real data laid beside the repository (../shared/data), read-only.</summary>
internal static class SharedData
{
    public static string Root { get; } = Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Relevance.sln")))
            {
                var data = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "data"));
                return Directory.Exists(data) ? data : throw new DirectoryNotFoundException($"The shared data folder is expected at {data}.");
            }
        throw new DirectoryNotFoundException($"Relevance.sln not found above {AppContext.BaseDirectory}.");
    }
}
