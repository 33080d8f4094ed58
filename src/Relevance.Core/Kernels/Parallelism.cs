namespace Relevance.Kernels;

/// <summary>How many cores the kernels called on this thread may use: every core, or fewer inside <see cref="Limit"/>.</summary>
/// <remarks>The engine sets it for each call from its own setting (<c>ExplainerSettings.Parallelism</c>); code that calls a
/// generated explainer sets it around the call. With one core, jobs run on the calling thread and the helper thread is not used.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Parallelism
{
    // The calling thread's limit (0: none).
    [ThreadStatic] private static int _limit;

    /// <summary>The number of cores kernels called on this thread may use.</summary>
    public static int Cores => _limit > 0 ? Math.Min(_limit, Environment.ProcessorCount) : Environment.ProcessorCount;

    /// <summary>Limits the cores of the kernels this thread calls until the returned scope is disposed (0: no limit).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cores"/> is negative.</exception>
    public static Scope Limit(int cores)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cores);
        var previous = _limit;
        _limit = cores;
        return new Scope(previous);
    }

    /// <summary>Restores the limit that was in force before <see cref="Limit"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly int _previous;

        internal Scope(int previous) => _previous = previous;

        /// <summary>Restores the previous limit.</summary>
        public void Dispose() => _limit = _previous;
    }
}
