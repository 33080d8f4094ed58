using System.Globalization;
using System.Text.Json;
using Relevance.IO;
using SkiaSharp;
using YamlDotNet.RepresentationModel;

namespace Relevance.Cli.Tests;

/// <summary>relevance batch and merge on mnist-8 over generated .npy digits: outputs, failures, resume after a torn line or a
/// kill, and shards merged into exactly what one process writes.</summary>
public class BatchCommandTests
{
    private static readonly string Mnist = Cli.Data("onnx", "mnist-8", "mnist-8.onnx");

    // n random 28×28 inputs in 0..255, half in a/ and half in b/, as float32 .npy of shape (1, 1, 28, 28).
    private static string Dataset(int n, int seed = 1)
    {
        var dir = Cli.TempDirectory();
        var rng = new Random(seed);
        for (var i = 0; i < n; i++)
        {
            var sub = Path.Combine(dir, i % 2 == 0 ? "a" : "b");
            Directory.CreateDirectory(sub);
            Npy.Write(Path.Combine(sub, $"{i:D4}.npy"), [1, 1, 28, 28], [.. Enumerable.Range(0, 784).Select(_ => (float)(rng.NextDouble() * 255))]);
        }
        return dir;
    }

    private static string[] Batch(string data, string output, params string[] more) => ["batch", Mnist, data, "--bounds", "0:255", "--out", output, .. more];

    private static List<JsonElement> Results(string output) =>
        [.. Directory.GetFiles(Path.Combine(output, "results"), "*.jsonl").Order(StringComparer.Ordinal)
            .SelectMany(File.ReadAllLines).Select(l => JsonDocument.Parse(l).RootElement)];

    // Every file under the folder but the results and this run's own account, by relative path, with its bytes.
    internal static Dictionary<string, byte[]> Outputs(string output) =>
        Directory.GetFiles(output, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}results{Path.DirectorySeparatorChar}") && !Path.GetFileName(f).StartsWith("summary-", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(output, f), File.ReadAllBytes);

    [Fact]
    public void One_process_explains_every_input_records_a_failure_goes_on_and_resumes()
    {
        var data = Dataset(10);
        File.WriteAllText(Path.Combine(data, "b", "broken.npy"), "not an array");
        var output = Cli.TempDirectory();
        var r = Cli.Run(Batch(data, output, "--heatmaps"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("b/broken.npy", r.Error);
        var results = Results(output);
        Assert.Equal(11, results.Count);
        Assert.Equal(10, results.Count(l => l.GetProperty("ok").GetBoolean()));
        var ok = results.First(l => l.GetProperty("ok").GetBoolean());
        var f = ok.GetProperty("output").GetDouble();
        // mnist-8's logits under DTD: conservation to float32 sums over 784 pixels (1e-3 of f).
        Assert.True(Math.Abs(ok.GetProperty("relevance_sum").GetDouble() + ok.GetProperty("bias_relevance").GetDouble() - f) <= 1e-3 * Math.Abs(f));
        Assert.Equal(10, Directory.GetFiles(Path.Combine(output, "relevance"), "*.npy", SearchOption.AllDirectories).Length);
        Assert.True(File.Exists(Path.Combine(output, "heatmaps", "a", "0000.npy.png")));
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json"))))
        {
            Assert.Equal(10, summary.RootElement.GetProperty("explained").GetInt32());
            Assert.Equal("b/broken.npy", summary.RootElement.GetProperty("failures")[0].GetProperty("name").GetString());
            var classes = summary.RootElement.GetProperty("classes").EnumerateArray().ToList();
            Assert.Equal(10, classes.Sum(c => c.GetProperty("count").GetInt32()));
            Assert.All(classes, c => Assert.True(File.Exists(Path.Combine(output, "class-means", $"{c.GetProperty("target").GetInt32()}.png"))));
        }

        // Again: the ten are done and skipped, the broken one is tried again and fails again.
        var again = Cli.Run(Batch(data, output));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("10 already done", again.Out);
        Assert.Equal(12, Results(output).Count);

        // Mended, it is explained and the folder is whole.
        Npy.Write(Path.Combine(data, "b", "broken.npy"), [1, 1, 28, 28], new float[784]);
        Assert.Equal(0, Cli.Run(Batch(data, output)).ExitCode);
        using var whole = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(11, whole.RootElement.GetProperty("explained").GetInt32());
        Assert.Equal(0, whole.RootElement.GetProperty("failed").GetInt32());
    }

    [Fact]
    public void Shards_run_by_hand_by_Slurm_and_by_Kubernetes_merge_into_what_one_process_writes_to_the_bit()
    {
        var data = Dataset(30, seed: 2);
        var single = Cli.TempDirectory();
        Assert.Equal(0, Cli.Run(Batch(data, single)).ExitCode);

        var sharded = Cli.TempDirectory();
        Assert.Equal(0, Cli.Run(Batch(data, sharded, "--shard", "0/3")).ExitCode);
        // Slurm's array --array=1-3: task 2 is shard 1.
        var slurm = Cli.RunWith(new Dictionary<string, string?> { ["SLURM_ARRAY_TASK_ID"] = "2", ["SLURM_ARRAY_TASK_COUNT"] = "3", ["SLURM_ARRAY_TASK_MIN"] = "1" }, Batch(data, sharded));
        Assert.True(slurm.ExitCode == 0, slurm.Error);
        Assert.Contains("shard 1 of 3: 10 of 30 inputs", slurm.Out);
        var kubernetes = Cli.RunWith(new Dictionary<string, string?> { ["JOB_COMPLETION_INDEX"] = "2" }, Batch(data, sharded, "--shard-count", "3"));
        Assert.True(kubernetes.ExitCode == 0, kubernetes.Error);
        Assert.False(File.Exists(Path.Combine(sharded, "summary.json")));
        var merge = Cli.Run("merge", sharded);
        Assert.True(merge.ExitCode == 0, merge.Error);
        Assert.Contains("30 explained", merge.Out);

        var (a, b) = (Outputs(single), Outputs(sharded));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.All(a, p => Assert.True(p.Value.AsSpan().SequenceEqual(b[p.Key]), p.Key));
        Assert.Equal(30, Results(sharded).Count);
    }

    [Fact]
    public void The_Kubernetes_Indexed_Job_run_as_its_pods_run_merges_into_what_one_process_writes()
    {
        // docs/batch/relevance-indexed-job.yaml, read as Kubernetes reads it: each index's pod runs the container's command
        // with JOB_COMPLETION_INDEX set, all on one volume mounted at /data (here a folder); a pod that fails is run again.
        var manifest = new YamlStream();
        manifest.Load(new StringReader(File.ReadAllText(Cli.Data("..", "docs", "batch", "relevance-indexed-job.yaml"))));
        var spec = (YamlMappingNode)((YamlMappingNode)manifest.Documents[0].RootNode)["spec"];
        Assert.Equal("Indexed", spec["completionMode"].ToString());
        var completions = int.Parse(spec["completions"].ToString(), CultureInfo.InvariantCulture);
        var pod = (YamlMappingNode)((YamlMappingNode)spec["template"])["spec"];
        Assert.Equal("Never", pod["restartPolicy"].ToString());
        var command = ((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)pod["containers"])[0])["command"]).Select(n => n.ToString()).ToArray();
        Assert.Equal(["dotnet", "/app/relevance.dll", "batch"], command[..3]);

        // The volume: the model and a folder of photos where the command looks for them.
        var volume = Cli.TempDirectory();
        File.Copy(Mnist, Path.Combine(volume, "model.onnx"));
        var rng = new Random(8);
        Directory.CreateDirectory(Path.Combine(volume, "photos"));
        for (var i = 0; i < 3 * completions + 1; i++)
        {
            using var photo = new SKBitmap(28, 28, SKColorType.Gray8, SKAlphaType.Opaque);
            rng.NextBytes(photo.GetPixelSpan());
            HeatmapImage.WritePng(Path.Combine(volume, "photos", $"{i:D3}.png"), photo);
        }
        string[] args = [.. command[2..].Select(a => a.StartsWith("/data/", StringComparison.Ordinal) ? Path.Combine(volume, a["/data/".Length..]) : a)];
        Assert.Equal(completions.ToString(CultureInfo.InvariantCulture), args[Array.IndexOf(args, "--shard-count") + 1]);
        var run = args[Array.IndexOf(args, "--out") + 1];
        for (var index = 0; index < completions; index++)
        {
            var r = Cli.RunWith(new Dictionary<string, string?> { ["JOB_COMPLETION_INDEX"] = $"{index}" }, args);
            Assert.True(r.ExitCode == 0, $"index {index}: {r.Error}");
        }
        var retried = Cli.RunWith(new Dictionary<string, string?> { ["JOB_COMPLETION_INDEX"] = "1" }, args);
        Assert.True(retried.ExitCode == 0, retried.Error);
        Assert.Contains("already done", retried.Out);
        // Then, as the manifest's comment says: relevance merge /data/run.
        var merge = Cli.Run("merge", run);
        Assert.True(merge.ExitCode == 0, merge.Error);
        Assert.Contains($"{3 * completions + 1} explained", merge.Out);

        var single = Cli.TempDirectory();
        // The same command in one process: its own folder, no shard.
        var shardCount = Array.IndexOf(args, "--shard-count");
        string[] alone = [.. args.Where((_, i) => i != shardCount && i != shardCount + 1).Select(a => a == run ? single : a)];
        Assert.Equal(0, Cli.Run(alone).ExitCode);
        var (a, b) = (Outputs(single), Outputs(run));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.All(a, p => Assert.True(p.Value.AsSpan().SequenceEqual(b[p.Key]), p.Key));
    }

    [Fact]
    public void A_torn_last_line_is_dropped_and_its_input_done_again()
    {
        var data = Dataset(6, seed: 3);
        var output = Cli.TempDirectory();
        Assert.Equal(0, Cli.Run(Batch(data, output)).ExitCode);
        var before = Outputs(output);
        var log = Path.Combine(output, "results", "0-of-1.jsonl");
        var bytes = File.ReadAllBytes(log);
        File.WriteAllBytes(log, bytes[..^20]);
        var r = Cli.Run(Batch(data, output));
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("5 already done", r.Out);
        var results = Results(output);
        Assert.Equal(6, results.Count);
        Assert.Equal(6, results.Select(l => l.GetProperty("name").GetString()).Distinct().Count());
        var after = Outputs(output);
        Assert.All(before, p => Assert.True(p.Value.AsSpan().SequenceEqual(after[p.Key]), p.Key));
    }

    // SIGKILL while the run writes, then the same command again: every input once in the results and the same files as an
    // uninterrupted run.
    [Fact]
    public void Killed_mid_run_and_run_again_loses_and_repeats_nothing()
    {
        var data = Dataset(600, seed: 4);
        var output = Cli.TempDirectory();
        var log = Path.Combine(output, "results", "0-of-1.jsonl");
        using (var process = Cli.Start(Batch(data, output)))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!(File.Exists(log) && new FileInfo(log).Length > 0) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(2);
            Assert.False(process.HasExited, "the run ended before it could be killed");
            process.Kill();
            process.WaitForExit();
        }
        var recorded = File.ReadAllLines(log).Length;
        Assert.InRange(recorded, 1, 599);
        var r = Cli.Run(Batch(data, output));
        Assert.True(r.ExitCode == 0, r.Error);
        var results = Results(output);
        Assert.Equal(600, results.Select(l => l.GetProperty("name").GetString()).Distinct().Count());
        Assert.True(results.Count <= 601, $"{results.Count} lines: only an input being written when killed may be recorded twice");

        var clean = Cli.TempDirectory();
        Assert.Equal(0, Cli.Run(Batch(data, clean)).ExitCode);
        var (a, b) = (Outputs(clean), Outputs(output));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.All(a, p => Assert.True(p.Value.AsSpan().SequenceEqual(b[p.Key]), p.Key));
    }

    [Fact]
    public void A_manifest_gives_targets_and_labels_and_float16_halves_the_files()
    {
        var data = Dataset(4, seed: 5);
        File.WriteAllText(Path.Combine(data, "list.csv"), "path,target,label\na/0000.npy,3,three\n\"b/0001.npy\",,\"one, or so\"\n");
        var output = Cli.TempDirectory();
        var r = Cli.Run("batch", Mnist, "--manifest", Path.Combine(data, "list.csv"), "--bounds", "0:255", "--out", output, "--float16");
        Assert.True(r.ExitCode == 0, r.Error);
        var results = Results(output).ToDictionary(l => l.GetProperty("name").GetString()!);
        Assert.Equal(["a/0000.npy", "b/0001.npy"], results.Keys.Order());
        Assert.Equal(3, results["a/0000.npy"].GetProperty("target").GetInt32());
        Assert.Equal("three", results["a/0000.npy"].GetProperty("label").GetString());
        Assert.Equal("one, or so", results["b/0001.npy"].GetProperty("label").GetString());
        var half = Npy.Read(Path.Combine(output, "relevance", "a", "0000.npy.npy"));
        Assert.Equal("<f2", half.DType);
        Assert.Equal(results["a/0000.npy"].GetProperty("relevance_sum").GetDouble(), half.Data.Sum(v => (double)v), 0.05 * Math.Max(1, Math.Abs(results["a/0000.npy"].GetProperty("relevance_sum").GetDouble())));

        File.WriteAllText(Path.Combine(data, "list.jsonl"), "{\"path\": \"a/0002.npy\", \"target\": 1}\n{\"path\": \"b/0003.npy\", \"target\": 10}\n");
        var wrong = Cli.Run("batch", Mnist, "--manifest", Path.Combine(data, "list.jsonl"), "--bounds", "0:255", "--out", Cli.TempDirectory());
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("b/0003.npy: target 10", wrong.Error);
        File.WriteAllText(Path.Combine(data, "bad.csv"), "path,target\na/0000.npy,x\n");
        var bad = Cli.Run("batch", Mnist, "--manifest", Path.Combine(data, "bad.csv"), "--bounds", "0:255", "--out", Cli.TempDirectory());
        Assert.Equal(4, bad.ExitCode);
        Assert.Contains("line 2", bad.Error);
    }

    [Fact]
    public void A_missing_file_in_a_manifest_is_a_failure_and_the_run_goes_on()
    {
        var data = Dataset(2, seed: 7);
        File.WriteAllText(Path.Combine(data, "list.csv"), "path\na/0000.npy\nc/gone.npy\nb/0001.npy\n");
        var output = Cli.TempDirectory();
        var r = Cli.Run("batch", Mnist, "--manifest", Path.Combine(data, "list.csv"), "--bounds", "0:255", "--out", output);
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Error}");
        var results = Results(output).ToDictionary(l => l.GetProperty("name").GetString()!);
        Assert.Equal(["a/0000.npy", "b/0001.npy", "c/gone.npy"], results.Keys.Order());
        Assert.Contains("gone.npy", results["c/gone.npy"].GetProperty("error").GetString());
        Assert.False(results["c/gone.npy"].GetProperty("ok").GetBoolean());
        Assert.True(results["a/0000.npy"].GetProperty("ok").GetBoolean());
        Assert.True(File.Exists(Path.Combine(output, "relevance", "b", "0001.npy.npy")));
    }

    [Fact]
    public void Misuse_is_refused_before_anything_is_written()
    {
        var data = Dataset(2, seed: 6);
        var output = Path.Combine(Cli.TempDirectory(), "run");
        foreach (var (args, message) in new (string[], string)[]
        {
            (Batch(data, output, "--manifest", "x.csv"), "one of the two"),
            (Batch(data, output, "--shard", "3/2"), "shard 3 of 2"),
            (Batch(data, output, "--shard", "1"), "expected I/N"),
            (Batch(data, output, "--shard-count", "2"), "JOB_COMPLETION_INDEX"),
            (["batch", Mnist, data, "--out", output], "--bounds"),
            (Batch(data, output, "--target", "10"), "target 10"),
        })
        {
            var r = Cli.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: {r.ExitCode} {r.Error}");
            Assert.Contains(message, r.Error);
        }
        Assert.False(Directory.Exists(output));
        var slurm = Cli.RunWith(new Dictionary<string, string?> { ["SLURM_ARRAY_TASK_ID"] = "4", ["SLURM_ARRAY_TASK_COUNT"] = "4" }, Batch(data, output));
        Assert.Equal(2, slurm.ExitCode);
        Assert.Equal(4, Cli.Run(Batch(Path.Combine(data, "none"), output)).ExitCode);
        // A folder made with other options is not mixed into.
        Assert.Equal(0, Cli.Run(Batch(data, output)).ExitCode);
        var other = Cli.Run(Batch(data, output, "--rule", "epsilon:0.1"));
        Assert.Equal(4, other.ExitCode);
        Assert.Contains("another model or other options", other.Error);
    }
}

/// <summary>A fact that runs only where a Slurm cluster takes jobs (RELEVANCE_SLURM=1, set by .ci/run after
/// scripts/slurm-single-node.sh start); elsewhere it is skipped, saying so.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("RELEVANCE_SLURM") != "1")
            Skip = "needs a Slurm cluster: scripts/slurm-single-node.sh start, then RELEVANCE_SLURM=1 (.ci/run does both)";
    }
}

/// <summary>The Slurm tier: docs/batch/relevance-array.sbatch as users submit it, on a real single-node Slurm.</summary>
public class SlurmBatchTests
{
    private static readonly string Mnist = Cli.Data("onnx", "mnist-8", "mnist-8.onnx");
    private static readonly string Script = Cli.Data("..", "docs", "batch", "relevance-array.sbatch");

    private static string Dataset(int n)
    {
        var dir = Cli.TempDirectory();
        var rng = new Random(n);
        for (var i = 0; i < n; i++)
            Npy.Write(Path.Combine(dir, $"{i:D4}.npy"), [1, 1, 28, 28], [.. Enumerable.Range(0, 784).Select(_ => (float)(rng.NextDouble() * 255))]);
        return dir;
    }

    // sbatch with the script's variables; returns the job id, or waits for the whole array when asked.
    private static string Submit(string array, string data, string output, bool wait)
    {
        var args = new List<string> { "--parsable", $"--array={array}", $"--output={output}-%A_%a.log",
            $"--export=ALL,MODEL={Mnist},INPUTS={data},OUT={output},OPTIONS=--bounds 0:255,RELEVANCE=dotnet {Path.Combine(AppContext.BaseDirectory, "relevance.dll")}" };
        if (wait) args.Add("--wait");
        args.Add(Script);
        var r = Run("sbatch", args);
        Assert.True(r.ExitCode == 0, $"sbatch: {r.Error}");
        return r.Out.Trim().Split(';')[0];
    }

    private static Cli.Result Run(string program, IEnumerable<string> args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var (output, error) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) process.Kill(entireProcessTree: true);
        return new Cli.Result(process.ExitCode, output.Result, error.Result);
    }

    private static void WaitUntilGone(string job)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Run("squeue", ["-h", "-j", job]).Out.Trim().Length > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), $"job {job} still queued after 5 minutes");
            Thread.Sleep(200);
        }
    }

    private static void SameAsOneProcess(string data, string output)
    {
        var merge = Cli.Run("merge", output);
        Assert.True(merge.ExitCode == 0, merge.Error);
        var single = Cli.TempDirectory();
        Assert.Equal(0, Cli.Run("batch", Mnist, data, "--bounds", "0:255", "--out", single).ExitCode);
        var (a, b) = (BatchCommandTests.Outputs(single), BatchCommandTests.Outputs(output));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.All(a, p => Assert.True(p.Value.AsSpan().SequenceEqual(b[p.Key]), p.Key));
    }

    [SlurmFact]
    public void An_array_of_four_tasks_merges_into_what_one_process_writes()
    {
        var data = Dataset(300);
        var output = Path.Combine(Cli.TempDirectory(), "run");
        Submit("0-3", data, output, wait: true);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(output, "results"), "*-of-4.jsonl").Length);
        SameAsOneProcess(data, output);
    }

    // One task cancelled while it writes (scancel: SIGTERM, then SIGKILL) and submitted again alone: nothing lost, nothing twice.
    [SlurmFact]
    public void A_cancelled_task_submitted_again_loses_and_repeats_nothing()
    {
        var data = Dataset(1200);
        var output = Path.Combine(Cli.TempDirectory(), "run");
        var job = Submit("0-3", data, output, wait: false);
        var log = Path.Combine(output, "results", "2-of-4.jsonl");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!(File.Exists(log) && new FileInfo(log).Length > 0))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), "task 2 never started writing");
            Thread.Sleep(5);
        }
        var cancel = Run("scancel", [$"{job}_2"]);
        Assert.True(cancel.ExitCode == 0, $"scancel: {cancel.Error}");
        WaitUntilGone(job);
        var recorded = File.ReadAllLines(log).Length;
        Assert.True(recorded is >= 1 and <= 299, $"task 2 recorded {recorded} of its 300 inputs before it was cancelled");
        Submit("2", data, output, wait: true);
        var lines = Directory.GetFiles(Path.Combine(output, "results"), "*.jsonl").SelectMany(File.ReadAllLines).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        // A task being stopped records nothing more: no input is recorded as failed because its process was stopping.
        Assert.All(lines, l => Assert.True(l.GetProperty("ok").GetBoolean(), l.GetProperty("error").ToString()));
        var names = lines.Select(l => l.GetProperty("name").GetString()).ToList();
        Assert.Equal(1200, names.Distinct().Count());
        Assert.True(names.Count <= 1201, $"{names.Count} lines");
        SameAsOneProcess(data, output);
    }
}
