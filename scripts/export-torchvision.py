"""Exports torchvision classification architectures to ONNX (random weights, eval mode) for `relevance bench` and
import checks: python3 scripts/export-torchvision.py OUT_DIR [NAME ...] [--opset N]. Needs PyTorch and torchvision
(Debian: python3-torch python3-torchvision); nothing in the test suite needs it."""
import sys
import torch
import torchvision.models as m

FAMILIES = {
    "alexnet": m.alexnet, "vgg16": m.vgg16, "vgg16_bn": m.vgg16_bn, "resnet18": m.resnet18, "resnet50": m.resnet50,
    "resnext50_32x4d": m.resnext50_32x4d, "wide_resnet50_2": m.wide_resnet50_2, "densenet121": m.densenet121,
    "googlenet": lambda: m.googlenet(aux_logits=False, init_weights=True), "inception_v3": lambda: m.inception_v3(aux_logits=False, init_weights=True),
    "squeezenet1_1": m.squeezenet1_1, "mobilenet_v2": m.mobilenet_v2, "mobilenet_v3_small": m.mobilenet_v3_small,
    "mnasnet1_0": m.mnasnet1_0, "shufflenet_v2_x1_0": m.shufflenet_v2_x1_0, "efficientnet_b0": m.efficientnet_b0,
    "regnet_y_400mf": m.regnet_y_400mf, "vit_b_16": m.vit_b_16, "swin_t": m.swin_t, "convnext_tiny": m.convnext_tiny,
}

def main():
    args = sys.argv[1:]
    opset = 13
    if "--opset" in args:
        i = args.index("--opset")
        opset = int(args[i + 1])
        del args[i:i + 2]
    out, names = args[0], args[1:] or list(FAMILIES)
    torch.manual_seed(0)
    for name in names:
        model = FAMILIES[name]().eval()
        if name.startswith("vit"):
            # torchvision starts ViT's head and class token at zero, which would make every output 0.
            with torch.no_grad():
                model.heads.head.weight.normal_(0, 0.02)
                model.class_token.normal_(0, 0.02)
        size = 299 if name == "inception_v3" else 224
        x = torch.rand(1, 3, size, size)
        path = f"{out}/{name}.onnx"
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["logits"])
        print(path, flush=True)

if __name__ == "__main__":
    main()
