using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Relevance.Engine;
using Relevance.IO;
using Relevance.Onnx;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>`relevance batch` and `relevance merge`: explain a dataset into a folder, in shards and resumably, and account for it.</summary>
internal static class BatchCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model (.onnx)." };
        var inputs = new Argument<string[]>("INPUTS") { Description = "Images or .npy files, folders (searched recursively) and globs ('photos/**/*.jpg').", Arity = ArgumentArity.ZeroOrMore };
        var manifest = new Option<string?>("--manifest") { Description = "A CSV (header: path[,target][,label]) or JSONL manifest of the inputs, paths relative to it." };
        var output = new Option<string>("--out") { Description = "The run's folder: relevance/, heatmaps/, overlays/, results/, summaries and class-means/.", Required = true };
        var target = new Option<int?>("--target") { Description = "The output to explain for inputs whose manifest gives none; default: each input's arg-max." };
        var heatmaps = new Option<bool>("--heatmaps") { Description = "Write a heatmap PNG per input." };
        var overlays = new Option<bool>("--overlays") { Description = "Write the heatmap over the photo per image input." };
        var half = new Option<bool>("--float16") { Description = "Write relevance as float16 .npy (half the size)." };
        var shard = new Option<string?>("--shard") { Description = "I/N: run shard I of N (0-based). Default: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with --shard-count, else 0/1." };
        var shardCount = new Option<int?>("--shard-count") { Description = "N, the number of shards, for a Kubernetes Indexed Job (its JOB_COMPLETION_INDEX is the shard)." };
        var memory = new Option<int>("--max-memory") { Description = "The most memory, in MiB, one explanation's buffers may take.", DefaultValueFactory = _ => (int)(EngineNetwork.DefaultMaxWorkspaceBytes >> 20) };
        var pixels = new Option<long>("--max-pixels") { Description = "The most pixels a photo may have, read from its header before it is decoded.", DefaultValueFactory = _ => Images.DefaultMaxPixels };
        var rules = RuleOptions.Create();
        var pre = PreprocessingOptions.Create();
        var command = new Command("batch", "Explain every input of a dataset into a folder: relevance .npy (and PNGs) per input, a JSON line of results per input, a summary with class-mean heatmaps; in shards, and resumable: a rerun skips what is done.")
        {
            model, inputs, manifest, output, target, heatmaps, overlays, half, shard, shardCount, memory, pixels,
        };
        rules.AddTo(command);
        pre.AddTo(command);
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(inputs) ?? [], parse.GetValue(manifest), parse.GetValue(output)!,
            parse.GetValue(target), new DatasetOutputs(parse.GetValue(heatmaps), parse.GetValue(overlays), parse.GetValue(half), parse.GetValue(pixels)),
            Shard(parse.GetValue(shard), parse.GetValue(shardCount)), rules.Read(parse), pre.Read(parse), parse.GetValue(memory)));
        return command;
    }

    public static Command Merge()
    {
        var folder = new Argument<string>("FOLDER") { Description = "A batch run's folder, written by one process or by shards." };
        var command = new Command("merge", "Account for a batch folder written by any number of shards and runs: summary.json and class-mean heatmaps, refusing results of different models or options.")
        {
            folder,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(folder)!;
            if (!Directory.Exists(dir)) throw new InvalidInputException($"'{dir}': no such folder.");
            var summary = DatasetRun.Summarise(dir);
            DatasetRun.WriteSummary(dir, summary);
            return Report(dir, summary, "merged");
        });
        return command;
    }

    // --shard I/N, else the scheduler's environment, else one shard.
    internal static (int Index, int Count) Shard(string? given, int? count)
    {
        static int Number(string text, string what) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"{what}: '{text}' is not a whole number ≥ 0.");
        (int, int) Checked(int i, int n, string source) =>
            n >= 1 && i >= 0 && i < n ? (i, n) : throw new UsageException($"{source}: shard {i} of {n} does not exist (shards are 0 to N − 1, N ≥ 1).");
        if (given is not null)
        {
            var parts = given.Split('/');
            if (parts.Length != 2) throw new UsageException($"--shard {given}: expected I/N, e.g. 0/4.");
            return Checked(Number(parts[0], "--shard"), Number(parts[1], "--shard"), $"--shard {given}");
        }
        static string? env(string name) => Environment.GetEnvironmentVariable(name);
        if (env("SLURM_ARRAY_TASK_ID") is { } id && env("SLURM_ARRAY_TASK_COUNT") is { } tasks)
        {
            // Array indices need not start at 0 (--array=1-4): the shard is the index less the array's first.
            var min = env("SLURM_ARRAY_TASK_MIN") is { } m ? Number(m, "SLURM_ARRAY_TASK_MIN") : 0;
            return Checked(Number(id, "SLURM_ARRAY_TASK_ID") - min, Number(tasks, "SLURM_ARRAY_TASK_COUNT"), "SLURM_ARRAY_TASK_ID");
        }
        if (env("JOB_COMPLETION_INDEX") is { } index)
            return Checked(Number(index, "JOB_COMPLETION_INDEX"), count ?? throw new UsageException("JOB_COMPLETION_INDEX is set: give the number of shards with --shard-count."), "JOB_COMPLETION_INDEX");
        if (count is not null) throw new UsageException("--shard-count goes with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); give --shard I/N otherwise.");
        return (0, 1);
    }

    private static int Run(string modelPath, string[] paths, string? manifest, string folder, int? target, DatasetOutputs outputs, (int Index, int Count) shard,
        RuleChoice choice, ImageInput image, int maxMemory)
    {
        if (maxMemory <= 0) throw new UsageException($"--max-memory must be a positive number of MiB, got {maxMemory}.");
        if (outputs.MaxPixels <= 0) throw new UsageException($"--max-pixels must be a positive number of pixels, got {outputs.MaxPixels}.");
        if ((manifest is null) == (paths.Length == 0)) throw new UsageException("Give the inputs as INPUTS or as --manifest, one of the two.");
        choice.Check();
        OutputPaths.CheckFolder("--out", folder);
        var all = manifest is not null ? DatasetInputs.FromManifest(manifest) : DatasetInputs.Find(paths);
        if (target is not null) all = [.. all.Select(i => i with { Target = i.Target ?? target })];
        var mine = DatasetInputs.Shard(all, shard.Index, shard.Count);
        var model = OnnxImporter.Load(modelPath);
        var outputsCount = model.Network.OutputShape.Size;
        if (all.FirstOrDefault(i => i.Target is { } t && (t < 0 || t >= outputsCount)) is { } bad)
            throw new UsageException($"{bad.Name}: target {bad.Target}; the model has {outputsCount} outputs, numbered 0 to {outputsCount - 1}.");
        var images = all.Any(i => !i.Path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase));
        if (images && model.Network.TakesChannelsLastImage) model = model with { Network = model.Network.WithChannelsFirstInput() };
        var rules = choice.Resolve(() => Box(choice.Bounds, images, image, model.Network));
        // Each core explains an input of its own (an explanation on one core): no core waits for the other inside an explanation.
        var workers = Kernels.Parallelism.Cores;
        using var explainer = Explainer.Create(model, rules.Settings(image, choice.Options, maxMemory) with { Parallelism = 1 }, ClassLabels.Near(modelPath));
        var fingerprint = DatasetRun.Fingerprint(modelPath, $"{rules.First} | {rules.Rest} | {rules.Composite} | {choice.Options} | {image.Order} {image.Scale} [{string.Join(',', image.Mean)}] [{string.Join(',', image.Std)}]");
        Directory.CreateDirectory(folder);

        var clock = Stopwatch.StartNew();
        DatasetSummary summary = null!;
        var label = $"shard {shard.Index} of {shard.Count}: {mine.Length} of {all.Length} inputs";
        if (AnsiConsole.Profile.Capabilities.Interactive)
            AnsiConsole.Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(label, maxValue: Math.Max(1, mine.Length));
                    int? resumed = null;
                    summary = Execute(new SyncProgress<(int Done, int Total)>(p =>
                    {
                        resumed ??= p.Done;
                        task.Value = p.Done;
                        task.Description = $"{label}, {Rate(p.Done - resumed.Value, clock.Elapsed.TotalSeconds)}";
                    }));
                });
        else
        {
            // Not a terminal (a log file, a scheduler's output): a plain line every 10 seconds and at the end.
            var last = TimeSpan.Zero;
            int? resumed = null;
            Console.WriteLine(label);
            summary = Execute(new SyncProgress<(int Done, int Total)>(p =>
            {
                resumed ??= p.Done;
                if (clock.Elapsed - last < TimeSpan.FromSeconds(10) && p.Done < p.Total) return;
                last = clock.Elapsed;
                var ran = p.Done - resumed.Value;
                var left = ran > 0 && p.Done < p.Total ? $", about {clock.Elapsed.TotalSeconds / ran * (p.Total - p.Done):F0} s left" : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Done}/{p.Total} inputs ({resumed} done before), {Rate(ran, clock.Elapsed.TotalSeconds)}{left}"));
            }));
        }
        DatasetRun.WriteSummary(folder, summary, $"summary-{shard.Index}-of-{shard.Count}");
        // One process is the whole dataset: its folder is accounted for at once (shards do it with relevance merge).
        if (shard.Count == 1) DatasetRun.WriteSummary(folder, DatasetRun.Summarise(folder));
        return Report(folder, summary, label);

        DatasetSummary Execute(IProgress<(int Done, int Total)> progress) =>
            DatasetRun.RunAsync(explainer, mine, folder, outputs, fingerprint, shard.Index, shard.Count, progress, workers).GetAwaiter().GetResult();
    }

    private static string Rate(int done, double seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{(seconds > 0 ? done / seconds : 0):F1} inputs/s");

    // The box of a bare zbox: --bounds, or the preprocessing's pixel range for images; .npy inputs have no range to take.
    private static ZBoxRule Box(string? bounds, bool images, ImageInput image, Network network)
    {
        if (bounds is not null)
        {
            var (l, h) = RuleSpec.Bounds(bounds);
            return Rules.ZBox(l, h);
        }
        if (!images) throw new UsageException("The inputs are .npy arrays, which carry no pixel range: give --bounds LOW:HIGH for z^B, or --first-rule w2.");
        return Explainer.InputBox(network, PreprocessingOptions.For(image, network.InputShape));
    }

    private static int Report(string folder, DatasetSummary summary, string what)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {summary.Explained} explained ({summary.Skipped} already done), {summary.Failed.Length} failed of {summary.Inputs}{(summary.Seconds > 0 ? $"; {summary.Throughput:F2} inputs/s over {summary.Seconds:F1} s" : "")}; {Path.GetFullPath(folder)}"));
        foreach (var f in summary.Failed.Take(10)) Console.Error.WriteLine($"failed: {f.Name}: {f.Error}");
        if (summary.Failed.Length > 10) Console.Error.WriteLine($"… and {summary.Failed.Length - 10} more (see the results files).");
        return summary.Failed.Length > 0 ? ExitCodes.Failure : ExitCodes.Success;
    }
}
