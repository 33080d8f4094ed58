"""Writes data/onnx/tiny_swin/swin.onnx: torchvision's SwinTransformer at toy size (28 × 28 RGB, 4 × 4 patches, width 16,
two stages of 2 blocks with 2 and 4 heads, 4 × 4 windows, 10 classes) with seeded random weights, exported by PyTorch at
opset 13 as torchvision's Swin-T is. 28 is chosen so that every path of Swin's graph is taken: the 7 × 7 patch grid is
padded to whole windows and to an even size before patch merging (channels-last Pad), the first stage's odd blocks shift
their windows (torch.roll as Slice and Concat, the shift mask built by ScatterND and folded), and patch merging takes
strided slices. The import tests hold it to ONNX Runtime. Run: python3 scripts/export-tiny-swin.py (Debian:
python3-torch python3-torchvision)."""
import importlib.util
import os
import torch
from torchvision.models.swin_transformer import SwinTransformer

spec = importlib.util.spec_from_file_location("export_tiny_vit", os.path.join(os.path.dirname(__file__), "export-tiny-vit.py"))
export_tiny_vit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_tiny_vit)

def main():
    torch.manual_seed(0)
    model = SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], num_classes=10).eval()
    export_tiny_vit.export_randomised(model, 28, "tiny_swin", "swin.onnx")

if __name__ == "__main__":
    main()
