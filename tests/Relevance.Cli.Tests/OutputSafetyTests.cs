using Relevance.IO;

namespace Relevance.Cli.Tests;

/// <summary>A command that fails leaves the file system as it was: outputs are checked before any work, published together,
/// never written over an input, a link, a directory or a read-only file; numeric faults are errors, not results.</summary>
public class OutputSafetyTests
{
    private static readonly string Mnist = Cli.Data("onnx", "mnist-8", "mnist-8.onnx");

    // A folder with a copy of the model and a digit as .npy; every test works on copies, so an overwrite would show.
    private static (string Dir, string Model, string Digit) Scratch()
    {
        var dir = Cli.TempDirectory();
        var model = Path.Combine(dir, "model.onnx");
        File.Copy(Mnist, model);
        var digit = Path.Combine(dir, "digit.npy");
        var rng = new Random(1);
        Npy.Write(digit, [1, 1, 28, 28], [.. Enumerable.Range(0, 784).Select(_ => (float)(rng.NextDouble() * 255))]);
        return (dir, model, digit);
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => f, File.ReadAllBytes);

    private static void AssertUnchanged(Dictionary<string, byte[]> before, string dir)
    {
        var after = Snapshot(dir);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[file]), $"{file} changed");
    }

    public static TheoryData<string, string[]> UsageErrors => new()
    {
        { "is an input of this command", ["--out", "{digit}"] },
        { "is an input of this command", ["--heatmap", "{model}"] },
        { "name the same file", ["--out", "{dir}/a.npy", "--heatmap", "{dir}/a.npy"] },
        { "is a directory", ["--out", "{dir}"] },
        { "An output path is empty", ["--out", ""] },
        { "--overlay needs an image input", ["--out", "{dir}/r.npy", "--heatmap", "{dir}/h.png", "--overlay", "{dir}/o.png"] },
        { "--bounds sets the box of a bare --first-rule zbox", ["--first-rule", "w2", "--bounds", "0:255", "--out", "{dir}/r.npy"] },
        { "--target 10: the model has 10 outputs, numbered 0 to 9", ["--target", "10", "--out", "{dir}/r.npy"] },
        { "--target -1: the model has 10 outputs", ["--target", "-1", "--out", "{dir}/r.npy"] },
        { "--mean, --std: preprocessing applies to images", ["--mean", "0.5", "--std", "2", "--out", "{dir}/r.npy"] },
        { "--scale must be positive and keep 255 × scale finite", ["--scale", "1e308", "--out", "{dir}/r.npy"] },
        { "--scale must be positive", ["--scale", "0", "--out", "{dir}/r.npy"] },
        { "--std 1E-300 map the pixel range 0..255 (× --scale 1) outside float32's range", ["--scale", "1", "--std", "1e-300", "--out", "{dir}/r.npy"] },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public void Bad_outputs_and_conflicting_options_exit_2_before_any_work_and_change_nothing(string message, string[] options)
    {
        var (dir, model, digit) = Scratch();
        var before = Snapshot(dir);
        var args = options.Select(o => o.Replace("{dir}", dir).Replace("{digit}", digit).Replace("{model}", model));
        var r = Cli.Run(["explain", model, digit, .. args]);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Error}");
        Assert.Contains(message, r.Error);
        Assert.DoesNotContain(".tmp", r.Error);
        AssertUnchanged(before, dir);
    }

    // Every command that writes into a folder, with --out naming a file or a path below one; {file} is replaced.
    public static TheoryData<string[]> FolderCommands => new()
    {
        { ["batch", "{model}", "{digit}", "--out", "{file}"] },
        { ["demo", "--out", "{file}"] },
        { ["evaluate", "--out", "{file}"] },
        { ["evaluate", "--model", "{model}", "--images", "{digit}", "--out", "{file}"] },
        { ["reproduce", "mnist", "--out", "{file}"] },
        { ["reproduce", "imagenet", "--out", "{file}"] },
    };

    [Theory]
    [MemberData(nameof(FolderCommands))]
    public void An_output_folder_that_is_a_file_exits_2_before_any_work_and_changes_nothing(string[] args)
    {
        var (dir, model, digit) = Scratch();
        var file = Path.Combine(dir, "notes.txt");
        File.WriteAllText(file, "keep");
        var before = Snapshot(dir);
        foreach (var (output, message) in new[] { (file, "is a file; it names the folder the outputs go in"), (Path.Combine(file, "run"), "is a file, so the folder cannot be made") })
        {
            var r = Cli.Run([.. args.Select(a => a.Replace("{file}", output).Replace("{model}", model).Replace("{digit}", digit))]);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)} with --out {output}: exit {r.ExitCode}: {r.Error}");
            Assert.Contains(message, r.Error);
        }
        AssertUnchanged(before, dir);
        Assert.Empty(Directory.GetDirectories(dir));
    }

    [Fact]
    public void A_symbolic_link_or_a_read_only_file_is_not_replaced()
    {
        var (dir, model, digit) = Scratch();
        var target = Path.Combine(dir, "elsewhere.npy");
        File.WriteAllText(target, "keep");
        var link = Path.Combine(dir, "link.npy");
        File.CreateSymbolicLink(link, target);
        var locked = Path.Combine(dir, "locked.npy");
        File.WriteAllText(locked, "keep");
        File.SetAttributes(locked, FileAttributes.ReadOnly);
        var before = Snapshot(dir);
        foreach (var output in new[] { link, locked })
        {
            var r = Cli.Run("explain", model, digit, "--out", output);
            Assert.True(r.ExitCode == 2, $"{output}: exit {r.ExitCode}: {r.Error}");
        }
        AssertUnchanged(before, dir);
        Assert.Equal(target, new FileInfo(link).LinkTarget);
    }

    // A rename over a FIFO or socket would replace it with a regular file (over a device node, as root, the system's).
    // Both are made in a scratch folder: a socket by binding one, a FIFO by mkfifo.
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_fifo_or_a_socket_is_not_replaced()
    {
        var (dir, model, digit) = Scratch();
        var socketPath = Path.Combine(dir, "socket.npy");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        var fifo = Path.Combine(dir, "fifo.png");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        foreach (var (option, path, kind) in new[] { ("--out", socketPath, "socket"), ("--heatmap", fifo, "FIFO") })
        {
            var r = Cli.Run("explain", model, digit, option, path);
            Assert.True(r.ExitCode == 2, $"{path}: exit {r.ExitCode}: {r.Error}");
            Assert.Contains($"is a {kind}", r.Error);
        }
        Assert.Equal(2, Directory.GetFiles(dir).Count(f => new FileInfo(f).Length == 0));
    }

    // A second name of the input or the model (a hard link) is the same file: refused as the input itself is, nothing changed.
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_hard_link_to_an_input_is_not_an_output()
    {
        var (dir, model, digit) = Scratch();
        var (digitLink, modelLink) = (Path.Combine(dir, "second-name.npy"), Path.Combine(dir, "second-name.png"));
        foreach (var (target, link) in new[] { (digit, digitLink), (model, modelLink) })
            using (var ln = System.Diagnostics.Process.Start("ln", [target, link])) ln.WaitForExit();
        var before = Snapshot(dir);
        foreach (var (option, link) in new[] { ("--out", digitLink), ("--heatmap", modelLink) })
        {
            var r = Cli.Run("explain", model, digit, option, link);
            Assert.True(r.ExitCode == 2, $"{link}: exit {r.ExitCode}: {r.Error}");
            Assert.Contains("is an input of this command", r.Error);
        }
        AssertUnchanged(before, dir);
    }

    // SIGTERM at moments spread over an explanation that writes three outputs (loading, computing, writing, publishing): when
    // the process has gone, no temporary file is left beside the targets, and each target is absent or whole — never half
    // a file. The property holds at every moment, so where the signal lands only decides which part of it is exercised.
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task SIGTERM_at_any_moment_leaves_no_temporary_file_and_no_half_output()
    {
        var squeezeNet = Cli.Data("onnx", "squeezenet1.1_fp16_winml", "SqueezeNet_fp16.onnx");
        var kitten = Cli.Data("onnx", "squeezenet1.1_fp16_winml", "kitten_224.png");
        foreach (var delay in new[] { 150, 400, 650, 900, 1150, 1400, 1800 })
        {
            var dir = Cli.TempDirectory();
            var (npy, heatmap, overlay) = (Path.Combine(dir, "r.npy"), Path.Combine(dir, "h.png"), Path.Combine(dir, "o.png"));
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "relevance.dll"), "explain", squeezeNet, kitten, "--channels", "bgr", "--scale", "1",
                         "--out", npy, "--heatmap", heatmap, "--overlay", overlay })
                start.ArgumentList.Add(a);
            using var process = System.Diagnostics.Process.Start(start)!;
            var drained = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            if (!process.WaitForExit(delay))
                using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                    kill.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), $"the process did not stop after SIGTERM at {delay} ms");
            await drained;
            Assert.DoesNotContain(Directory.GetFiles(dir), f => f.EndsWith(".tmp", StringComparison.Ordinal));
            if (File.Exists(npy)) Assert.Equal(3 * 224 * 224, Npy.Read(npy).Data.Length);
            foreach (var png in new[] { heatmap, overlay }.Where(File.Exists))
                using (var decoded = Images.Load(png, 8, 8)) Assert.NotNull(decoded);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_replaced_output_keeps_its_permissions()
    {
        var (dir, model, digit) = Scratch();
        var output = Path.Combine(dir, "private.npy");
        File.WriteAllText(output, "old");
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var r = Cli.Run("explain", model, digit, "--out", output);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(output));
        Assert.Equal([1, 1, 28, 28], Npy.Read(output).Shape.ToArray());
    }

    [Fact]
    public void An_input_that_overflows_float32_exits_4_naming_the_layer_and_writes_nothing()
    {
        var (dir, model, _) = Scratch();
        var huge = Path.Combine(dir, "huge.npy");
        Npy.Write(huge, [1, 1, 28, 28], [.. Enumerable.Repeat(3e38f, 784)]);
        var before = Snapshot(dir);
        var r = Cli.Run("explain", model, huge, "--out", Path.Combine(dir, "r.npy"), "--heatmap", Path.Combine(dir, "h.png"), "--json");
        Assert.True(r.ExitCode == 4, $"exit {r.ExitCode}: {r.Error}");
        Assert.Contains("too large for float32", r.Error);
        Assert.Contains("Node '", r.Error);
        Assert.Equal("", r.Out);
        AssertUnchanged(before, dir);
    }
}
