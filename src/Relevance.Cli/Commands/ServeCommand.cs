using System.CommandLine;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relevance.Cli.Serve;
using Relevance.Engine;
using Relevance.IO;

namespace Relevance.Cli.Commands;

/// <summary>`relevance serve`: a local web page to explain photos with several composites side by side.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var models = new Option<string[]>("--model") { Description = "An ONNX model to serve, or a shipped one (resnet18, squeezenet); repeat for several (default: resnet18 and squeezenet).", AllowMultipleArgumentsPerToken = true };
        var host = new Option<string>("--host") { Description = "The address to listen on (default 127.0.0.1: this machine only).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port (0: a free one, printed at start).", DefaultValueFactory = _ => 5180 };
        var upload = new Option<int>("--max-upload-mib") { Description = "The largest upload accepted, in MiB, refused before it is read.", DefaultValueFactory = _ => 16 };
        var pixels = new Option<long>("--max-pixels") { Description = "The most pixels an uploaded image may have, read from its header before it is decoded.", DefaultValueFactory = _ => 40_000_000 };
        var queue = new Option<int>("--max-queue") { Description = "How many requests may wait for the explainer; more are answered 'busy'.", DefaultValueFactory = _ => 8 };
        var memory = new Option<int>("--max-memory") { Description = "The most memory, in MiB, one explanation's buffers may take.", DefaultValueFactory = _ => (int)(EngineNetwork.DefaultMaxWorkspaceBytes >> 20) };
        var runs = new Option<string[]>("--runs") { Description = "The output folder of a relevance batch run, shown as a gallery of class-mean heatmaps; repeat for several.", AllowMultipleArgumentsPerToken = true };
        var pre = PreprocessingOptions.Create();
        var command = new Command("serve", "Serve a local web page to explain photos with a model: top outputs, heatmaps of several composites side by side, the per-layer consistency report, downloads.")
        {
            models, runs, host, port, upload, pixels, queue, memory,
        };
        pre.AddTo(command);
        command.SetAction((parse, cancel) => Run(parse.GetValue(models) is { Length: > 0 } m ? m : ["resnet18", "squeezenet"],
            new ViewerOptions(parse.GetValue(host)!, parse.GetValue(port), (long)parse.GetValue(upload) << 20, parse.GetValue(pixels), parse.GetValue(queue), parse.GetValue(memory)),
            parse.GetValue(runs) ?? [], pre.Read(parse), cancel));
        return command;
    }

    private static async Task<int> Run(string[] given, ViewerOptions options, string[] runFolders, ImageInput image, CancellationToken cancel)
    {
        var runs = ViewerRuns.From(runFolders);
        if (!IPAddress.TryParse(options.Host, out _)) throw new UsageException($"--host '{options.Host}' is not an IP address (e.g. 127.0.0.1, or 0.0.0.0 for every interface).");
        if (options.Port is < 0 or > 65535) throw new UsageException($"--port must be 0 to 65535, got {options.Port}.");
        if (options.MaxUploadBytes <= 0) throw new UsageException("--max-upload-mib must be positive.");
        if (options.MaxPixels <= 0) throw new UsageException($"--max-pixels must be positive, got {options.MaxPixels}.");
        if (options.MaxQueue < 0) throw new UsageException($"--max-queue must be 0 or more, got {options.MaxQueue}.");
        if (options.MaxMemoryMiB <= 0) throw new UsageException($"--max-memory must be a positive number of MiB, got {options.MaxMemoryMiB}.");
        var loaded = new List<ViewerModel>();
        foreach (var m in given)
        {
            Console.WriteLine($"loading {m}…");
            var model = ViewerModel.Load(m, image, keep: 8);
            if (loaded.Any(l => l.Name == model.Name))
                throw new UsageException($"Two models are named '{model.Name}'; the viewer names a model by its file name, so give files of different names.");
            loaded.Add(model);
        }
        await using var app = ViewerServer.Build([.. loaded], runs, options);
        try
        {
            await app.StartAsync(cancel);
        }
        catch (IOException e)
        {
            // Address in use, or a port this user may not open: the command line's to change.
            throw new UsageException($"Cannot listen on {options.Host}:{options.Port}: {(e.InnerException?.Message ?? e.Message).TrimEnd('.')}. Choose another --port, or --port 0 for a free one.");
        }
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"Relevance viewer: {address}/ ({string.Join(", ", loaded.Select(l => l.Name).Concat(runs.Names.Select(r => $"run {r}")))}); Ctrl-C stops it.");
        await app.WaitForShutdownAsync(cancel);
        return ExitCodes.Success;
    }
}
