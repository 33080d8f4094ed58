using System.CommandLine;
using Relevance.Cli.Commands;

var root = new RootCommand("relevance — explain neural network decisions with Deep Taylor Decomposition.")
{
    CheckCommand.Create(),
};
try
{
    // Our own handler below prints one line that says what went wrong, not a stack trace.
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    Console.Error.WriteLine($"relevance: {e.GetType().Name}: {e.Message}");
    return 1;
}
