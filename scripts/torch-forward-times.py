"""Median forward time of torchvision architectures in PyTorch on this machine (batch 1, eval, no grad), the figure
the engine's forward is compared with: python3 scripts/torch-forward-times.py [NAME ...] [--repeats N]. Needs PyTorch and
torchvision (Debian: python3-torch python3-torchvision); the names are export-torchvision.py's."""
import statistics
import sys
import time
import torch

sys.path.insert(0, __import__("os").path.dirname(__file__))
export = __import__("export-torchvision")

def main():
    args = sys.argv[1:]
    repeats = 11
    if "--repeats" in args:
        i = args.index("--repeats")
        repeats = int(args[i + 1])
        del args[i:i + 2]
    torch.set_num_threads(2)
    torch.manual_seed(0)
    for name in args or list(export.FAMILIES):
        model = export.FAMILIES[name]().eval()
        size = 299 if name == "inception_v3" else 224
        x = torch.rand(1, 3, size, size)
        with torch.no_grad():
            for _ in range(3):
                model(x)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - start) * 1000)
        print(f"{name}: forward {statistics.median(times):.1f} ms (median of {repeats})", flush=True)

if __name__ == "__main__":
    main()
