"""Writes a BERT-shaped text classifier to ONNX, built as Hugging Face's BertForSequenceClassification computes (word,
position and token-type embeddings summed and layer-normalised; self-attention with the additive mask (1 − mask)·−10000;
GELU feed-forward; post-norm residuals; a tanh pooler on the first token; a linear classifier), with seeded random weights.
Inputs input_ids, attention_mask and token_type_ids (int64, [batch, sequence], both axes dynamic); output logits.

  python3 scripts/export-bert.py              writes data/onnx/tiny_bert/bert.onnx and its vocab.txt (toy size: width 16,
                                              2 layers of 2 heads, 64 tokens, 3 classes; opset 14, LayerNorm decomposed)
  python3 scripts/export-bert.py --base DIR   writes DIR/bert_base.onnx: BERT-base's shape (width 768, 12 layers of 12
                                              heads, feed-forward 3072, 30 522 tokens, 512 positions; opset 17)

Debian: python3-torch. The import tests hold the toy model to ONNX Runtime."""
import math
import os
import sys
import torch
from torch import nn

class Embeddings(nn.Module):
    def __init__(self, vocab, width, positions, types):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, width)
        self.position_embeddings = nn.Embedding(positions, width)
        self.token_type_embeddings = nn.Embedding(types, width)
        self.LayerNorm = nn.LayerNorm(width, eps=1e-12)
        self.register_buffer("position_ids", torch.arange(positions).expand((1, -1)))

    def forward(self, ids, types):
        positions = self.position_ids[:, : ids.size(1)]
        return self.LayerNorm(self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(positions))

class Layer(nn.Module):
    def __init__(self, width, heads, inner):
        super().__init__()
        self.heads, self.head = heads, width // heads
        self.query, self.key, self.value = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width)
        self.attention_output, self.attention_norm = nn.Linear(width, width), nn.LayerNorm(width, eps=1e-12)
        self.intermediate, self.output, self.output_norm = nn.Linear(width, inner), nn.Linear(inner, width), nn.LayerNorm(width, eps=1e-12)

    def split(self, x):
        return x.view(x.size()[:-1] + (self.heads, self.head)).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head) + mask
        context = torch.matmul(nn.functional.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous()
        context = context.view(context.size()[:-2] + (self.heads * self.head,))
        x = self.attention_norm(self.attention_output(context) + x)
        return self.output_norm(self.output(nn.functional.gelu(self.intermediate(x))) + x)

class Bert(nn.Module):
    def __init__(self, vocab, width, layers, heads, inner, positions, types, classes):
        super().__init__()
        self.embeddings = Embeddings(vocab, width, positions, types)
        self.layers = nn.ModuleList(Layer(width, heads, inner) for _ in range(layers))
        self.pooler = nn.Linear(width, width)
        self.classifier = nn.Linear(width, classes)

    def forward(self, input_ids, attention_mask, token_type_ids):
        mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.layers:
            x = layer(x, mask)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))

def export(model, path, opset, vocab):
    ids = torch.randint(5, vocab, (1, 7))
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    torch.onnx.export(model, args, path, opset_version=opset, input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["logits"], dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "token_type_ids"]})
    print(os.path.normpath(path))

TINY_WORDS = ("the a and of to in is it that was for on with as at by this not but good bad great awful movie film plot acting "
              "story love hate boring fun best worst very really too so dull brilliant terrible fine ok music scenes end . , !").split()

def main():
    torch.manual_seed(0)
    if len(sys.argv) == 3 and sys.argv[1] == "--base":
        model = Bert(30522, 768, 12, 12, 3072, 512, 2, 2).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.02)
        export(model, os.path.join(sys.argv[2], "bert_base.onnx"), 17, 30522)
        return
    folder = os.path.join(os.path.dirname(__file__), "..", "data", "onnx", "tiny_bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + TINY_WORDS
    vocab += [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"][: 64 - len(vocab)]
    assert len(vocab) == 64
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    model = Bert(64, 16, 2, 2, 32, 32, 2, 3).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    export(model, os.path.join(folder, "bert.onnx"), 14, 64)

if __name__ == "__main__":
    main()
