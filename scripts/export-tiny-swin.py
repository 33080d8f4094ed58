"""Writes data/onnx/tiny_swin/swin.onnx: torchvision's SwinTransformer at toy size (28 × 28 RGB, 4 × 4 patches, width 16,
two stages of 2 blocks with 2 and 4 heads, 4 × 4 windows, 10 classes) with seeded random weights, exported by PyTorch at
opset 13 as torchvision's Swin-T is. 28 is chosen so that every path of Swin's graph is taken: the 7 × 7 patch grid is
padded to whole windows and to an even size before patch merging (channels-last Pad), the first stage's odd blocks shift
their windows (torch.roll as Slice and Concat, the shift mask built by ScatterND and folded), and patch merging takes
strided slices. The import tests hold it to ONNX Runtime. Run: python3 scripts/export-tiny-swin.py (Debian:
python3-torch python3-torchvision)."""
import os
import torch
from torchvision.models.swin_transformer import SwinTransformer

def main():
    torch.manual_seed(0)
    model = SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], num_classes=10).eval()
    with torch.no_grad():
        # torchvision starts biases at zero; random values make every path of the graph count.
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    out = os.path.join(os.path.dirname(__file__), "..", "data", "onnx", "tiny_swin", "swin.onnx")
    torch.onnx.export(model, torch.rand(1, 3, 28, 28), out, opset_version=13, input_names=["input"], output_names=["logits"])
    print(os.path.normpath(out))

if __name__ == "__main__":
    main()
