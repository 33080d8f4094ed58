using System.CommandLine;
using Relevance.Cli.Commands;
using Relevance.Cli;

var root = new RootCommand("relevance — explain neural network decisions with Deep Taylor Decomposition.")
{
    CheckCommand.Create(),
    ExplainCommand.Create(),
    DemoCommand.Create(),
    BenchCommand.Create(),
    BenchCommand.Spin(),
    ReproduceCommand.Create(),
    EvaluateCommand.Create(),
    BatchCommand.Create(),
    BatchCommand.Merge(),
    ServeCommand.Create(),
};
// Stopped by Ctrl-C or SIGTERM while writing: the temporary files of unpublished outputs go, the targets stay as they were.
using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, _ => Relevance.IO.AtomicFile.DeleteUnpublished());
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ => Relevance.IO.AtomicFile.DeleteUnpublished());
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"relevance: {error.Message}");
    Console.Error.WriteLine("relevance: see 'relevance --help'.");
    return ExitCodes.Usage;
}
try
{
    // Our own handler below prints one line that says what went wrong, not a stack trace.
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    var code = ExitCodes.For(e);
    Console.Error.WriteLine(code == ExitCodes.Failure ? $"relevance: {e.GetType().Name}: {e.Message}" : $"relevance: {e.Message}");
    return code;
}
