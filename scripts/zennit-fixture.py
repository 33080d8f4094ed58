"""Makes the Zennit comparison fixture: a small ReLU CNN with random weights, one input, and Zennit's EpsilonGammaBox
heatmap of it, computed in float64.

    ZENNIT_REF=0.5.1 PYTHONPATH=ZENNIT_CHECKOUT/src python3 scripts/zennit-fixture.py tests/Relevance.IntegrationTests/Fixtures/zennit

Needs PyTorch, torchvision, the onnx package and a Zennit source checkout (0.5.1, the last release that runs on Debian 12's
PyTorch 1.13; its rules are those of 1.0.0); the tests need none of them, only the files it writes:
  model.onnx     the network (Conv 3x3 pad 1 + ReLU + MaxPool 2, Conv 3x3 + ReLU, Flatten, Linear + ReLU, Linear), float32
  input.npy      one input [1, 3, 8, 8] in the box [0, 1]
  expected.npy   Zennit's relevance of the arg-max logit, its output relevance set to the logit f(x)
  fixture.json   the target, f(x), Zennit's version and how the heatmap was made
"""
import json
import os
import sys

import numpy as np
import torch
import zennit
from zennit.attribution import Gradient
from zennit.composites import EpsilonGammaBox


def network():
    torch.manual_seed(23)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(6 * 2 * 2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    with torch.no_grad():
        # Biases of both signs and of a size that matters, so the bias conventions are exercised.
        for module in net:
            if hasattr(module, 'bias'):
                module.weight.mul_(2)
                module.bias.copy_(torch.randn_like(module.bias) * 0.2)
    return net.eval()


def main(out):
    os.makedirs(out, exist_ok=True)
    net = network()
    x = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(7))
    torch.onnx.export(net, x, os.path.join(out, 'model.onnx'), input_names=['x'], output_names=['logits'], opset_version=13)
    np.save(os.path.join(out, 'input.npy'), x.numpy().astype(np.float32))

    # Zennit on the same float32 weights and input, computed in float64.
    net64, x64 = net.double(), x.double().requires_grad_(True)
    logits = net64(x64)
    target = int(logits.argmax())
    f = float(logits[0, target])
    composite = EpsilonGammaBox(low=torch.zeros_like(x64), high=torch.ones_like(x64))
    with Gradient(model=net64, composite=composite) as attributor:
        _, relevance = attributor(x64, lambda y: torch.eye(3, dtype=y.dtype)[[target]] * y)
    np.save(os.path.join(out, 'expected.npy'), relevance.detach().numpy())
    with open(os.path.join(out, 'fixture.json'), 'w') as file:
        json.dump({
            'target': target, 'f': f, 'relevance_sum': float(relevance.sum()),
            'zennit': os.environ.get('ZENNIT_REF', getattr(zennit, '__version__', 'unknown')), 'torch': torch.__version__,
            'composite': 'EpsilonGammaBox(low=0, high=1), epsilon 1e-6, gamma 0.25, stabilizer 1e-6; '
                         'output relevance one-hot times f(x); float64',
        }, file, indent=2)
    print(f'target {target}, f = {f:.6f}, sum R = {float(relevance.sum()):.6f}')


if __name__ == '__main__':
    main(sys.argv[1])
