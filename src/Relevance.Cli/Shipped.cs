namespace Relevance.Cli;

/// <summary>Files shipped beside the executable: the repository's data/ folder and the models restored by the build.</summary>
internal static class Shipped
{
    /// <summary>A path under the executable's folder.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, .. parts]);

    /// <summary>A shipped network and how photos become its input: SqueezeNet 1.1 (BGR, 0..255), or the ResNet-18 featurizer
    /// (BGR, 0..255 minus its ImageNet mean image); null for another name.</summary>
    public static (string Path, ImageInput Image)? Model(string name) => name switch
    {
        "squeezenet" => (Path("data", "onnx", "squeezenet1.1_fp16_winml", "SqueezeNet_fp16.onnx"), ImageInput.Raw(IO.ChannelOrder.Bgr)),
        "resnet18" => (Path("models", "ResNet18.onnx"), ResNetInput()),
        _ => null,
    };

    /// <summary>The ResNet-18 featurizer's preprocessing: BGR pixels 0..255 minus the ImageNet mean image (an initializer of
    /// its preprocessing model), so each pixel has its own z^B box [−μ_p, 255 − μ_p].</summary>
    public static ImageInput ResNetInput()
    {
        var (_, mean) = Onnx.OnnxImporter.ReadInitializer(Path("models", "ResNetPreprocess.onnx"), "MeanImage");
        return new ImageInput(IO.ChannelOrder.Bgr, 1, mean, [1]);
    }
}
