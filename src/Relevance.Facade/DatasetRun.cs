using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Relevance.IO;

namespace Relevance;

/// <summary>What a dataset run writes beside each input's relevance.</summary>
/// <param name="Heatmaps">A heatmap PNG per input.</param>
/// <param name="Overlays">The heatmap over the photo per image input.</param>
/// <param name="Float16">Relevance .npy files in float16 (half the size) instead of float32; an input whose relevance passes
/// float16's range (65504) is kept in float32.</param>
/// <param name="MaxPixels">The most pixels a photo may have, read from its header before it is decoded.</param>
public sealed record DatasetOutputs(bool Heatmaps = false, bool Overlays = false, bool Float16 = false, long MaxPixels = Images.DefaultMaxPixels);

/// <summary>One input's line in a run's results: what was explained and what came out, or why it failed.</summary>
/// <param name="Name">The input's name in the run (<see cref="DatasetInput.Name"/>).</param>
/// <param name="Path">The input file.</param>
/// <param name="Ok">Whether it was explained and its outputs written.</param>
/// <param name="Target">The output explained (−1 when it failed before one was chosen).</param>
/// <param name="Label">The input's own label from the manifest, if any.</param>
/// <param name="Class">The class name of the target, when the model has labels.</param>
/// <param name="Output">f(x) of the target.</param>
/// <param name="RelevanceSum">Σ R over the input.</param>
/// <param name="BiasRelevance">What biases took.</param>
/// <param name="NegativeMass">Σ min(0, R).</param>
/// <param name="Seconds">Reading, explaining and writing it (not the time it waited to be read or explained).</param>
/// <param name="Error">Why it failed, or null.</param>
/// <param name="Fingerprint">The run's fingerprint (model and options).</param>
public sealed record DatasetResult(string Name, string Path, bool Ok, int Target, string? Label, string? Class, double Output, double RelevanceSum,
    double BiasRelevance, double NegativeMass, double Seconds, string? Error, string Fingerprint);

/// <summary>One class's mean heatmap over the inputs explained for it.</summary>
public sealed record ClassMean(int Target, string? Class, int Count, double MeanOutput, Tensor MeanHeatmap);

/// <summary>A run's or a merged folder's account: counts, failures with their reasons, throughput and class means.</summary>
/// <param name="Fingerprint">The model and options every result was made with.</param>
/// <param name="Inputs">Inputs accounted for.</param>
/// <param name="Explained">Inputs explained.</param>
/// <param name="Failed">Inputs that failed, with their reasons (the last attempt of each).</param>
/// <param name="Skipped">Inputs this run found already done (resumed), 0 for a merge.</param>
/// <param name="Seconds">Wall time of this run, 0 for a merge.</param>
/// <param name="Classes">Per explained target: count, mean f and mean heatmap (channels summed), in target order.</param>
public sealed record DatasetSummary(string Fingerprint, int Inputs, int Explained, ImmutableArray<DatasetResult> Failed, int Skipped, double Seconds,
    ImmutableArray<ClassMean> Classes)
{
    /// <summary>Inputs explained per second of this run (0 for a merge).</summary>
    public double Throughput => Seconds > 0 ? (Explained - Skipped) / Seconds : 0;
}

/// <summary>Explains a dataset into a folder: per input its relevance (<c>relevance/NAME.npy</c>) and, if asked, heatmap and
/// overlay PNGs; a results file of one JSON line per input (<c>results/SHARD.jsonl</c>); and, by <see cref="Summarise"/>,
/// class-mean heatmaps. Every output is published atomically and an input's line is appended only after its outputs, so
/// a run killed at any point and started again redoes at most the inputs it had not recorded: nothing is lost or counted
/// twice, and shards of one dataset can run at once into one folder.</summary>
public static class DatasetRun
{
    /// <summary>The fingerprint of a model file and the options that change an explanation: runs with different ones are not merged.</summary>
    public static string Fingerprint(string modelPath, string options)
    {
        using var sha = SHA256.Create();
        using (var model = File.OpenRead(modelPath)) sha.TransformBlock(SHA256.HashData(model), 0, 32, null, 0);
        var text = Encoding.UTF8.GetBytes(options);
        sha.TransformFinalBlock(text, 0, text.Length);
        return Convert.ToHexStringLower(sha.Hash!)[..16];
    }

    /// <summary>The results file of shard <paramref name="index"/> of <paramref name="count"/>.</summary>
    public static string ResultsFile(string folder, int index, int count) => Path.Combine(folder, "results", $"{index}-of-{count}.jsonl");

    /// <summary>An input's relevance file.</summary>
    public static string RelevanceFile(string folder, string name) => Path.Combine(folder, "relevance", name + ".npy");

    /// <summary>Reads and explains the inputs: one thread reads ahead (at most <paramref name="readAhead"/> inputs wait in
    /// memory) while <paramref name="workers"/> calls of the explainer run at once, and results come back as they are done;
    /// an input that cannot be read or explained comes back with its error, and the rest go on. Each comes with the seconds
    /// spent reading and explaining it (not waiting). With several workers, give an explainer of <see cref="Explainer.Parallelism"/>
    /// 1: each explanation then keeps to one core, and the cores work on different inputs.</summary>
    public static async IAsyncEnumerable<(DatasetInput Input, Explanation? Explanation, Exception? Error, double Seconds)> Explain(Explainer explainer,
        IEnumerable<DatasetInput> inputs, long maxPixels = Images.DefaultMaxPixels, int readAhead = 4, int workers = 1,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        // A caller that stops enumerating early stops the reader and the workers too (see the finally below).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        cancellation = stop.Token;
        var read = Channel.CreateBounded<(DatasetInput, float[]?, Exception?, double)>(new BoundedChannelOptions(Math.Max(1, readAhead)) { SingleWriter = true });
        var done = Channel.CreateBounded<(DatasetInput, Explanation?, Exception?, double)>(new BoundedChannelOptions(Math.Max(1, workers)) { SingleReader = true });
        var reader = Task.Run(async () =>
        {
            try
            {
                foreach (var input in inputs)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var start = Stopwatch.GetTimestamp();
                    float[]? x = null;
                    Exception? error = null;
                    try
                    {
                        x = Read(explainer, input, maxPixels);
                    }
                    catch (Exception e) when (e is InvalidInputException or ImageFormatException or NpyFormatException or IOException or UnauthorizedAccessException)
                    {
                        error = e;
                    }
                    await read.Writer.WriteAsync((input, x, error, Stopwatch.GetElapsedTime(start).TotalSeconds), cancellation).ConfigureAwait(false);
                }
                read.Writer.Complete();
            }
            catch (Exception e)
            {
                read.Writer.Complete(e);
            }
        }, cancellation);
        var explaining = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            await foreach (var (input, x, readError, reading) in read.Reader.ReadAllAsync(cancellation).ConfigureAwait(false))
            {
                var start = Stopwatch.GetTimestamp();
                Explanation? explanation = null;
                var error = readError;
                if (x is not null)
                    try
                    {
                        explanation = explainer.Explain(x, input.Target);
                    }
                    catch (Exception e) when (e is InvalidInputException or RuleDomainException or NumericFaultException or ArgumentOutOfRangeException)
                    {
                        error = e;
                    }
                await done.Writer.WriteAsync((input, explanation, error, reading + Stopwatch.GetElapsedTime(start).TotalSeconds), cancellation).ConfigureAwait(false);
            }
        }, cancellation)).ToArray();
        var finished = Task.WhenAll(explaining).ContinueWith(t => done.Writer.Complete(t.Exception?.InnerException), TaskScheduler.Default);
        try
        {
            await foreach (var result in done.Reader.ReadAllAsync(cancellation).ConfigureAwait(false)) yield return result;
            await Task.WhenAll([reader, .. explaining, finished]).ConfigureAwait(false);
        }
        finally
        {
            stop.Cancel();
        }
    }

    /// <summary>Runs the inputs not yet recorded in the folder (by any shard, with this fingerprint) and appends their results to
    /// this shard's results file, explaining on <paramref name="workers"/> at once (see <see cref="Explain"/>); returns this
    /// run's account (its inputs, what it skipped as done, its throughput).</summary>
    /// <exception cref="InvalidInputException">The folder holds results made with another fingerprint.</exception>
    public static async Task<DatasetSummary> RunAsync(Explainer explainer, IReadOnlyList<DatasetInput> inputs, string folder, DatasetOutputs outputs,
        string fingerprint, int shardIndex = 0, int shardCount = 1, IProgress<(int Done, int Total)>? progress = null, int workers = 1,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var clock = Stopwatch.StartNew();
        var recorded = ReadResults(folder);
        if (recorded.FirstOrDefault(r => r.Fingerprint != fingerprint) is { } other)
            throw new InvalidInputException($"'{folder}' holds results of another model or other options (fingerprint {other.Fingerprint}, this run's {fingerprint}); use another folder.");
        var done = recorded.Where(r => r.Ok).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var todo = inputs.Where(i => !done.Contains(i.Name)).ToList();
        var skipped = inputs.Count - todo.Count;
        // A run killed while writing left temporary files beside the outputs of inputs it had not recorded: this shard's own.
        foreach (var input in todo)
            foreach (var target in OutputFiles(folder, input.Name)) AtomicFile.DeleteLeftovers(target);
        var resultsFile = ResultsFile(folder, shardIndex, shardCount);
        Directory.CreateDirectory(Path.GetDirectoryName(resultsFile)!);
        DropTornLine(resultsFile);
        var results = new List<DatasetResult>();
        progress?.Report((skipped, inputs.Count));
        await using (var log = new FileStream(resultsFile, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            await foreach (var (input, e, error, seconds) in Explain(explainer, todo, outputs.MaxPixels, workers: workers, cancellation: cancellation).ConfigureAwait(false))
            {
                // A process being stopped (SIGTERM, Ctrl-C) records nothing more: what it had not recorded is done by the next run.
                if (AtomicFile.Stopping) break;
                DatasetResult result;
                if (e is null) result = Failure(input, error!, seconds, fingerprint);
                else
                    try
                    {
                        var start = Stopwatch.GetTimestamp();
                        Write(folder, input, e, outputs);
                        var c = e.Consistency;
                        result = new DatasetResult(input.Name, input.Path, true, e.Target, input.Label, explainer.Label(e.Target), e.Output, c.HeatmapSum, c.BiasRelevance,
                            c.NegativeMass, seconds + Stopwatch.GetElapsedTime(start).TotalSeconds, null, fingerprint);
                    }
                    catch (Exception w) when (w is ImageFormatException or IOException or UnauthorizedAccessException)
                    {
                        if (AtomicFile.Stopping) break;
                        result = Failure(input, w, seconds, fingerprint);
                    }
                // The line goes out whole, after the input's outputs: a kill before it makes this input be redone, never half-recorded.
                var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(result, JsonOptions) + "\n");
                await log.WriteAsync(line, cancellation).ConfigureAwait(false);
                await log.FlushAsync(cancellation).ConfigureAwait(false);
                results.Add(result);
                progress?.Report((skipped + results.Count, inputs.Count));
            }
        }
        var failed = results.Where(r => !r.Ok).ToImmutableArray();
        return new DatasetSummary(fingerprint, inputs.Count, skipped + results.Count(r => r.Ok), failed, skipped, clock.Elapsed.TotalSeconds, []);
    }

    /// <summary>The account of everything recorded in a folder by any number of runs and shards: the last result of each
    /// input, and class means computed from the relevance files in name order (so one process and any split into shards
    /// give the same numbers to the bit).</summary>
    /// <exception cref="InvalidInputException">The folder has no results, or results of different fingerprints.</exception>
    public static DatasetSummary Summarise(string folder)
    {
        var recorded = ReadResults(folder);
        if (recorded.Count == 0) throw new InvalidInputException($"'{folder}' holds no results (results/*.jsonl).");
        var prints = recorded.Select(r => r.Fingerprint).Distinct().ToList();
        if (prints.Count > 1)
            throw new InvalidInputException($"'{folder}' holds results of different models or options (fingerprints {string.Join(", ", prints)}); they cannot be merged.");
        // An input explained once is explained: a later failure of the same input (a rerun with a file gone) does not undo it.
        var last = recorded.GroupBy(r => r.Name, StringComparer.Ordinal)
            .Select(g => g.LastOrDefault(r => r.Ok) ?? g.Last()).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        var ok = last.Where(r => r.Ok).ToList();
        var classes = ok.GroupBy(r => r.Target).OrderBy(g => g.Key).Select(g =>
        {
            double[]? sum = null;
            Shape? shape = null;
            foreach (var r in g)
            {
                var map = PixelMap(Npy.Read(RelevanceFile(folder, r.Name)));
                sum ??= new double[map.Size];
                shape ??= map.Shape;
                for (var i = 0; i < sum.Length; i++) sum[i] += map[i];
            }
            var n = g.Count();
            return new ClassMean(g.Key, g.First().Class, n, g.Sum(r => r.Output) / n, Tensor.Own(shape!, [.. sum!.Select(v => v / n)]));
        }).ToImmutableArray();
        return new DatasetSummary(prints[0], last.Count, ok.Count, [.. last.Where(r => !r.Ok)], 0, 0, classes);
    }

    /// <summary>Writes a summary as <c>NAME.json</c> and its class means as <c>class-means/TARGET.png</c> and <c>.npy</c> in the folder.</summary>
    public static void WriteSummary(string folder, DatasetSummary summary, string name = "summary")
    {
        ArgumentNullException.ThrowIfNull(summary);
        // The account is written by one process (the single run or the merge): what a killed one left of it goes.
        AtomicFile.DeleteLeftovers(Path.Combine(folder, name + ".json"));
        foreach (var c in summary.Classes)
        {
            var stem = Path.Combine(folder, "class-means", c.Target.ToString(CultureInfo.InvariantCulture));
            AtomicFile.DeleteLeftovers(stem + ".npy");
            AtomicFile.DeleteLeftovers(stem + ".png");
            Directory.CreateDirectory(Path.GetDirectoryName(stem)!);
            Npy.Write(stem + ".npy", [.. c.MeanHeatmap.Shape.Dims], c.MeanHeatmap.ToSingles());
            using var bitmap = HeatmapImage.Render(c.MeanHeatmap);
            HeatmapImage.WritePng(stem + ".png", bitmap);
        }
        AtomicFile.WriteAllText(Path.Combine(folder, name + ".json"), JsonSerializer.Serialize(new
        {
            fingerprint = summary.Fingerprint, inputs = summary.Inputs, explained = summary.Explained, failed = summary.Failed.Length,
            skipped_as_done = summary.Skipped, seconds = summary.Seconds, inputs_per_second = summary.Throughput,
            failures = summary.Failed.Select(f => new { name = f.Name, path = f.Path, error = f.Error }),
            classes = summary.Classes.Select(c => new { target = c.Target, @class = c.Class, count = c.Count, mean_f = c.MeanOutput }),
        }, new JsonSerializerOptions(JsonOptions) { WriteIndented = true }));
    }

    /// <summary>Every result line in the folder's results files, in file-name and line order; a torn last line (a run killed
    /// while writing it) is left out.</summary>
    public static List<DatasetResult> ReadResults(string folder)
    {
        var dir = Path.Combine(folder, "results");
        var results = new List<DatasetResult>();
        if (!Directory.Exists(dir)) return results;
        foreach (var file in Directory.EnumerateFiles(dir, "*.jsonl").Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(file);
            var lines = text.Split('\n');
            // Only lines that end in '\n' are complete.
            for (var i = 0; i < lines.Length - 1; i++)
            {
                if (lines[i].Length == 0) continue;
                try
                {
                    results.Add(JsonSerializer.Deserialize<DatasetResult>(lines[i], JsonOptions)
                        ?? throw new InvalidInputException($"'{file}', line {i + 1}: not a result."));
                }
                catch (JsonException e)
                {
                    throw new InvalidInputException($"'{file}', line {i + 1}: not a result line ({e.Message}).");
                }
            }
        }
        return results;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static DatasetResult Failure(DatasetInput input, Exception error, double seconds, string fingerprint) =>
        new(input.Name, input.Path, false, input.Target ?? -1, input.Label, null, 0, 0, 0, 0, seconds, error.Message, fingerprint);

    // A results file left with a partial last line by a killed run is cut back to its last complete line before appending.
    private static void DropTornLine(string file)
    {
        if (!File.Exists(file)) return;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        if (stream.Length == 0) return;
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (end < bytes.Length) stream.SetLength(end);
    }

    private static float[] Read(Explainer explainer, DatasetInput input, long maxPixels)
    {
        var shape = explainer.Network.InputShape;
        if (!input.Path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            return Images.ToTensor(input.Path, (explainer.Image ?? throw new InvalidInputException($"'{input.Path}' is an image, but the model takes {shape}; give .npy inputs.")).For(shape), maxPixels).ToSingles();
        var array = Npy.Read(input.Path);
        var dims = array.Shape.AsSpan();
        if (dims.Length == shape.Rank + 1 && dims[0] == 1) dims = dims[1..];
        if (!dims.SequenceEqual(shape.Dims.AsSpan()))
            throw new InvalidInputException($"'{input.Path}' has shape ({string.Join(", ", array.Shape)}); the model takes {shape} (a batch axis of 1 may lead).");
        return [.. array.Data];
    }

    // Every file an input may have in the folder.
    private static IEnumerable<string> OutputFiles(string folder, string name) =>
        [RelevanceFile(folder, name), Path.Combine(folder, "heatmaps", name + ".png"), Path.Combine(folder, "overlays", name + ".png")];

    private static void Write(string folder, DatasetInput input, Explanation e, DatasetOutputs outputs)
    {
        var npy = RelevanceFile(folder, input.Name);
        Directory.CreateDirectory(Path.GetDirectoryName(npy)!);
        var relevance = e.HeatmapSingles();
        // A value beyond float16's range would become infinite: that input's relevance is kept in float32.
        if (outputs.Float16 && System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(relevance) <= (float)Half.MaxValue)
            AtomicFile.Write(npy, s => Npy.WriteHalf(s, [1, .. e.Shape.Dims], relevance));
        else Npy.Write(npy, [1, .. e.Shape.Dims], relevance);
        if (outputs.Heatmaps)
        {
            var png = Path.Combine(folder, "heatmaps", input.Name + ".png");
            Directory.CreateDirectory(Path.GetDirectoryName(png)!);
            e.WriteHeatmapPng(png);
        }
        if (outputs.Overlays && !input.Path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var png = Path.Combine(folder, "overlays", input.Name + ".png");
            Directory.CreateDirectory(Path.GetDirectoryName(png)!);
            e.WriteOverlayPng(png, input.Path, outputs.MaxPixels);
        }
    }

    // The heatmap people look at: channels summed for an image's relevance [1, C, H, W] or [C, H, W], else as stored.
    private static Tensor PixelMap(NpyArray array)
    {
        var dims = array.Shape.AsSpan();
        if (dims.Length > 1 && dims[0] == 1) dims = dims[1..];
        var relevance = Tensor.FromSingles(Shape.Of([.. dims]), array.Data.AsSpan());
        return relevance.Shape.Rank == 3 ? Heatmap.SumOverChannels(relevance) : relevance;
    }
}
