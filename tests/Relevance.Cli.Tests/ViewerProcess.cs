using System.Diagnostics;

namespace Relevance.Cli.Tests;

/// <summary>`relevance serve --port 0 …` in its own process, as users start it; the address is read from its first lines.</summary>
public sealed class ViewerProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    public ViewerProcess(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "relevance.dll"));
        foreach (var a in (string[])["serve", "--port", "0", .. args]) start.ArgumentList.Add(a);
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            var line = _process.StandardOutput.ReadLine();
            if (line is null) break;
            lock (_log) _log.AppendLine(line);
            const string Marker = "Relevance viewer: ";
            if (line.StartsWith(Marker, StringComparison.Ordinal))
            {
                Address = new Uri(line[Marker.Length..].Split(' ')[0]);
                Client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
                // The rest of its output is read so that the process never blocks on a full pipe.
                _ = _process.StandardOutput.ReadToEndAsync();
                return;
            }
        }
        _process.Kill(entireProcessTree: true);
        throw new InvalidOperationException($"relevance serve did not print its address:\n{Log}");
    }

    /// <summary>The page's address, e.g. http://127.0.0.1:40123/.</summary>
    public Uri Address { get; } = null!;

    /// <summary>A client for the viewer's API.</summary>
    public HttpClient Client { get; } = null!;

    /// <summary>What the process printed so far.</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    public void Dispose()
    {
        Client?.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}
