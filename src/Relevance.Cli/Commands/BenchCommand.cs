using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Relevance.Engine;
using Relevance.Onnx;
using Spectre.Console;

namespace Relevance.Cli.Commands;

/// <summary>`relevance bench MODEL.onnx`: times the engine's forward pass and explanation on one model in pairs, in one run, and reports their ratio.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model (.onnx)." };
        var batch = new Option<int>("--batch") { Description = "Inputs per call.", DefaultValueFactory = _ => 1 };
        var repeats = new Option<int>("--repeats") { Description = "Timed pairs of a forward pass and an explanation (each right after an untimed call of its kind; medians are reported), after 1.5 s of untimed pairs.", DefaultValueFactory = _ => 11 };
        var latency = new Option<int>("--latency") { Description = "Instead of pairs, time this many single explanations one after another and print their median, 99th percentile and maximum." };
        var busy = new Option<bool>("--busy-core") { Description = "With --latency: keep one core busy with a second process meanwhile, as a loaded machine would." };
        var rule = new Option<string>("--rule") { Description = $"The rule of the Dense/Conv layers above the first (w² there, as the inputs are random): dtd (z⁺ where a layer's input is ≥ 0 by construction, w² where it can be negative) or one rule for all of them: {RuleSpec.Help}.", DefaultValueFactory = _ => "dtd" };
        var tokens = new Option<int>("--tokens") { Description = "For a text model (integer token ids in), the sequence's length; its inputs are the embeddings of random ids." };
        var layers = new Option<int>("--layers") { Description = "Also print the N layers that take the most explanation time, with their mean times per input in the forward pass and in the explanation (its forward and relevance passes)." };
        var single = new Option<bool>("--against-single") { Description = "With --batch B > 1: also time B explanations one at a time against one batch of B, in pairs, and print both per input and their ratio." };
        var command = new Command("bench", "Time forward and explanation (training-free DTD by default, forward included) of an ONNX model on random inputs, and print their ratio, the load time and peak memory.")
        {
            model, batch, repeats, latency, busy, rule, tokens, layers, single,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(batch), parse.GetValue(repeats), parse.GetValue(latency), parse.GetValue(busy),
            Composite(parse.GetValue(rule)!), parse.GetValue(tokens), parse.GetValue(layers), parse.GetValue(single)));
        return command;
    }

    /// <summary>The hidden command a busy core runs: it spins until it is killed.</summary>
    public static Command Spin()
    {
        var parent = new Argument<int>("PARENT") { Description = "The process whose end ends the spinning." };
        var command = new Command("spin", "Keep one core busy until killed or until the parent process ends (for bench --busy-core).") { Hidden = true, Arguments = { parent } };
        command.SetAction(parse =>
        {
            // Checks about every 50 ms that the bench is still there, so that no spinner outlives it (Ctrl-C, a crash).
            using var owner = Process.GetProcessById(parse.GetValue(parent));
            var (x, clock) = (1UL, Stopwatch.StartNew());
            while (true)
            {
                x = x * 6364136223846793005UL + 1442695040888963407UL;
                if ((x & 0xFFFF) != 0 || clock.ElapsedMilliseconds < 50) continue;
                if (owner.HasExited) return ExitCodes.Success;
                clock.Restart();
            }
        });
        return command;
    }

    // w² on the first layer: the inputs are random, so no box of the preprocessing bounds them.
    private static Composite Composite(string rule) => rule.Trim().Equals("dtd", StringComparison.OrdinalIgnoreCase)
        ? Relevance.Composite.DeepTaylor(Rules.WSquare)
        : new FirstLayerComposite(Rules.WSquare, RuleSpec.Parse(rule) ?? throw new UsageException("--rule zbox needs explicit bounds: zbox:LOW:HIGH."));

    private static int Run(string path, int batch, int repeats, int latency, bool busy, Composite composite, int tokens, int layers, bool againstSingle)
    {
        if (batch <= 0 || repeats <= 0 || latency < 0 || tokens < 0 || layers < 0)
            throw new UsageException("--batch and --repeats must be positive, --latency, --tokens and --layers not negative.");
        if (busy && latency == 0) throw new UsageException("--busy-core goes with --latency N.");
        if (layers > 0 && latency > 0) throw new UsageException("--layers goes with the paired timing, not with --latency.");
        if (againstSingle && (batch == 1 || latency > 0)) throw new UsageException("--against-single goes with --batch B > 1, not with --latency.");
        var clock = Stopwatch.StartNew();
        var rng = new Random(0);
        // A text model's sample is the embeddings of random ids; any other model's, uniform values in [0, 1).
        var text = tokens > 0 ? OnnxImporter.Load(path, new TokenInput([.. new long[tokens]])) : null;
        var model = text?.Model ?? OnnxImporter.Load(path);
        var (size, table) = (model.Network.InputShape.Size, text?.Table);
        Func<float[]> sample = table is null
            ? () => [.. Enumerable.Range(0, size).Select(_ => (float)rng.NextDouble())]
            : () => table.Rows([.. Enumerable.Range(0, tokens).Select(_ => (long)rng.Next(table.Count))]);
        text = null;
        var load = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var engine = EngineNetwork.Compile(model.Network, composite);
        var compile = clock.Elapsed.TotalSeconds;
        model = null;
        var loaded = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)}: load {load:F2} s, compile {compile:F2} s; peak memory after loading {loaded} MiB"));
        if (latency > 0) return Latency(path, engine, latency, busy, sample());
        var values = (long)batch * size;
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (values > Array.MaxLength || values * sizeof(float) > available / 2)
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--batch {batch}: {batch} inputs of {size} values take {values * sizeof(float) / (1 << 20)} MiB before any activation, more than half the {available / (1 << 20)} MiB this process may use (or more than one array holds); use a smaller batch."));
        var inputs = Enumerable.Range(0, batch).SelectMany(_ => sample()).ToArray();
        var workspaces = Enumerable.Range(0, Math.Min(batch, Environment.ProcessorCount)).Select(_ => engine.CreateWorkspace()).ToArray();

        // One input reuses its workspace, as a server explaining request after request would; a batch reuses one per core.
        void ForwardBatch()
        {
            if (batch == 1) engine.Forward(inputs, workspaces[0]);
            else engine.ForwardBatch(inputs, batch, workspaces);
        }
        void ExplainBatch()
        {
            if (batch == 1) engine.Explain(inputs, workspaces[0]);
            else engine.ExplainBatch(inputs, batch, workspaces);
        }

        foreach (var w in workspaces) w.Profiling = layers > 0;
        var times = Paired(path, ForwardBatch, ExplainBatch, repeats);
        var (low, high) = times.RatioQuartiles;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(path)}  batch {batch}: forward {times.FirstMedian:F2} ms, explain {times.SecondMedian:F2} ms (forward included; medians of {repeats}), explain/forward {times.RatioMedian:F2} (median of the pairs' ratios; quartiles {low:F2}–{high:F2}); peak memory {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB"));
        if (layers > 0) PrintLayers(engine.Profile(workspaces), layers);
        if (!againstSingle) return ExitCodes.Success;

        // The same inputs explained one at a time (each on every core, as batch 1 runs) against the batch, in pairs: whether
        // a batch pays is then read from one run, whatever slow spells the machine has between runs.
        foreach (var w in workspaces) w.Profiling = false;
        void OneAtATime()
        {
            for (var b = 0; b < batch; b++) engine.Explain(inputs.AsSpan(b * size, size), workspaces[0]);
        }
        var per = Paired(path, OneAtATime, ExplainBatch, repeats);
        (low, high) = per.RatioQuartiles;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(path)}  explanation per input: {per.FirstMedian / batch:F2} ms one at a time, {per.SecondMedian / batch:F2} ms in a batch of {batch} (medians of {repeats}); batch / one at a time {per.RatioMedian:F2} (median of the pairs' ratios; quartiles {low:F2}–{high:F2})"));
        return ExitCodes.Success;
    }

    // Times two calls in pairs behind a progress bar: a slow spell of a shared machine then slows both calls of a pair
    // alike, and the median of the per-pair ratios holds still where a ratio of two separate runs' medians would move.
    private static PairedTimes Paired(string path, Action first, Action second, int repeats)
    {
        PairedTimes times = null!;
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"timing {Path.GetFileName(path)}", maxValue: repeats);
            times = PairedTiming.Measure(first, second, repeats, progress: new SyncProgress<int>(done => task.Value = done));
        });
        return times;
    }

    // The layers with the most explanation time, and the sums over all layers, in ms per input; names last, so that long
    // ones never break a column.
    private static void PrintLayers(IReadOnlyList<NodeTime> profile, int count)
    {
        static string Row(TimeSpan explanation, TimeSpan relevance, TimeSpan forward, string kind, string name) => string.Create(CultureInfo.InvariantCulture,
            $"{explanation.TotalMilliseconds,12:F3} {relevance.TotalMilliseconds,10:F3} {forward.TotalMilliseconds,10:F3} {(forward > TimeSpan.Zero ? (explanation / forward).ToString("F2", CultureInfo.InvariantCulture) : "–"),6}  {kind,-14} {name}");
        Console.WriteLine("Layers by explanation time, ms per input (mean over every call made while timing; in a batch each input runs on one core):");
        Console.WriteLine($"{"explanation",12} {"relevance",10} {"forward",10} {"ratio",6}  {"kind",-14} layer");
        foreach (var t in profile.OrderByDescending(t => t.Explanation).Take(count)) Console.WriteLine(Row(t.Explanation, t.Relevance, t.Forward, t.Kind, t.Node));
        Console.WriteLine(Row(Sum(profile, t => t.Explanation), Sum(profile, t => t.Relevance), Sum(profile, t => t.Forward), "", $"all {profile.Count} layers"));
    }

    private static TimeSpan Sum(IEnumerable<NodeTime> profile, Func<NodeTime, TimeSpan> time) => profile.Aggregate(TimeSpan.Zero, (sum, t) => sum + time(t));

    private static int Latency(string path, EngineNetwork engine, int count, bool busy, float[] input)
    {
        var ws = engine.CreateWorkspace();
        using var spinner = busy ? StartSpinner() : null;
        for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < 1.5;) engine.Explain(input, ws);
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var t = Stopwatch.GetTimestamp();
            engine.Explain(input, ws);
            times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        Array.Sort(times);
        double At(double q) => times[Math.Min(count - 1, (int)Math.Ceiling(q * count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(path)}  {count} explanations one by one{(busy ? ", one core busy with another process" : "")}: median {At(0.5):F3} ms, p99 {At(0.99):F3} ms, max {times[^1]:F3} ms, p99/median {At(0.99) / At(0.5):F2}"));
        return ExitCodes.Success;
    }

    // A second process of this program that spins on one core until disposed.
    private static Spinner StartSpinner()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The program's path is unknown.");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        start.ArgumentList.Add("spin");
        start.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        return new Spinner(Process.Start(start) ?? throw new InvalidOperationException("The busy process did not start."));
    }

    private sealed class Spinner(Process process) : IDisposable
    {
        public void Dispose()
        {
            process.Kill();
            process.WaitForExit();
            process.Dispose();
        }
    }
}
