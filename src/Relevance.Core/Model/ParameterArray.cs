using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Relevance;

/// <summary>An immutable array of a layer's parameters (weights or biases), kept in the precision it came in — single for a model
/// read from ONNX, double for a network built in code — and read as doubles.</summary>
/// <remarks>An imported model's weights are stored once, as the float32 values the file holds: half the memory of doubles, and
/// the engine computes from them without a copy. Two arrays are equal when they hold the same storage.</remarks>
[CollectionBuilder(typeof(ParameterArray), nameof(Create))]
public sealed class ParameterArray : IReadOnlyList<double>, IEquatable<ParameterArray>
{
    private readonly double[]? _doubles;
    private readonly float[]? _singles;

    private ParameterArray(double[]? doubles, float[]? singles) => (_doubles, _singles) = (doubles, singles);

    /// <summary>No parameters.</summary>
    public static ParameterArray Empty { get; } = new([], null);

    /// <summary>An array holding a copy of the given values.</summary>
    public static ParameterArray Create(ReadOnlySpan<double> values) => new(values.ToArray(), null);

    /// <summary>An array that takes ownership of double-precision values (the caller must not change them afterwards).</summary>
    public static ParameterArray Own(double[] values) => new(values ?? throw new ArgumentNullException(nameof(values)), null);

    /// <summary>An array that takes ownership of single-precision values (the caller must not change them afterwards).</summary>
    public static ParameterArray Own(float[] values) => new(null, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>The values of an immutable array, shared without a copy.</summary>
    public static implicit operator ParameterArray(ImmutableArray<double> values) =>
        values.IsDefault ? throw new ArgumentNullException(nameof(values)) : new(ImmutableCollectionsMarshal.AsArray(values), null);

    /// <summary>The number of values.</summary>
    public int Length => _doubles?.Length ?? _singles!.Length;

    /// <inheritdoc />
    public int Count => Length;

    /// <summary>Whether the values are kept in single precision.</summary>
    public bool IsSingle => _singles is not null;

    /// <summary>The value at an index, in double precision.</summary>
    public double this[int index] => _doubles is not null ? _doubles[index] : _singles![index];

    /// <summary>The values in single precision: the array's own storage when it is single (read-only by contract), else a rounded copy.</summary>
    internal float[] Singles()
    {
        return _singles ?? Precision.Narrow(_doubles);
    }

    /// <summary>The single-precision storage, read-only.</summary>
    /// <exception cref="InvalidOperationException">The values are kept in double precision.</exception>
    public ReadOnlySpan<float> AsSingleSpan() => _singles ?? throw new InvalidOperationException("These parameters are kept in double precision.");

    /// <summary>The values in single precision, as a new array.</summary>
    public float[] ToSingles() => _singles is not null ? [.. _singles] : Singles();

    /// <summary>The values in double precision, as a new array.</summary>
    public double[] ToArray()
    {
        return _doubles is not null ? [.. _doubles] : Precision.Widen(_singles);
    }

    /// <summary>A copy of a range, in this array's precision.</summary>
    internal ParameterArray Slice(int start, int length) =>
        _singles is not null ? Own(_singles.AsSpan(start, length).ToArray()) : Own(_doubles.AsSpan(start, length).ToArray());

    /// <summary>Each value times a factor of its index, computed in double precision and kept in this array's precision.</summary>
    internal ParameterArray Scaled(Func<int, double> factor)
    {
        if (_singles is not null)
        {
            var s = Engine.LargeArrays.Uninitialized<float>(_singles.Length);
            for (var i = 0; i < s.Length; i++) s[i] = (float)(_singles[i] * factor(i));
            return Own(s);
        }
        var d = new double[_doubles!.Length];
        for (var i = 0; i < d.Length; i++) d[i] = _doubles[i] * factor(i);
        return Own(d);
    }

    /// <summary>The index of the first value that is NaN or ±∞, or −1.</summary>
    public int IndexOfNonFinite()
    {
        if (_singles is not null)
        {
            for (var i = 0; i < _singles.Length; i++)
                if (!float.IsFinite(_singles[i])) return i;
            return -1;
        }
        for (var i = 0; i < _doubles!.Length; i++)
            if (!double.IsFinite(_doubles[i])) return i;
        return -1;
    }

    /// <inheritdoc />
    public IEnumerator<double> GetEnumerator()
    {
        for (var i = 0; i < Length; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Equal when both hold the same storage (as arrays compare).</summary>
    public bool Equals(ParameterArray? other) =>
        other is not null && ReferenceEquals(_doubles, other._doubles) && ReferenceEquals(_singles, other._singles);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ParameterArray);

    /// <inheritdoc />
    public override int GetHashCode() => RuntimeHelpers.GetHashCode((object?)_doubles ?? _singles!);
}
