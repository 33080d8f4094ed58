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

    /// <summary>Runs the relevance command with environment variables set (null: removed) for it.</summary>
    public static Result RunWith(IReadOnlyDictionary<string, string?> environment, params string[] args) => RunProgram("relevance.dll", null, args, environment);

    /// <summary>Starts the relevance command without waiting for it, its output discarded.</summary>
    public static Process Start(params string[] args)
    {
        var start = StartInfo("relevance.dll", null, args, null);
        (start.RedirectStandardOutput, start.RedirectStandardError) = (false, false);
        return Process.Start(start)!;
    }

    private static ProcessStartInfo StartInfo(string dll, string? workingDirectory, string[] args, IReadOnlyDictionary<string, string?>? environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) start.ArgumentList.Add(a);
        // A test's process inherits no scheduler's variables unless the test sets them.
        foreach (var name in new[] { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX" }) start.Environment.Remove(name);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) start.Environment[name] = value;
        return start;
    }

    /// <summary>Runs a program built beside the tests, in the given working directory (default: the current one).</summary>
    public static Result RunProgram(string dll, string? workingDirectory, params string[] args) => RunProgram(dll, workingDirectory, args, null);

    private static Result RunProgram(string dll, string? workingDirectory, string[] args, IReadOnlyDictionary<string, string?>? environment)
    {
        using var process = Process.Start(StartInfo(dll, workingDirectory, args, environment))!;
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
