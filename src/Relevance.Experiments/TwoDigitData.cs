using System.Collections.Immutable;
using Relevance.IO;

namespace Relevance.Experiments;

/// <summary>Handwritten digits: 28×28 images and their labels.</summary>
public sealed record Digits(ImmutableArray<byte> Pixels, ImmutableArray<byte> Labels)
{
    /// <summary>The side of a digit image.</summary>
    public const int Side = 28;

    /// <summary>The number of digits.</summary>
    public int Count => Labels.Length;

    /// <summary>Reads an images file and a labels file in IDX format (gzip or not) and checks they agree.</summary>
    public static Digits Load(string images, string labels)
    {
        var x = Idx.Read(images);
        var y = Idx.Read(labels);
        if (x.Shape.Length != 3 || x.Shape[1] != Side || x.Shape[2] != Side)
            throw new IdxFormatException($"'{images}' has shape ({string.Join(", ", x.Shape)}); expected (N, 28, 28).");
        if (y.Shape.Length != 1 || y.Shape[0] != x.Shape[0])
            throw new IdxFormatException($"'{labels}' holds {y.Shape[0]} labels for {x.Shape[0]} images.");
        return new Digits(x.Data, y.Data);
    }

    /// <summary>Finds the training and test files of an MNIST-format folder (train10k or train, t10k).</summary>
    public static (Digits Train, Digits Test) LoadFolder(string folder)
    {
        string Find(params string[] names) =>
            names.SelectMany(n => new[] { n, n + ".gz" }).Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists)
            ?? throw new IdxFormatException($"'{folder}' has none of {string.Join(", ", names)} (.gz or not).");
        return (Load(Find("train10k-images-idx3-ubyte", "train-images-idx3-ubyte"), Find("train10k-labels-idx1-ubyte", "train-labels-idx1-ubyte")),
                Load(Find("t10k-images-idx3-ubyte"), Find("t10k-labels-idx1-ubyte")));
    }
}

/// <summary>Which digit classes are the ones to detect; the others are distractors.</summary>
/// <param name="Targets">The classes to detect (the paper: 0–3).</param>
public sealed record ClassSplit(ImmutableHashSet<int> Targets)
{
    /// <summary>The paper's split: detect 0–3 among distractors 4–9.</summary>
    public static ClassSplit Paper { get; } = new([0, 1, 2, 3]);
}

/// <summary>The paper's two-digit task (docs/rules.md §7): 28×56 images of two digits side by side, pixels mapped to [−0.5, 1.5];
/// target 100 when one digit is of a class to detect (next to a distractor, either side), 0 when both are distractors.</summary>
public static class TwoDigitData
{
    /// <summary>Image height.</summary>
    public const int Height = 28;
    /// <summary>Image width.</summary>
    public const int Width = 56;
    /// <summary>Pixels per image.</summary>
    public const int Size = Height * Width;
    /// <summary>The darkest pixel value.</summary>
    public const double Low = -0.5;
    /// <summary>The brightest pixel value.</summary>
    public const double High = 1.5;

    /// <summary>One image and its target.</summary>
    public sealed record Example(float[] Pixels, float Target, int Left, int Right);

    /// <summary>Draws examples, half positive and half negative; with <paramref name="shift"/> &gt; 0 each digit is translated by up to that many pixels (training data).</summary>
    public static List<Example> Draw(Digits digits, ClassSplit split, int count, int seed, int shift = 0)
    {
        var targets = Enumerable.Range(0, digits.Count).Where(i => split.Targets.Contains(digits.Labels[i])).ToArray();
        var distractors = Enumerable.Range(0, digits.Count).Where(i => !split.Targets.Contains(digits.Labels[i])).ToArray();
        if (targets.Length == 0 || distractors.Length == 0)
            throw new ArgumentException("The split leaves no digits to detect or no distractors.");
        var rng = new Random(seed);
        var examples = new List<Example>(count);
        for (var n = 0; n < count; n++)
        {
            var positive = n % 2 == 0;
            var a = positive ? targets[rng.Next(targets.Length)] : distractors[rng.Next(distractors.Length)];
            var b = distractors[rng.Next(distractors.Length)];
            var (left, right) = rng.Next(2) == 0 ? (a, b) : (b, a);
            var pixels = new float[Size];
            Paste(digits, left, pixels, 0, shift, rng);
            Paste(digits, right, pixels, Digits.Side, shift, rng);
            examples.Add(new Example(pixels, positive ? 100 : 0, digits.Labels[left], digits.Labels[right]));
        }
        return examples;
    }

    // Writes digit i at column offset, translated by a random (dx, dy) in [−shift, shift]; background is −0.5.
    private static void Paste(Digits digits, int i, float[] pixels, int offset, int shift, Random rng)
    {
        var (dx, dy) = shift > 0 ? (rng.Next(-shift, shift + 1), rng.Next(-shift, shift + 1)) : (0, 0);
        for (var y = 0; y < Digits.Side; y++)
            for (var x = 0; x < Digits.Side; x++)
            {
                var (sy, sx) = (y - dy, x - dx);
                var v = sy is >= 0 and < Digits.Side && sx is >= 0 and < Digits.Side ? digits.Pixels[(i * Digits.Side + sy) * Digits.Side + sx] : 0;
                pixels[y * Width + offset + x] = (float)(Low + (High - Low) * v / 255.0);
            }
    }
}
