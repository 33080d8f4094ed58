namespace Relevance.Cli;

/// <summary>A progress reporter that calls its action on the reporting thread.</summary>
/// <remarks><see cref="Progress{T}"/> posts each report to the thread pool, where it may run after the progress bar has
/// closed.</remarks>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
