"""Writes a DeiT-style vision transformer to ONNX, built as timm's DeiT computes: a class and a distillation token beside
the patches, one fused qkv projection split by reshape, permute and unbind (timm's Attention), pre-norm blocks, and two
heads whose mean is the output (the distilled model at inference). Seeded random weights.

  python3 scripts/export-deit.py              writes data/onnx/tiny_deit/deit.onnx (24 × 24 RGB, 8 × 8 patches, width 16,
                                              2 blocks of 2 heads, 10 classes; opset 13)
  python3 scripts/export-deit.py --base DIR   writes DIR/deit_base.onnx: DeiT-B's shape (224 × 224, 16 × 16 patches, width
                                              768, 12 blocks of 12 heads, 1000 classes; opset 13)

Debian: python3-torch. The import tests hold the toy model to ONNX Runtime."""
import os
import sys
import torch
from torch import nn

class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads, self.scale = heads, (width // heads) ** -0.5
        self.qkv, self.proj = nn.Linear(width, width * 3), nn.Linear(width, width)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))

class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(width, eps=1e-6), Attention(width, heads)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))

class DistilledVit(nn.Module):
    def __init__(self, image, patch, width, depth, heads, classes):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, width, patch, patch)
        self.cls_token, self.dist_token = nn.Parameter(torch.zeros(1, 1, width)), nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 2, width))
        self.blocks = nn.Sequential(*[Block(width, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.head, self.head_dist = nn.Linear(width, classes), nn.Linear(width, classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), self.dist_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = self.norm(self.blocks(x + self.pos_embed))
        return (self.head(x[:, 0]) + self.head_dist(x[:, 1])) / 2

def main():
    torch.manual_seed(0)
    if len(sys.argv) == 3 and sys.argv[1] == "--base":
        model, size, path = DistilledVit(224, 16, 768, 12, 12, 1000).eval(), 224, os.path.join(sys.argv[2], "deit_base.onnx")
        scale = 0.02
    else:
        model, size = DistilledVit(24, 8, 16, 2, 2, 10).eval(), 24
        path = os.path.join(os.path.dirname(__file__), "..", "data", "onnx", "tiny_deit", "deit.onnx")
        scale = 0.3
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * scale)
    torch.onnx.export(model, torch.rand(1, 3, size, size), path, opset_version=13, input_names=["input"], output_names=["logits"])
    print(os.path.normpath(path))

if __name__ == "__main__":
    main()
