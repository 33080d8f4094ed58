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
        var command = new Command("bench", "Time forward and explanation (training-free DTD, forward included) of an ONNX model on random inputs, and print their ratio and peak memory.")
        {
            model, batch, repeats,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(batch), parse.GetValue(repeats)));
        return command;
    }

    private static int Run(string path, int batch, int repeats)
    {
        if (batch <= 0 || repeats <= 0) throw new UsageException("--batch and --repeats must be positive.");
        var model = OnnxImporter.Load(path);
        var engine = EngineNetwork.Compile(model.Network, Composite.TrainingFreeDtd(Rules.WSquare));
        var size = model.Network.InputShape.Size;
        var rng = new Random(0);
        var inputs = Enumerable.Range(0, batch * size).Select(_ => (float)rng.NextDouble()).ToArray();
        var workspaces = Enumerable.Range(0, Math.Min(batch, Environment.ProcessorCount)).Select(_ => engine.CreateWorkspace()).ToArray();

        void ForwardBatch()
        {
            if (batch == 1)
            {
                engine.Forward(inputs, workspaces[0]);
                return;
            }
            Parallel.For(0, workspaces.Length, w =>
            {
                for (var b = w; b < batch; b += workspaces.Length) engine.Forward(inputs.AsSpan(b * size, size), workspaces[w]);
            });
        }
        // One input reuses its workspace, as a server explaining request after request would.
        void ExplainBatch()
        {
            if (batch == 1) engine.Explain(inputs, workspaces[0]);
            else engine.ExplainBatch(inputs, batch);
        }

        // Timed in pairs: a slow spell of a shared machine then slows both calls of a pair alike, and the median of the
        // per-pair ratios holds still where a ratio of two separate runs' medians would move with it.
        PairedTimes times = null!;
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"timing {Path.GetFileName(path)}", maxValue: repeats);
            times = PairedTiming.Measure(ForwardBatch, ExplainBatch, repeats, progress: new SyncProgress<int>(done => task.Value = done));
        });
        var (low, high) = times.RatioQuartiles;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(path)}  batch {batch}: forward {times.FirstMedian:F2} ms, explain {times.SecondMedian:F2} ms (forward included; medians of {repeats}), explain/forward {times.RatioMedian:F2} (median of the pairs' ratios; quartiles {low:F2}–{high:F2}); peak memory {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB"));
        return ExitCodes.Success;
    }
}
