using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Relevance.Benchmarks.ExplainBenchmarks).Assembly).Run(args);
