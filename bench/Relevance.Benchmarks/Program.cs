using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "paired") Relevance.Benchmarks.PairedRatios.Run(args[1..]);
else BenchmarkSwitcher.FromAssembly(typeof(Relevance.Benchmarks.ExplainBenchmarks).Assembly).Run(args);
