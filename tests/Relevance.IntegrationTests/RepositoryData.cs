namespace Relevance.IntegrationTests;

/// <summary>Paths into the real models and data committed with the repository (data/, origin and licences in data/README.md), read-only.</summary>
internal static class RepositoryData
{
    public static string Root { get; } = Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Relevance.sln")))
                return System.IO.Path.Combine(dir.FullName, "data");
        throw new DirectoryNotFoundException($"Relevance.sln not found above {AppContext.BaseDirectory}.");
    }
}
