"""Trains the small vision transformer shipped in data/onnx/mnist_vit/ and exports it to ONNX.

The model: 28 × 28 digits in 4 × 4 patches (49 tokens and a class token), 4 pre-norm encoder layers of width 64 with
4 heads, MLP 128 with GELU, a final LayerNorm and a linear head on the class token; the attention written out as
PyTorch's own layers export it (MatMul, Softmax, Transpose, Reshape). Trained on the 10 000 training digits in
data/mnist (pixels in [0, 1]) with AdamW, then tested on the 10 000 test digits; the accuracy is printed and written
to data/onnx/mnist_vit/README.md. Deterministic on one thread. Run from the repository root:

    python3 scripts/train-mnist-vit.py            (Debian: python3-torch)

Nothing in the test suite runs this; it is how the shipped model was made.
"""
import gzip
import math
import os
import struct

import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "data", "onnx", "mnist_vit")
WIDTH, HEADS, DEPTH, MLP, PATCH = 64, 4, 4, 128, 4


def idx(name):
    with gzip.open(os.path.join(ROOT, "data", "mnist", name)) as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.out = (nn.Linear(WIDTH, WIDTH) for _ in range(4))

    def forward(self, x):
        b, t, _ = x.shape
        def heads(y):
            return y.reshape(b, t, HEADS, WIDTH // HEADS).transpose(1, 2)
        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(WIDTH // HEADS), dim=-1)
        return self.out((weights @ v).transpose(1, 2).reshape(b, t, WIDTH))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.attention = nn.LayerNorm(WIDTH), Attention()
        self.norm2, self.mlp = nn.LayerNorm(WIDTH), nn.Sequential(nn.Linear(WIDTH, MLP), nn.GELU(), nn.Linear(MLP, WIDTH))

    def forward(self, x):
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        tokens = (28 // PATCH) ** 2
        self.patches = nn.Conv2d(1, WIDTH, PATCH, stride=PATCH)
        self.class_token = nn.Parameter(torch.zeros(1, 1, WIDTH))
        self.position = nn.Parameter(torch.randn(1, tokens + 1, WIDTH) * 0.02)
        self.blocks = nn.Sequential(*(Block() for _ in range(DEPTH)))
        self.norm, self.head = nn.LayerNorm(WIDTH), nn.Linear(WIDTH, 10)

    def forward(self, x):
        x = self.patches(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1) + self.position
        return self.head(self.norm(self.blocks(x))[:, 0])


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    train_x, train_y = idx("train10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1), idx("train10k-labels-idx1-ubyte.gz").long()
    test_x, test_y = idx("t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1), idx("t10k-labels-idx1-ubyte.gz").long()
    model = VisionTransformer()
    epochs, batch = 30, 64
    steps = epochs * math.ceil(len(train_x) / batch)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=2e-3, total_steps=steps)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_x))
        total = 0.0
        for start in range(0, len(train_x), batch):
            pick = order[start:start + batch]
            # Shifts of up to 2 pixels: 10 000 digits are few for a transformer.
            shift = torch.randint(-2, 3, (2,))
            x = torch.roll(train_x[pick], shifts=(int(shift[0]), int(shift[1])), dims=(2, 3))
            loss = nn.functional.cross_entropy(model(x), train_y[pick], label_smoothing=0.1)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(pick)
        print(f"epoch {epoch + 1}: loss {total / len(train_x):.4f}", flush=True)
    model.eval()
    with torch.no_grad():
        correct = sum((model(test_x[i:i + 500]).argmax(1) == test_y[i:i + 500]).sum().item() for i in range(0, len(test_x), 500))
    accuracy = correct / len(test_x)
    print(f"test accuracy {accuracy:.4f}", flush=True)
    os.makedirs(OUT, exist_ok=True)
    torch.onnx.export(model, test_x[:1], os.path.join(OUT, "vit.onnx"), opset_version=13, input_names=["digit"], output_names=["logits"])
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(f"""# mnist_vit — a small vision transformer trained on MNIST by this project

`vit.onnx`: 28 × 28 digits (pixels in [0, 1]) in 4 × 4 patches, {DEPTH} pre-norm encoder layers of width {WIDTH} with {HEADS}
heads, MLP {MLP} with GELU, a class token and a linear head; exported by PyTorch at opset 13. Trained by
`scripts/train-mnist-vit.py` ({epochs} epochs on the 10 000 training digits of `data/mnist`, shifts of up to 2 pixels,
AdamW, one-cycle schedule, seed 0). Accuracy on the 10 000 test digits: {accuracy:.2%}.

Licence: MIT, as the code; trained on MNIST (Yann LeCun, Corinna Cortes, Christopher J. C. Burges; CC BY-SA 3.0).
""")


if __name__ == "__main__":
    main()
