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

    // Cases per source file: the default keeps the suite quick; RELEVANCE_FUZZ_CASES=N runs N per source file (the long run
    // of docs/testing.md).
    private static int Cases(int quick) =>
        int.TryParse(Environment.GetEnvironmentVariable("RELEVANCE_FUZZ_CASES"), out var n) && n > 0 ? n : quick;

    private static bool TypedModelError(Exception e) => e is ModelFormatException or UnsupportedModelException;

    [Fact]
    public void Corrupted_onnx_models_are_rejected_with_typed_errors()
    {
        var lenet = File.ReadAllBytes(RepositoryData.Path("onnx", "webmnist_lenet5", "lenet5.onnx"));
        var mnist = File.ReadAllBytes(RepositoryData.Path("onnx", "mnist-8", "mnist-8.onnx"));
        var cases = Cases(5000);
        var rejected = Run(mnist, cases, 1, b => OnnxImporter.Load(b), TypedModelError) + Run(lenet, cases, 2, b => OnnxImporter.Load(b), TypedModelError);
        // Most damage must be detected; a flip inside a weight's bytes is a valid (different) model, so not all of it is.
        Assert.True(rejected > 2 * cases / 10, $"only {rejected} of {2 * cases} corrupted models were rejected");
        Assert.Throws<ModelFormatException>(() => OnnxImporter.Load([]));
    }

    // The same damage in files, which the importer reads through a memory map (ModelFile), weights decoded from its pages.
    [Fact]
    public void Corrupted_onnx_files_are_rejected_with_typed_errors()
    {
        var mnist = File.ReadAllBytes(RepositoryData.Path("onnx", "mnist-8", "mnist-8.onnx"));
        var path = Path.Combine(Path.GetTempPath(), $"fuzz-{Guid.NewGuid():N}.onnx");
        try
        {
            var cases = Cases(500);
            var rejected = Run(mnist, cases, 5, b =>
            {
                File.WriteAllBytes(path, b);
                OnnxImporter.Load(path);
            }, TypedModelError);
            Assert.True(rejected > cases / 10, $"only {rejected} of {cases} corrupted model files were rejected");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Corrupted_npy_files_are_rejected_with_typed_errors()
    {
        var labels = NpyFiles.PythonTwoLabels();
        var path = Path.Combine(Path.GetTempPath(), $"fuzz-{Guid.NewGuid():N}.npy");
        Npy.Write(path, [2, 3, 4], [.. Enumerable.Range(0, 24).Select(i => i * 0.5f)]);
        var small = File.ReadAllBytes(path);
        File.Delete(path);
        static bool Typed(Exception e) => e is NpyFormatException;
        var cases = Cases(5000);
        var rejected = Run(labels[..4096], cases, 3, b => Npy.Read(b), Typed) + Run(small, cases, 4, b => Npy.Read(b), Typed);
        Assert.True(rejected > cases, $"only {rejected} of {2 * cases} corrupted arrays were rejected");
        Assert.Throws<NpyFormatException>(() => Npy.Read([]));
    }

    // A PNG and a JPEG damaged as above decode to a picture or give ImageFormatException (SkiaSharp's decoders are native
    // code: a crash here would take the process down, which is what this looks for).
    [Fact]
    public void Corrupted_images_decode_or_are_rejected_with_typed_errors()
    {
        var png = File.ReadAllBytes(RepositoryData.Path("onnx", "mnist-8", "mnist_28.png"));
        byte[] jpeg;
        using (var photo = Images.Load(RepositoryData.Path("images", "chelsea.png"), 32, 24))
        using (var image = SkiaSharp.SKImage.FromBitmap(photo))
        using (var encoded = image.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 80))
            jpeg = encoded.ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"fuzz-{Guid.NewGuid():N}.img");
        try
        {
            var cases = Cases(500);
            void Decode(byte[] b)
            {
                File.WriteAllBytes(path, b);
                using var _ = Images.Load(path, 28, 28);
            }
            var rejected = Run(png, cases, 6, Decode, e => e is ImageFormatException) + Run(jpeg, cases, 7, Decode, e => e is ImageFormatException);
            Assert.True(rejected > 2 * cases / 10, $"only {rejected} of {2 * cases} corrupted images were rejected");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
