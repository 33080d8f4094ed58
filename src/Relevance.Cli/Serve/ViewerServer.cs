using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Relevance.IO;
using SkiaSharp;

namespace Relevance.Cli.Serve;

/// <summary>The viewer's limits and address.</summary>
/// <param name="Host">The address to listen on (127.0.0.1: this machine only).</param>
/// <param name="Port">The port (0: a free one, printed at start).</param>
/// <param name="MaxUploadBytes">The largest request body accepted, checked before it is read.</param>
/// <param name="MaxPixels">The most pixels an uploaded image may have by its header, checked before it is decoded.</param>
/// <param name="MaxQueue">How many requests may wait for the explanation worker; more are refused as busy.</param>
/// <param name="MaxMemoryMiB">The most memory one explanation's buffers may take.</param>
internal sealed record ViewerOptions(string Host, int Port, long MaxUploadBytes, long MaxPixels, int MaxQueue, int MaxMemoryMiB);

/// <summary>`relevance serve`: static pages and a small JSON API over the library's explainer, on Kestrel.</summary>
/// <remarks>Models come only from the command line; the browser names them, never a path. Explanations run one at a time
/// (each uses every core) behind a bounded queue, and a request whose client went away stops between composites.</remarks>
internal static class ViewerServer
{
    private const string Static = "Relevance.Cli.Serve.wwwroot";

    /// <summary>Builds the web application for the given models (started by the caller).</summary>
    public static WebApplication Build(ImmutableArray<ViewerModel> models, ViewerRuns runs, ViewerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxUploadBytes;
            k.Listen(IPAddress.Parse(options.Host), options.Port);
        });
        builder.Services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = options.MaxUploadBytes);
        var app = builder.Build();
        var files = new EmbeddedFileProvider(typeof(ViewerServer).Assembly, Static);
        app.Use(async (context, next) =>
        {
            // Everything the page needs comes from this server: no CDN, no external fonts or scripts.
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            await next(context);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        var api = new ViewerApi(models, options);
        app.MapGet("/api/models", api.Models);
        app.MapGet("/api/models/{model}/layers", api.Layers);
        app.MapGet("/api/status", api.Status);
        app.MapPost("/api/explain", (Delegate)api.Explain);
        app.MapGet("/api/results/{id}/input.png", api.InputPng);
        app.MapGet("/api/results/{id}/{composite}/{file}", api.Download);
        app.MapGet("/api/runs", () => Results.Json(runs.List()));
        app.MapGet("/api/runs/{run}/class-means/{target:int}.png", (string run, int target) => runs.ClassMeanPng(run, target) is { } png
            ? Results.File(png, "image/png", $"{run}-class-mean-{target}.png")
            : ViewerApi.Error(StatusCodes.Status404NotFound, "not-found", $"Run '{run}' has no class mean for target {target} (is its summary.json written?)."));
        app.MapFallback("/api/{**rest}", (HttpContext c) => ViewerApi.Error(StatusCodes.Status404NotFound, "not-found", $"Nothing is served at {c.Request.Path}."));
        return app;
    }
}

/// <summary>The viewer's JSON API: the models, an explanation per composite, and the results' downloads.</summary>
internal sealed class ViewerApi(ImmutableArray<ViewerModel> models, ViewerOptions options)
{
    private readonly SemaphoreSlim _worker = new(1);
    private readonly ViewerResults _results = new(32);
    private int _waiting;

    /// <summary>GET /api/models: the models, the composites and the limits.</summary>
    public IResult Models() => Results.Json(new
    {
        models = models.Select(m => new
        {
            name = m.Name,
            file = Path.GetFileName(m.File),
            inputShape = m.Model.Network.InputShape.Dims,
            outputs = m.Model.Network.OutputShape.Size,
            labelled = m.Labels.Length > 0,
            takesImages = m.TakesImages,
        }),
        composites = ViewerComposite.All.Select(c => new { id = c.Id, title = c.Title, description = c.Description }),
        rules = new[] { "zbox", "w2", "zplus", "z", "epsilon:0.25", "epsilon:1e-6", "gamma:0.25", "alphabeta:2:1", "alphabeta:1:0", "flat" },
        limits = new { maxUploadBytes = options.MaxUploadBytes, maxPixels = options.MaxPixels },
    });

    /// <summary>GET /api/status: how many explanation requests are running or waiting, and the queue's bound.</summary>
    public IResult Status() => Results.Json(new { requests = Volatile.Read(ref _waiting), maxQueue = options.MaxQueue });

    /// <summary>GET /api/models/{model}/layers?composite=ID: the linear layers with the rule the composite gives each (for the per-layer editor).</summary>
    public IResult Layers(string model, string? composite) => Guard(() =>
    {
        var m = Model(model);
        var c = ViewerComposite.All.FirstOrDefault(x => x.Id == (composite ?? "dtd") && x.Choice is not null)
            ?? throw new UsageException($"'{composite}' is not a composite with fixed rules; use one of {string.Join(", ", ViewerComposite.All.Where(x => x.Choice is not null).Select(x => x.Id))}.");
        var rules = c.Choice!.Resolve(() => Box(m, null));
        var layers = m.LinearLayers(rules.Composite ?? Composite.FirstLayer(rules.First, rules.Rest));
        return Results.Json(layers.Select(l => new { node = l.Node, kind = l.Kind, rule = RuleSpec.Format(l.Rule) }));
    });

    /// <summary>POST /api/explain (multipart: model, file, target, composites, custom, maxpool, bias): top outputs and one explanation per composite.</summary>
    public async Task<IResult> Explain(HttpContext context)
    {
        var request = context.Request;
        var cancel = context.RequestAborted;
        if (request.ContentLength > options.MaxUploadBytes)
            return TooLarge(request.ContentLength.Value);
        if (Interlocked.Increment(ref _waiting) > options.MaxQueue + 1)
        {
            Interlocked.Decrement(ref _waiting);
            return Error(StatusCodes.Status503ServiceUnavailable, "busy", $"{options.MaxQueue} requests are already waiting for the explainer; try again shortly.");
        }
        try
        {
            IFormCollection form;
            try
            {
                if (!request.HasFormContentType) throw new UsageException("POST /api/explain takes a multipart form (model, file, target, composites).");
                form = await request.ReadFormAsync(cancel);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return TooLarge(null);
            }
            catch (InvalidDataException e)
            {
                return options.MaxUploadBytes > 0 && e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) ? TooLarge(null)
                    : Error(StatusCodes.Status400BadRequest, "usage", $"The form could not be read: {e.Message}");
            }
            catch (UsageException e)
            {
                return Failure(e);
            }
            var upload = form.Files["file"];
            var bytes = upload is null ? null : await ReadAll(upload, cancel);
            await _worker.WaitAsync(cancel);
            try
            {
                return Guard(() => Results.Json(Respond(Run(form, upload?.FileName, bytes, cancel))));
            }
            finally
            {
                _worker.Release();
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
            return Results.Empty;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>GET /api/results/{id}/input.png: the input as the model saw it (cropped and resized).</summary>
    public IResult InputPng(string id) => _results.Find(id) is { InputPng: { } png } ? Results.File(png, "image/png")
        : Error(StatusCodes.Status404NotFound, "not-found", $"No input picture for result '{id}' (it was a .npy input, or the result has been replaced by newer ones; explain again).");

    /// <summary>GET /api/results/{id}/{composite}/{heatmap.png|overlay.png|relevance.npy|report.json}: one download.</summary>
    public IResult Download(string id, string composite, string file)
    {
        var result = _results.Find(id);
        var e = result?.Of(composite);
        if (e is null)
            return Error(StatusCodes.Status404NotFound, "not-found", result is null
                ? $"No result '{id}': it has been replaced by newer ones or never existed; explain again."
                : $"Result '{id}' has no composite '{composite}'.");
        var stem = $"{result!.Model}-{composite}-{e.Explanation.Target}";
        return file switch
        {
            "heatmap.png" => Results.File(e.HeatmapPng, "image/png", $"{stem}-heatmap.png"),
            "overlay.png" when e.OverlayPng is not null => Results.File(e.OverlayPng, "image/png", $"{stem}-overlay.png"),
            "relevance.npy" => Results.File(NpyBytes(e.Explanation), "application/octet-stream", $"{stem}-relevance.npy"),
            "report.json" => Results.File(System.Text.Encoding.UTF8.GetBytes(e.Report), "application/json", $"{stem}-report.json"),
            _ => Error(StatusCodes.Status404NotFound, "not-found", $"'{file}' is not a download of a result; there are heatmap.png, overlay.png (for photos), relevance.npy and report.json."),
        };
    }

    private ViewerResult Run(IFormCollection form, string? fileName, byte[]? bytes, CancellationToken cancel)
    {
        var model = Model(form["model"].ToString());
        if (bytes is null || fileName is null) throw new UsageException("No file was uploaded: choose a photo (PNG, JPEG, …) or a .npy tensor.");
        var name = Path.GetFileName(fileName);
        var network = model.Model.Network;
        int? target = form["target"].ToString() is { Length: > 0 } t
            ? int.TryParse(t, out var k) && k >= 0 && k < network.OutputShape.Size ? k
                : throw new UsageException($"target '{t}': the model has {network.OutputShape.Size} outputs, numbered 0 to {network.OutputShape.Size - 1}.")
            : null;
        var ids = form["composites"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0) ids = ["dtd"];
        var composites = ids.Distinct().Select(id => ViewerComposite.All.FirstOrDefault(c => c.Id == id)
            ?? throw new UsageException($"'{id}' is not a composite; there are {string.Join(", ", ViewerComposite.All.Select(c => c.Id))}.")).ToList();
        var explainOptions = new ExplainOptions(
            form["maxpool"].ToString() switch { "" or "proportional" => PoolingRedistribution.Proportional, "wta" => PoolingRedistribution.WinnerTakeAll, var p => throw new UsageException($"maxpool '{p}': proportional or wta.") },
            form["bias"].ToString() switch { "" or "neuron" => BiasTreatment.Neuron, "ignore" => BiasTreatment.Ignore, "zennit" => BiasTreatment.Zennit, var b => throw new UsageException($"bias '{b}': neuron, ignore or zennit.") },
            GateRedistribution.ToValue);

        var (input, photo, range) = ReadInput(model, name, bytes);
        using (photo)
        {
            var inputPng = photo is null ? null : Png(photo);
            var explained = ImmutableArray.CreateBuilder<ViewerExplanation>();
            foreach (var c in composites)
            {
                cancel.ThrowIfCancellationRequested();
                var (key, settings, first, rules) = Settings(model, c, form["custom"].ToString(), range, explainOptions);
                var explainer = model.Explainer(key, settings);
                var clock = Stopwatch.StartNew();
                var e = explainer.Explain(input, target);
                var seconds = clock.Elapsed.TotalSeconds;
                byte[]? overlay = null;
                if (photo is not null)
                    using (var over = HeatmapImage.Overlay(photo, e.Heatmap)) overlay = Png(over);
                using var heat = HeatmapImage.Render(e.Heatmap);
                explained.Add(new ViewerExplanation(c, rules, e, seconds, Png(heat), overlay,
                    Report.Json(Path.GetFileName(model.File), name, first, rules, [e], seconds, model.Labels)));
            }
            return _results.Add(new ViewerResult(Guid.NewGuid().ToString("N"), model.Name, inputPng, explained.ToImmutable()));
        }
    }

    // The input tensor, the photo as the model saw it (null for .npy), and a .npy input's value range (null for a photo).
    private (float[] Input, SKBitmap? Photo, (double Low, double High)? Range) ReadInput(ViewerModel model, string name, byte[] bytes)
    {
        var sample = model.Model.Network.InputShape;
        if (name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var array = Npy.Read(bytes, name);
            var dims = array.Shape.Length == sample.Rank + 1 && array.Shape[0] == 1 ? array.Shape.Skip(1) : array.Shape;
            if (!dims.SequenceEqual(sample.Dims))
                throw new InvalidInputException($"'{name}' has shape ({string.Join(", ", array.Shape)}); the model takes one input of shape (1, {string.Join(", ", sample.Dims)}).");
            var (data, range) = InputFile.NpyValues(array, name);
            return (data, null, range);
        }
        if (!model.TakesImages)
            throw new InvalidInputException($"'{name}' is an image, but the model takes {sample}, not a 1- or 3-channel image; upload a .npy tensor.");
        var pre = PreprocessingOptions.For(model.Image, sample);
        var photo = Images.Load(bytes, name, pre.Width, pre.Height, options.MaxPixels);
        return (Images.ToTensor(photo, pre).ToSingles(), photo, null);
    }

    // The explainer settings of a composite for this input, the key its compiled explainer is cached under, and the names the report gives its rules.
    private (string Key, ExplainerSettings Settings, Rule First, string Rules) Settings(ViewerModel model, ViewerComposite c, string custom,
        (double Low, double High)? range, ExplainOptions explainOptions)
    {
        var boxKey = range is { } r ? $"npy[{r.Low:R},{r.High:R}]" : "photo";
        var optionsKey = $"{explainOptions.Pooling}/{explainOptions.Bias}";
        var memory = (long)options.MaxMemoryMiB << 20;
        if (c.Choice is { } choice)
        {
            var resolved = choice.Resolve(() => Box(model, range));
            var settings = resolved.Settings(model.Image, explainOptions, options.MaxMemoryMiB);
            return ($"{c.Id}|{boxKey}|{optionsKey}", settings, resolved.First, $"{resolved.First.Name} on the first layer, {resolved.RestName} above");
        }
        var perLayer = ParseCustom(custom, () => Box(model, range));
        var composite = Composite.PerLayer(perLayer);
        var first = model.LinearLayers(composite)[0].Rule;
        var key = $"custom:{string.Join(";", perLayer.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={RuleSpec.Format(p.Value)}"))}|{boxKey}|{optionsKey}";
        return (key, new ExplainerSettings { Image = model.Image, Composite = composite, Options = explainOptions, MaxWorkspaceBytes = memory }, first, $"per layer: {composite}");
    }

    private static Dictionary<string, Rule> ParseCustom(string json, Func<ZBoxRule> box)
    {
        if (string.IsNullOrWhiteSpace(json)) throw new UsageException("The custom composite needs a rule for each linear layer: custom = {\"node\": \"rule\", …}.");
        Dictionary<string, string>? given;
        try
        {
            given = JsonSerializer.Deserialize<Dictionary<string, string>>(json);
        }
        catch (JsonException e)
        {
            throw new UsageException($"custom is not a JSON object of node names to rules: {e.Message}");
        }
        return given is null ? throw new UsageException("custom is empty.")
            : given.ToDictionary(p => p.Key, p => RuleSpec.Parse(p.Value) ?? box());
    }

    // A bare zbox: the box the photo's preprocessing implies, or a .npy input's range.
    private static ZBoxRule Box(ViewerModel model, (double Low, double High)? range)
    {
        if (range is { } r) return Rules.ZBox(r.Low, r.High);
        if (!model.TakesImages)
            throw new UsageException($"The model takes {model.Model.Network.InputShape}, not an image, so z^B's box comes from a .npy input's range; upload one.");
        return Explainer.InputBox(model.Model.Network, PreprocessingOptions.For(model.Image, model.Model.Network.InputShape));
    }

    private ViewerModel Model(string name) => models.FirstOrDefault(m => m.Name == name)
        ?? throw new UnknownModelException($"No model '{name}' is served; the models are {string.Join(", ", models.Select(m => m.Name))}.");

    private object Respond(ViewerResult r)
    {
        var first = r.Explanations[0].Explanation;
        var labels = Model(r.Model).Labels;
        return new
        {
            id = r.Id,
            model = r.Model,
            input = r.InputPng is null ? null : $"/api/results/{r.Id}/input.png",
            target = first.Target,
            top = Top(first.Outputs.ToArray(), 5),
            explanations = r.Explanations.Select(e =>
            {
                var c = e.Explanation.Consistency;
                var (values, _, _) = HeatmapImage.Map(e.Explanation.Heatmap);
                var url = $"/api/results/{r.Id}/{e.Composite.Id}";
                return new
                {
                    composite = e.Composite.Id,
                    title = e.Composite.Title,
                    rules = e.Rules,
                    description = e.Composite.Choice is null ? e.Rules : e.Composite.Description,
                    f = e.Explanation.Output,
                    relevanceSum = c.HeatmapSum,
                    biasRelevance = c.BiasRelevance,
                    conservationError = c.ConservationError,
                    negativeMass = c.NegativeMass,
                    scale = values.Select(Math.Abs).DefaultIfEmpty(0).Max(),
                    seconds = e.Seconds,
                    heatmap = $"{url}/heatmap.png",
                    overlay = e.OverlayPng is null ? null : $"{url}/overlay.png",
                    npy = $"{url}/relevance.npy",
                    report = $"{url}/report.json",
                    layers = c.Layers.Select(l => new
                    {
                        node = l.Node, layer = l.Layer, redistribution = l.Redistribution, relevanceIn = l.RelevanceIn, relevanceOut = l.RelevanceOut,
                        biasRelevance = l.BiasRelevance, negativeMass = l.NegativeMass, relativeError = l.RelativeError,
                    }),
                };
            }),
        };

        object Top(double[] outputs, int n) => outputs.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(n)
            .Select(p => new { index = p.i, label = p.i < labels.Length ? labels[p.i] : null, value = p.v }).ToList();
    }

    private static byte[] Png(SKBitmap bitmap)
    {
        using var stream = new MemoryStream();
        HeatmapImage.WritePng(stream, bitmap);
        return stream.ToArray();
    }

    private static byte[] NpyBytes(Explanation e)
    {
        using var stream = new MemoryStream();
        Npy.Write(stream, [1, .. e.Shape.Dims], e.HeatmapSingles());
        return stream.ToArray();
    }

    private static async Task<byte[]> ReadAll(IFormFile file, CancellationToken cancel)
    {
        using var stream = new MemoryStream();
        await file.CopyToAsync(stream, cancel);
        return stream.ToArray();
    }

    private IResult TooLarge(long? length) => Error(StatusCodes.Status413PayloadTooLarge, "too-large", length is { } n
        ? $"The upload is {n:N0} bytes, more than the limit of {options.MaxUploadBytes:N0} (relevance serve --max-upload-mib)."
        : $"The upload is more than the limit of {options.MaxUploadBytes:N0} bytes (relevance serve --max-upload-mib).");

    // The CLI's messages and exit codes, as JSON with an HTTP status.
    private static IResult Guard(Func<IResult> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            return Failure(e);
        }
    }

    private static IResult Failure(Exception e)
    {
        if (e is UnknownModelException) return Error(StatusCodes.Status404NotFound, "unknown-model", e.Message);
        if (e is ArgumentOutOfRangeException) e = new UsageException(e.Message.Split(" (Parameter")[0]);
        var exit = ExitCodes.For(e);
        var (status, code) = exit switch
        {
            ExitCodes.Usage => (StatusCodes.Status400BadRequest, "usage"),
            ExitCodes.BadInput => (StatusCodes.Status422UnprocessableEntity, "bad-input"),
            ExitCodes.UnsupportedModel => (StatusCodes.Status422UnprocessableEntity, "unsupported-model"),
            _ => (StatusCodes.Status500InternalServerError, "failure"),
        };
        return Error(status, code, exit == ExitCodes.Failure ? $"{e.GetType().Name}: {e.Message}" : e.Message, exit);
    }

    /// <summary>An error as JSON: the message, a code, and the exit code the CLI gives the same error.</summary>
    public static IResult Error(int status, string code, string message, int exitCode = ExitCodes.Usage) =>
        Results.Json(new { error = message, code, exitCode }, statusCode: status);
}

/// <summary>A model name the viewer does not serve.</summary>
internal sealed class UnknownModelException(string message) : Exception(message);
