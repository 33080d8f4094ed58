using Relevance.IO;
using Relevance.Onnx;

namespace Relevance.IntegrationTests;

/// <summary>Corrupted model and tensor files give a typed error that says what is wrong — never a crash, another exception, or a hang.</summary>
public class FuzzTests
{
    // Truncation, bit flips, overwritten bytes, deleted and inserted runs: the ways a file is damaged in transit or on disk.
    internal static byte[] Mutate(byte[] original, Random rng)
    {
        var bytes = original.ToList();
        switch (rng.Next(5))
        {
            case 0:
                return [.. bytes.Take(rng.Next(bytes.Count))];
            case 1:
                for (var f = rng.Next(1, 9); f > 0; f--) { var i = rng.Next(bytes.Count); bytes[i] ^= (byte)(1 << rng.Next(8)); }
                break;
            case 2:
                for (var f = rng.Next(1, 9); f > 0; f--) bytes[rng.Next(bytes.Count)] = (byte)rng.Next(256);
                break;
            case 3:
            {
                var at = rng.Next(bytes.Count);
                bytes.RemoveRange(at, Math.Min(rng.Next(1, 64), bytes.Count - at));
                break;
            }
            default:
                bytes.InsertRange(rng.Next(bytes.Count), Enumerable.Range(0, rng.Next(1, 64)).Select(_ => (byte)rng.Next(256)));
                break;
        }
        return [.. bytes];
    }

    private static int Run(byte[] original, int cases, int seed, Action<byte[]> read, Func<Exception, bool> typed)
    {
        var rng = new Random(seed);
        var rejected = 0;
        for (var n = 0; n < cases; n++)
        {
            var mutated = Mutate(original, rng);
            try
            {
                read(mutated);
            }
            catch (Exception e) when (typed(e))
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {n} (seed {seed}): {e.GetType().Name}: {e.Message}");
            }
        }
        return rejected;
    }

    [Fact]
    public void Ten_thousand_corrupted_onnx_models_are_rejected_with_typed_errors()
    {
        var lenet = File.ReadAllBytes(RepositoryData.Path("onnx", "webmnist_lenet5", "lenet5.onnx"));
        var mnist = File.ReadAllBytes(RepositoryData.Path("onnx", "mnist-8", "mnist-8.onnx"));
        static bool Typed(Exception e) => e is ModelFormatException or UnsupportedModelException;
        var rejected = Run(mnist, 5000, 1, b => OnnxImporter.Load(b), Typed) + Run(lenet, 5000, 2, b => OnnxImporter.Load(b), Typed);
        // Most damage must be detected; a flip inside a weight's bytes is a valid (different) model, so not all of it is.
        Assert.True(rejected > 1000, $"only {rejected} of 10 000 corrupted models were rejected");
        Assert.Throws<ModelFormatException>(() => OnnxImporter.Load([]));
    }

    [Fact]
    public void Ten_thousand_corrupted_npy_files_are_rejected_with_typed_errors()
    {
        var labels = NpyFiles.PythonTwoLabels();
        var path = Path.Combine(Path.GetTempPath(), $"fuzz-{Guid.NewGuid():N}.npy");
        Npy.Write(path, [2, 3, 4], [.. Enumerable.Range(0, 24).Select(i => i * 0.5f)]);
        var small = File.ReadAllBytes(path);
        File.Delete(path);
        static bool Typed(Exception e) => e is NpyFormatException;
        var rejected = Run(labels[..4096], 5000, 3, b => Npy.Read(b), Typed) + Run(small, 5000, 4, b => Npy.Read(b), Typed);
        Assert.True(rejected > 5000, $"only {rejected} of 10 000 corrupted arrays were rejected");
        Assert.Throws<NpyFormatException>(() => Npy.Read([]));
    }
}
