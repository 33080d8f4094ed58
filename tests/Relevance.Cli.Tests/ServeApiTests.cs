using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Relevance.IO;
using SkiaSharp;

namespace Relevance.Cli.Tests;

/// <summary>One viewer for the API tests: SqueezeNet (labelled photos) and MNIST's CNN, with small limits to test them.</summary>
public sealed class ServedModels : IDisposable
{
    public ServedModels()
    {
        // A batch run over a few MNIST-shaped tensors, for the gallery.
        var inputs = Cli.TempDirectory();
        var rng = new Random(9);
        for (var i = 0; i < 12; i++)
            Npy.Write(Path.Combine(inputs, $"{i:D2}.npy"), [1, 1, 28, 28], [.. Enumerable.Range(0, 784).Select(_ => (float)(rng.NextDouble() * 255))]);
        Run = Path.Combine(Cli.TempDirectory(), "digits");
        var batch = Cli.Run("batch", ServeApiTests.Mnist, inputs, "--out", Run, "--bounds", "0:255");
        Assert.True(batch.ExitCode == 0, batch.Error);
        // And a folder whose summary.json is damaged (cut short): listed as a run without a summary, never an error.
        Torn = Path.Combine(Cli.TempDirectory(), "torn");
        Directory.CreateDirectory(Torn);
        File.WriteAllText(Path.Combine(Torn, "summary.json"), "{\"inputs\": 3, \"classes\": [{\"target\": ");
        Viewer = new("--model", "squeezenet", "--model", ServeApiTests.Mnist, "--runs", Run, "--runs", Torn, "--max-upload-mib", "1", "--max-pixels", "1000000", "--max-queue", "0");
    }

    /// <summary>The batch run's output folder.</summary>
    public string Run { get; }

    /// <summary>A folder with a torn summary.json.</summary>
    public string Torn { get; }

    public ViewerProcess Viewer { get; }

    public void Dispose() => Viewer.Dispose();
}

public class ServeApiTests(ServedModels served) : IClassFixture<ServedModels>
{
    internal static readonly string Mnist = Cli.Data("onnx", "mnist-8", "mnist-8.onnx");
    internal static readonly string SqueezeNet = Cli.Data("onnx", "squeezenet1.1_fp16_winml", "SqueezeNet_fp16.onnx");
    internal static readonly string Kitten = Cli.Data("onnx", "squeezenet1.1_fp16_winml", "kitten_224.png");
    private HttpClient Client => served.Viewer.Client;

    internal static MultipartFormDataContent Form(string model, string fileName, byte[] bytes, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new StringContent(model), "model" } };
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(HttpContent content)
    {
        // Expect: 100-continue, as browsers' large uploads do: a request refused on its headers is answered before its body is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/explain") { Content = content };
        request.Headers.ExpectContinue = true;
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task The_models_and_composites_are_listed_with_the_papers_first()
    {
        using var doc = JsonDocument.Parse(await Client.GetStringAsync("/api/models"));
        var models = doc.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToArray();
        Assert.Equal("squeezenet,mnist-8", string.Join(",", models));
        var composites = doc.RootElement.GetProperty("composites").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToArray();
        Assert.Equal("dtd", composites[0]);
        Assert.Contains("epsilon-gamma-box", composites);
        Assert.Contains("custom", composites);
        // The page is served from the executable, with a policy that lets it load nothing from elsewhere.
        using var page = await Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("viewer.js", await page.Content.ReadAsStringAsync());
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task The_kitten_is_explained_as_the_library_explains_it_with_every_download()
    {
        var (status, body) = await Post(Form("squeezenet", "kitten.png", File.ReadAllBytes(Kitten), ("composites", "dtd,epsilon-gamma-box"), ("target", "285")));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(285, body.GetProperty("target").GetInt32());
        var top = body.GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(5, top.Length);
        Assert.Contains("tabby", top[0].GetProperty("label").GetString());

        using var library = Explainer.Load(SqueezeNet, new ExplainerSettings { Image = ImageInput.Raw(ChannelOrder.Bgr) });
        var expected = library.ExplainImage(Kitten, 285);
        var explanations = body.GetProperty("explanations").EnumerateArray().ToArray();
        Assert.Equal("dtd,epsilon-gamma-box", string.Join(",", explanations.Select(e => e.GetProperty("composite").GetString())));
        var dtd = explanations[0];
        Assert.Equal(expected.Output, dtd.GetProperty("f").GetDouble());
        Assert.Equal(expected.Consistency.HeatmapSum, dtd.GetProperty("relevanceSum").GetDouble());
        Assert.Equal(expected.Consistency.Layers.Length, dtd.GetProperty("layers").GetArrayLength());

        // The same bits as the library: relevance, heatmap and overlay.
        var npy = Npy.Read(await Client.GetByteArrayAsync(dtd.GetProperty("npy").GetString()), "relevance.npy");
        Assert.Equal([1, 3, 224, 224], npy.Shape.ToArray());
        Assert.Equal(expected.HeatmapSingles(), npy.Data.ToArray());
        using var heatmap = new MemoryStream();
        expected.WriteHeatmapPng(heatmap);
        Assert.Equal(heatmap.ToArray(), await Client.GetByteArrayAsync(dtd.GetProperty("heatmap").GetString()));
        using var overlay = new MemoryStream();
        expected.WriteOverlayPng(overlay, Kitten);
        Assert.Equal(overlay.ToArray(), await Client.GetByteArrayAsync(dtd.GetProperty("overlay").GetString()));
        using (var input = SKBitmap.Decode(await Client.GetByteArrayAsync(body.GetProperty("input").GetString())))
            Assert.Equal((224, 224), (input.Width, input.Height));
        using var report = JsonDocument.Parse(await Client.GetStringAsync(dtd.GetProperty("report").GetString()));
        Assert.Equal(285, report.RootElement.GetProperty("target").GetInt32());
        Assert.Equal(expected.Output, report.RootElement.GetProperty("f").GetDouble());

        // ε-γ-box is the library's preset with the same box.
        using var gammaBox = Explainer.Load(SqueezeNet, new ExplainerSettings
        {
            Image = ImageInput.Raw(ChannelOrder.Bgr),
            Composite = Composite.EpsilonGammaBox(Explainer.InputBox(library.Network, ImageInput.Raw(ChannelOrder.Bgr).For(library.Network.InputShape))),
        });
        Assert.Equal(gammaBox.ExplainImage(Kitten, 285).Consistency.HeatmapSum, explanations[1].GetProperty("relevanceSum").GetDouble());
    }

    [Fact]
    public async Task A_custom_composite_takes_a_rule_per_layer_and_a_npy_input_its_own_box()
    {
        using var layers = JsonDocument.Parse(await Client.GetStringAsync("/api/models/mnist-8/layers?composite=dtd"));
        var nodes = layers.RootElement.EnumerateArray().ToArray();
        Assert.Equal("zbox", nodes[0].GetProperty("rule").GetString());
        Assert.All(nodes.Skip(1), n => Assert.Equal("zplus", n.GetProperty("rule").GetString()));
        // ε 0.25 above the first layer, given layer by layer, is the library's FirstLayer(z^B, ε 0.25).
        var custom = nodes.Select((n, i) => (n.GetProperty("node").GetString()!, i == 0 ? "zbox" : "epsilon:0.25")).ToDictionary();
        var rng = new Random(3);
        var x = Enumerable.Range(0, 28 * 28).Select(_ => (float)rng.NextDouble() * 255).ToArray();
        using var npy = new MemoryStream();
        Npy.Write(npy, [1, 1, 28, 28], x);
        var (status, body) = await Post(Form("mnist-8", "digit.npy", npy.ToArray(), ("composites", "custom,epsilon"), ("custom", JsonSerializer.Serialize(custom))));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("input").ValueKind);
        var explanations = body.GetProperty("explanations").EnumerateArray().ToArray();
        Assert.Equal(JsonValueKind.Null, explanations[0].GetProperty("overlay").ValueKind);
        using var library = Explainer.Create(Onnx.OnnxImporter.Load(Mnist), new ExplainerSettings { FirstRule = Rules.ZBox(0, x.Max()), Rule = Rules.Epsilon(0.25) });
        var expected = library.Explain(x);
        Assert.Equal(expected.Consistency.HeatmapSum, explanations[0].GetProperty("relevanceSum").GetDouble());
        Assert.Equal(expected.Consistency.HeatmapSum, explanations[1].GetProperty("relevanceSum").GetDouble());
    }

    [Fact]
    public async Task Bad_uploads_come_back_as_json_with_the_clis_messages_and_codes()
    {
        async Task Refused(HttpContent content, HttpStatusCode status, string code, int exitCode, string says)
        {
            var (s, body) = await Post(content);
            Assert.True(s == status, body.ToString());
            Assert.Equal(code, body.GetProperty("code").GetString());
            Assert.Equal(exitCode, body.GetProperty("exitCode").GetInt32());
            Assert.Contains(says, body.GetProperty("error").GetString());
        }
        var kitten = File.ReadAllBytes(Kitten);
        await Refused(Form("squeezenet", "notes.png", "not a picture"u8.ToArray()), HttpStatusCode.UnprocessableEntity, "bad-input", 4, "is not an image");
        await Refused(Form("squeezenet", "cut.png", kitten[..(kitten.Length / 2)]), HttpStatusCode.UnprocessableEntity, "bad-input", 4, "truncated or corrupt");
        await Refused(Form("alexnet", "kitten.png", kitten), HttpStatusCode.NotFound, "unknown-model", 2, "No model 'alexnet'");
        await Refused(Form("squeezenet", "kitten.png", kitten, ("target", "1000")), HttpStatusCode.BadRequest, "usage", 2, "numbered 0 to 999");
        await Refused(Form("squeezenet", "kitten.png", kitten, ("composites", "lrp-magic")), HttpStatusCode.BadRequest, "usage", 2, "'lrp-magic' is not a composite");
        await Refused(Form("squeezenet", "kitten.png", kitten, ("composites", "custom"), ("custom", "{\"conv1_1\": \"zbox\"}")), HttpStatusCode.UnprocessableEntity, "unsupported-model", 3, "has no rule in the composite");
        await Refused(Form("squeezenet", "kitten.png", kitten, ("composites", "custom"), ("custom", "{\"conv1_1\": \"sparkle\"}")), HttpStatusCode.BadRequest, "usage", 2, "Unknown rule 'sparkle'");
        await Refused(Form("mnist-8", "digit.npy", kitten), HttpStatusCode.UnprocessableEntity, "bad-input", 4, "not a .npy file");
        using (var npy = new MemoryStream())
        {
            Npy.Write(npy, [1, 3, 28, 28], new float[3 * 28 * 28]);
            await Refused(Form("mnist-8", "digit.npy", npy.ToArray()), HttpStatusCode.UnprocessableEntity, "bad-input", 4, "takes one input of shape (1, 1, 28, 28)");
        }
        // Larger than --max-pixels by its header: refused before decoding (a blank 2000 × 2000 PNG is a few KiB).
        using (var big = new SKBitmap(2000, 2000))
        using (var png = new MemoryStream())
        {
            big.Encode(png, SKEncodedImageFormat.Png, 100);
            await Refused(Form("squeezenet", "big.png", png.ToArray()), HttpStatusCode.UnprocessableEntity, "bad-input", 4, "by its header");
        }
        // Larger than --max-upload-mib: refused before it is read.
        await Refused(Form("squeezenet", "huge.png", new byte[2 << 20]), HttpStatusCode.RequestEntityTooLarge, "too-large", 2, "more than the limit of 1,048,576");
        // The same without a declared length (chunked): refused when the limit is reached while reading.
        await RefusedChunked();
        await Refused(new StringContent("{}"), HttpStatusCode.BadRequest, "usage", 2, "multipart form");
        using var missing = await Client.GetAsync("/api/results/nothing/dtd/heatmap.png");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_batch_runs_class_means_are_listed_and_served_as_written_and_nothing_else_is()
    {
        using var runs = JsonDocument.Parse(await Client.GetStringAsync("/api/runs"));
        var listed = runs.RootElement.EnumerateArray().ToArray();
        Assert.Equal(["digits", "torn"], listed.Select(r => r.GetProperty("name").GetString()));
        // A summary that cannot be read is a run not finished, not an error.
        Assert.False(listed[1].GetProperty("finished").GetBoolean());
        var run = listed[0];
        Assert.True(run.GetProperty("finished").GetBoolean());
        Assert.Equal(12, run.GetProperty("explained").GetInt32());
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(served.Run, "summary.json")));
        var expected = summary.RootElement.GetProperty("classes").EnumerateArray().Select(c => (c.GetProperty("target").GetInt32(), c.GetProperty("count").GetInt32())).ToArray();
        var classes = run.GetProperty("classes").EnumerateArray().ToArray();
        Assert.Equal(expected, classes.Select(c => (c.GetProperty("target").GetInt32(), c.GetProperty("count").GetInt32())).ToArray());
        Assert.Equal(12, classes.Sum(c => c.GetProperty("count").GetInt32()));
        foreach (var c in classes)
            Assert.Equal(File.ReadAllBytes(Path.Combine(served.Run, "class-means", $"{c.GetProperty("target").GetInt32()}.png")),
                await Client.GetByteArrayAsync(c.GetProperty("heatmap").GetString()));
        // Only the class means the summary lists, by number: a target it does not list, another run, a path are not found.
        var absent = Enumerable.Range(0, 10).First(t => expected.All(e => e.Item1 != t));
        foreach (var path in new[] { $"/api/runs/digits/class-means/{absent}.png", "/api/runs/other/class-means/0.png", "/api/runs/digits/class-means/..%2Fsummary.json", "/api/runs/digits/summary.json", "/api/runs/torn/class-means/0.png" })
        {
            using var response = await Client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
        }
    }

    [Fact]
    public void A_port_in_use_is_a_usage_error_that_says_so()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var result = Cli.Run("serve", "--model", Mnist, "--port", port.ToString());
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"Cannot listen on 127.0.0.1:{port}", result.Error);
        Assert.Contains("--port 0", result.Error);
    }

    [Fact]
    public async Task A_request_beyond_the_queue_is_answered_busy_and_the_admitted_ones_finish()
    {
        // --max-queue 0: one request at a time. The first holds its place while its body is still arriving (the server says
        // so in /api/status), so the second finds the explainer taken.
        var release = new TaskCompletionSource();
        var first = Client.PostAsync("/api/explain", new StalledContent(Form("squeezenet", "kitten.png", File.ReadAllBytes(Kitten)), release.Task));
        while (true)
        {
            using var status = JsonDocument.Parse(await Client.GetStringAsync("/api/status"));
            if (status.RootElement.GetProperty("requests").GetInt32() == 1) break;
            Assert.False(first.IsCompleted, "the first request ended before it was released");
            await Task.Delay(20);
        }
        var (refused, body) = await Post(Form("squeezenet", "kitten.png", File.ReadAllBytes(Kitten)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused);
        Assert.Equal("busy", body.GetProperty("code").GetString());
        release.SetResult();
        using var admitted = await first;
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        // Once it is done, the next is served.
        var (again, _) = await Post(Form("squeezenet", "kitten.png", File.ReadAllBytes(Kitten)));
        Assert.Equal(HttpStatusCode.OK, again);
    }

    /// <summary>
    /// An upload without a declared length (chunked) is refused once the limit is crossed while reading. Sent by hand: one
    /// chunk just over the limit and no more, so the server has read all that was sent when it answers (an HTTP client that
    /// goes on sending finds the connection closed, and whether it reads the answer first is a race).
    /// </summary>
    private async Task RefusedChunked()
    {
        const string Boundary = "relevance-test";
        var head = Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nsqueezenet\r\n"
            + $"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.png\"\r\nContent-Type: image/png\r\n\r\n");
        var chunk = new byte[(1 << 20) + 4096];
        head.CopyTo(chunk, 0);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(served.Viewer.Address.Host, served.Viewer.Address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /api/explain HTTP/1.1\r\nHost: {served.Viewer.Address.Authority}\r\n"
            + $"Content-Type: multipart/form-data; boundary={Boundary}\r\nTransfer-Encoding: chunked\r\n\r\n{chunk.Length:x}\r\n"));
        await stream.WriteAsync(chunk);
        await stream.WriteAsync("\r\n"u8.ToArray());
        var answer = await new StreamReader(stream, Encoding.ASCII).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 413", answer);
        // The answer's body comes in one chunk: the JSON between its size line and the closing zero chunk.
        var body = JsonDocument.Parse(answer[answer.IndexOf('{')..(answer.LastIndexOf('}') + 1)]).RootElement;
        Assert.Equal("too-large", body.GetProperty("code").GetString());
        Assert.Contains("more than the limit of 1,048,576", body.GetProperty("error").GetString());
    }

    /// <summary>A request body sent in two halves: the second only when <c>release</c> completes.</summary>
    private sealed class StalledContent : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly Task _release;

        public StalledContent(HttpContent inner, Task release)
        {
            _bytes = inner.ReadAsByteArrayAsync().Result;
            _release = release;
            foreach (var h in inner.Headers) Headers.TryAddWithoutValidation(h.Key, h.Value);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(_bytes.AsMemory(0, _bytes.Length / 2));
            await stream.FlushAsync();
            await _release;
            await stream.WriteAsync(_bytes.AsMemory(_bytes.Length / 2));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }
}
