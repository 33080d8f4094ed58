"""AttnLRP and CP-LRP per-token relevance of scripts/export-bert.py's Bert, computed as LXT (the AttnLRP authors' library,
lxt/efficient) computes it: gradient × input through a forward pass whose gradients are modified — the uniform rule as
half the gradient through Q·Kᵀ and A·V (LXT's divide_gradient), the identity rule through GELU and tanh
(identity_rule_implicit: the gradient out/in), LayerNorm's standard deviation held constant (layer_norm_forward), and for
CP-LRP the attention weights held constant (stop_gradient). An implementation by autograd, independent of this project's
rules, that the integration tests compare with (Fixtures/lxt, written by scripts/train-review-bert.py)."""
import math
import torch
from torch import nn

def divide_gradient(x, factor):
    """The value x, its gradient divided by factor."""
    return x / factor + (x - x / factor).detach()

def identity_rule(fn, x, epsilon=1e-10):
    """The value fn(x), its gradient out / in: the relevance passes unchanged."""
    y = fn(x)
    ratio = (y / (x + epsilon)).detach()
    return x * ratio + (y - x * ratio).detach()

def layer_norm(norm, x):
    mean = x.mean(dim=-1, keepdim=True)
    std = (((x - mean) ** 2).mean(dim=-1, keepdim=True) + norm.eps).sqrt()
    return (x - mean) / std.detach() * norm.weight + norm.bias

def relevance(model, ids, mask, types, target=None, cp=False):
    """Per-token relevance of logit `target` (default: the arg-max) and the logits, for one sequence ([1, T] tensors)."""
    e = model.embeddings
    words = e.word_embeddings(ids).detach().requires_grad_(True)
    h = layer_norm(e.LayerNorm, words + e.token_type_embeddings(types) + e.position_embeddings(e.position_ids[:, : ids.size(1)]))
    extended = (1.0 - mask[:, None, None, :].to(torch.float32)) * -10000.0
    for layer in model.layers:
        q, k, v = layer.split(layer.query(h)), layer.split(layer.key(h)), layer.split(layer.value(h))
        scores = divide_gradient(torch.matmul(q, k.transpose(-1, -2)), 2) / math.sqrt(layer.head) + extended
        weights = nn.functional.softmax(scores, dim=-1)
        context = torch.matmul(weights.detach(), v) if cp else divide_gradient(torch.matmul(weights, v), 2)
        context = context.permute(0, 2, 1, 3).contiguous()
        context = context.view(context.size()[:-2] + (layer.heads * layer.head,))
        x = layer_norm(layer.attention_norm, layer.attention_output(context) + h)
        h = layer_norm(layer.output_norm, layer.output(identity_rule(nn.functional.gelu, layer.intermediate(x))) + x)
    logits = model.classifier(identity_rule(torch.tanh, model.pooler(h[:, 0])))
    target = int(logits[0].argmax()) if target is None else target
    logits[0, target].backward()
    return (words * words.grad).sum(-1)[0].detach(), logits[0].detach(), target
