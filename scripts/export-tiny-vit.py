"""Writes data/onnx/tiny_vit/vit.onnx: torchvision's VisionTransformer at toy size (24 × 24 RGB input, 8 × 8 patches,
2 encoder layers of 2 heads, width 16, MLP 32, 10 outputs) with seeded random weights, exported by PyTorch at opset 13
as torchvision's ViT-B/16 is: multi-head attention through Shape/Gather/Slice arithmetic, the class token through
ConstantOfShape/Where/Expand and Concat, the position embedding Add, LayerNorm and GELU in their decomposed forms. The
import tests hold it to ONNX Runtime. Run: python3 scripts/export-tiny-vit.py (Debian: python3-torch python3-torchvision)."""
import os
import torch
from torchvision.models.vision_transformer import VisionTransformer

def export_randomised(model, size, folder, file):
    """Gives every parameter seeded random values and exports the model for [1, 3, size, size] inputs at opset 13 into
    data/onnx/folder/file. torchvision starts class tokens, heads and biases at zero; random values make every path count."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    out = os.path.join(os.path.dirname(__file__), "..", "data", "onnx", folder, file)
    torch.onnx.export(model, torch.rand(1, 3, size, size), out, opset_version=13, input_names=["input"], output_names=["logits"])
    print(os.path.normpath(out))

def main():
    torch.manual_seed(0)
    model = VisionTransformer(image_size=24, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=10).eval()
    export_randomised(model, 24, "tiny_vit", "vit.onnx")

if __name__ == "__main__":
    main()
