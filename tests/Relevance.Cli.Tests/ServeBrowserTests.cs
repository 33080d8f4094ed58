using Microsoft.Playwright;
using Relevance.IO;
using Xunit.Abstractions;

namespace Relevance.Cli.Tests;

/// <summary>
/// The browser tier: runs when RELEVANCE_BROWSER=1 (.ci/run sets it after installing Debian's chromium) and then fails if no
/// browser is found; skipped otherwise. The browser is the system's (RELEVANCE_CHROMIUM, else chromium on the PATH).
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("RELEVANCE_BROWSER") != "1")
            Skip = "needs a headless Chromium: install Debian's chromium, then RELEVANCE_BROWSER=1 (.ci/run does both)";
    }

    /// <summary>The Chromium to drive.</summary>
    public static string Chromium()
    {
        if (Environment.GetEnvironmentVariable("RELEVANCE_CHROMIUM") is { Length: > 0 } given) return given;
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .SelectMany(dir => new[] { "chromium", "chromium-browser", "google-chrome" }.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
        return found ?? throw new InvalidOperationException("RELEVANCE_BROWSER=1 but no chromium on the PATH; set RELEVANCE_CHROMIUM to the browser");
    }
}

/// <summary>`relevance serve` as a user meets it: the page in a real browser, the kitten uploaded, the target and the rules changed.</summary>
public class ServeBrowserTests(ITestOutputHelper output)
{
    /// <summary>Where the screenshots are saved: the window (the README's picture, docs/serve.png, is a copy of it) and the whole page.</summary>
    public static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "artifacts");

    [BrowserFact]
    public async Task The_kitten_dropped_on_the_page_is_explained_as_the_library_explains_it_and_follows_the_target_and_rules()
    {
        // No --model: the demo's ResNet-18 first and SqueezeNet, as `relevance serve` starts for a new user; and a batch run's gallery.
        var run = Path.Combine(Cli.TempDirectory(), "photos");
        var batch = Cli.Run("batch", ServeApiTests.SqueezeNet, Cli.Data("images"), "--out", run, "--channels", "bgr", "--scale", "1");
        Assert.True(batch.ExitCode == 0, batch.Error);
        using var viewer = new ViewerProcess("--runs", run);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserFactAttribute.Chromium(),
            Headless = true,
            Args = ["--no-sandbox"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1340, Height = 900 } });
        // Anything the page logs as an error (a script error, a resource the policy blocked, a failed request) fails the test.
        var problems = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (problems) problems.Add($"console: {m.Text}"); };
        page.PageError += (_, e) => { lock (problems) problems.Add($"page error: {e}"); };
        page.RequestFailed += (_, r) => { if (r.Failure != "net::ERR_ABORTED") lock (problems) problems.Add($"request failed: {r.Url} {r.Failure}"); };
        page.Response += (_, r) => { if (r.Status >= 400) lock (problems) problems.Add($"answered {r.Status}: {r.Url}"); };

        await page.GotoAsync(viewer.Address.ToString());
        await page.WaitForFunctionAsync("() => document.getElementById('model').options.length === 2");
        Assert.Equal("resnet18", await page.InputValueAsync("#model"));
        await page.SelectOptionAsync("#model", "squeezenet");
        await page.SetInputFilesAsync("#file", ServeApiTests.Kitten);

        // The four default composites, the paper's first, each with its pictures loaded and its per-layer chart.
        var first = await Shown(page, 4);
        var top = page.Locator("#top button");
        Assert.Equal(5, await top.CountAsync());
        Assert.Contains("tabby", await top.First.TextContentAsync());
        Assert.Equal(["dtd", "dtd-w2", "epsilon", "alpha2-beta1"], await Composites(page));
        using var library = Explainer.Load(ServeApiTests.SqueezeNet, new ExplainerSettings { Image = ImageInput.Raw(ChannelOrder.Bgr) });
        var target = int.Parse(await top.First.GetAttributeAsync("data-index") ?? "");
        await SameHeatmap(page, viewer, "dtd", library.ExplainImage(ServeApiTests.Kitten, target));

        // Another output of the top five: every card follows it.
        var other = int.Parse(await top.Nth(2).GetAttributeAsync("data-index") ?? "");
        await top.Nth(2).ClickAsync();
        var second = await Shown(page, 4, after: first);
        Assert.Equal(other.ToString(), await page.InputValueAsync("#target"));
        Assert.Equal(other.ToString(), await page.Locator("#top button.chosen").GetAttributeAsync("data-index"));
        var dtd = library.ExplainImage(ServeApiTests.Kitten, other);
        await SameHeatmap(page, viewer, "dtd", dtd);

        // Another rule beside them: Zennit's ε-γ-box with the model's box, as the library's preset gives it.
        await page.CheckAsync("#composites input[value='epsilon-gamma-box']");
        await Shown(page, 5, after: second);
        Assert.Equal(["dtd", "dtd-w2", "epsilon", "alpha2-beta1", "epsilon-gamma-box"], await Composites(page));
        using var gammaBox = Explainer.Load(ServeApiTests.SqueezeNet, new ExplainerSettings
        {
            Image = ImageInput.Raw(ChannelOrder.Bgr),
            Composite = Composite.EpsilonGammaBox(Explainer.InputBox(library.Network, ImageInput.Raw(ChannelOrder.Bgr).For(library.Network.InputShape))),
        });
        await SameHeatmap(page, viewer, "epsilon-gamma-box", gammaBox.ExplainImage(ServeApiTests.Kitten, other));

        // The chart has a bar for each layer of the report, titled with its numbers.
        var bars = page.Locator(".card[data-composite='dtd'] svg.chart rect.in");
        Assert.Equal(dtd.Consistency.Layers.Length, await bars.CountAsync());
        Assert.Contains(dtd.Consistency.Layers[0].Node, await bars.First.Locator("title").TextContentAsync());
        Assert.Equal("", await page.Locator("#error").TextContentAsync());

        // The batch run's gallery: a class-mean heatmap per target of its summary.
        var classes = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement.GetProperty("classes").GetArrayLength();
        await page.WaitForFunctionAsync("(n) => { const g = [...document.querySelectorAll('#runs .gallery img')]; return g.length === n && g.every((i) => i.complete && i.naturalWidth > 0); }",
            classes);
        Assert.Contains("photos:", await page.Locator("#runs .run h3").TextContentAsync());

        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "serve.png") });
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "serve-full-page.png"), FullPage = true });
        output.WriteLine($"screenshots: {Screenshots}");
        lock (problems) Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Waits for a new result with <paramref name="cards"/> cards whose pictures have loaded; returns its id.</summary>
    private static async Task<string> Shown(IPage page, int cards, string? after = null)
    {
        await page.WaitForFunctionAsync("""
            ([cards, after]) => {
              const id = document.body.dataset.result;
              if (!id || id === after || document.body.classList.contains('busy')) return false;
              const shown = document.querySelectorAll('#results .card');
              const pictures = document.querySelectorAll('#results img, #input');
              return shown.length === cards && [...pictures].every((i) => i.complete && i.naturalWidth > 0);
            }
            """, new object?[] { cards, after }, new() { Timeout = 120_000 });
        return await page.EvaluateAsync<string>("() => document.body.dataset.result");
    }

    private static async Task<string[]> Composites(IPage page) =>
        await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#results .card')].map((c) => c.dataset.composite)");

    /// <summary>The card's heatmap, fetched from the address the page shows, is the library's PNG byte for byte.</summary>
    private static async Task SameHeatmap(IPage page, ViewerProcess viewer, string composite, Explanation expected)
    {
        var src = await page.Locator($".card[data-composite='{composite}'] img.heatmap").GetAttributeAsync("src");
        using var png = new MemoryStream();
        expected.WriteHeatmapPng(png);
        Assert.Equal(png.ToArray(), await viewer.Client.GetByteArrayAsync(src));
    }
}
