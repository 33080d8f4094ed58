using System.Diagnostics;

namespace Relevance.Cli.Tests;

/// <summary>Runs the relevance command in its own process and collects exit code, stdout and stderr.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static string Data(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Relevance.sln")))
                return Path.GetFullPath(Path.Combine([dir.FullName, "data", .. parts]));
        throw new DirectoryNotFoundException("Relevance.sln not found above the test folder.");
    }

    public static Result Run(params string[] args) => RunProgram("relevance.dll", null, args);

    /// <summary>Runs a program built beside the tests, in the given working directory (default: the current one).</summary>
    public static Result RunProgram(string dll, string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{dll} {string.Join(' ', args)} did not finish in 3 minutes.");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    public static string TempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"relevance-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
