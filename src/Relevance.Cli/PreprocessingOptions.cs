using System.CommandLine;
using System.Globalization;
using Relevance.IO;

namespace Relevance.Cli;

/// <summary>The image preprocessing options shared by explain and demo.</summary>
internal sealed class PreprocessingOptions
{
    private readonly Option<string> _channels = new("--channels") { Description = "rgb or bgr: the channel order the model expects.", DefaultValueFactory = _ => "rgb" };
    private readonly Option<double> _scale = new("--scale") { Description = "Multiplies pixel values 0..255 (1/255 maps to [0, 1]).", DefaultValueFactory = _ => 1.0 / 255 };
    private readonly Option<string> _mean = new("--mean") { Description = "Per-channel means after scaling, comma-separated (in the model's channel order).", DefaultValueFactory = _ => "0" };
    private readonly Option<string> _std = new("--std") { Description = "Per-channel standard deviations, comma-separated.", DefaultValueFactory = _ => "1" };

    public static PreprocessingOptions Create()
    {
        var o = new PreprocessingOptions();
        o._channels.AcceptOnlyFromAmong("rgb", "bgr");
        return o;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_channels);
        command.Options.Add(_scale);
        command.Options.Add(_mean);
        command.Options.Add(_std);
    }

    /// <summary>How photos become the model's input, as the options give it.</summary>
    public ImageInput Read(ParseResult parse)
    {
        static double[] Numbers(string text, string option) =>
            [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t =>
                double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"{option}: '{t}' is not a number."))];
        var scale = parse.GetValue(_scale);
        if (!(scale > 0) || !float.IsFinite((float)(255 * scale)))
            throw new UsageException($"--scale must be positive and keep 255 × scale finite in float32, got {scale.ToString(CultureInfo.InvariantCulture)}.");
        var (mean, std) = (Numbers(parse.GetValue(_mean)!, "--mean"), Numbers(parse.GetValue(_std)!, "--std"));
        // The input's extremes are (0 − μ)/σ and (255·scale − μ)/σ: they must be numbers in float32, as the model reads them.
        foreach (var m in mean)
            foreach (var d in std)
                if (d > 0 && (!float.IsFinite((float)((0 - m) / d)) || !float.IsFinite((float)((255 * scale - m) / d))))
                    throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                        $"--mean {m} and --std {d} map the pixel range 0..255 (× --scale {scale}) outside float32's range; the model could not read the input."));
        return new ImageInput(parse.GetValue(_channels) == "bgr" ? ChannelOrder.Bgr : ChannelOrder.Rgb, scale, [.. mean], [.. std]);
    }

    /// <summary>The preprocessing options given on the command line (not left at their defaults).</summary>
    public string[] Given(ParseResult parse) =>
        [.. new Option[] { _channels, _scale, _mean, _std }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name)];

    /// <summary>The preprocessing of a model input; a bad parameter is a usage error.</summary>
    public static Preprocessing For(ImageInput image, Shape input)
    {
        try
        {
            return image.For(input);
        }
        catch (ArgumentException e) when (e is not InvalidInputException)
        {
            throw new UsageException(e.Message);
        }
    }
}
