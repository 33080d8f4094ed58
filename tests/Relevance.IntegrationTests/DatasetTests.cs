using Relevance.IO;

namespace Relevance.IntegrationTests;

/// <summary>The dataset API beneath relevance batch: finding inputs by folder and glob, their names, and the stream of
/// explanations.</summary>
public class DatasetTests
{
    private static string Folder(int n)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"relevance-dataset-{Guid.NewGuid():N}");
        var rng = new Random(n);
        for (var i = 0; i < n; i++)
        {
            var sub = Path.Combine(dir, i % 2 == 0 ? "even" : "odd");
            Directory.CreateDirectory(sub);
            Npy.Write(Path.Combine(sub, $"{i}.npy"), [1, 1, 28, 28], [.. Enumerable.Range(0, 784).Select(_ => (float)(rng.NextDouble() * 255))]);
        }
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an input");
        return dir;
    }

    [Fact]
    public void Folders_and_globs_give_inputs_named_below_their_root_in_name_order_and_shards_split_them_evenly()
    {
        var dir = Folder(5);
        var all = DatasetInputs.Find([dir]);
        Assert.Equal(["even/0.npy", "even/2.npy", "even/4.npy", "odd/1.npy", "odd/3.npy"], all.Select(i => i.Name));
        Assert.Equal(["0.npy", "2.npy", "4.npy"], DatasetInputs.Find([Path.Combine(dir, "even", "*.npy")]).Select(i => i.Name));
        Assert.Equal(["even/0.npy", "even/2.npy", "even/4.npy", "odd/1.npy", "odd/3.npy"], DatasetInputs.Find([Path.Combine(dir, "**", "*.npy")]).Select(i => i.Name));
        var shards = Enumerable.Range(0, 3).Select(i => DatasetInputs.Shard(all, i, 3)).ToList();
        Assert.Equal(all.Select(i => i.Name).Order(), shards.SelectMany(s => s).Select(i => i.Name).Order());
        Assert.All(shards, s => Assert.InRange(s.Length, 1, 2));
        var twice = Assert.Throws<InvalidInputException>(() => DatasetInputs.Find([Path.Combine(dir, "even"), Path.Combine(dir, "even", "2.npy")]));
        Assert.Contains("'2.npy'", twice.Message);
        Assert.Throws<InvalidInputException>(() => DatasetInputs.Find([Path.Combine(dir, "*.png")]));
    }

    // A caller that stops after the first explanation gets control back: the reader and the workers are stopped with it.
    [Fact]
    public async Task The_stream_explains_every_input_and_stops_when_its_caller_does()
    {
        var inputs = DatasetInputs.Find([Folder(12)]);
        using var explainer = Explainer.Load(RepositoryData.Path("onnx", "mnist-8", "mnist-8.onnx"),
            new ExplainerSettings { FirstRule = Rules.ZBox(0, 255), Parallelism = 1 });
        var names = new List<string>();
        await foreach (var (input, explanation, error, _) in DatasetRun.Explain(explainer, inputs, workers: 2))
        {
            Assert.Null(error);
            Assert.Equal(explainer.Explain(Npy.Read(input.Path).Data.AsSpan()).Heatmap.ToArray(), explanation!.Heatmap.ToArray());
            names.Add(input.Name);
        }
        Assert.Equal(inputs.Select(i => i.Name).Order(), names.Order());
        var first = 0;
        await foreach (var _ in DatasetRun.Explain(explainer, inputs, readAhead: 1, workers: 2))
            if (++first == 1) break;
        Assert.Equal(1, first);
    }
}
