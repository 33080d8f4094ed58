"""Trains data/onnx/review_bert: a small BERT (scripts/export-bert.py's graph: width 32, 2 layers of 2 heads, feed-forward 64)
on synthetic one-sentence reviews over the 64-token vocabulary of data/onnx/tiny_bert, and exports it at opset 14 with its
vocab.txt and labels.txt (negative, neutral, positive).

The reviews are templates filled with random words: a subject ("the plot", "the acting", …), "was" or "is", optionally
"not" or "really"/"very"/"so", and an adjective; some join two such clauses with "and" or "but". An adjective is positive
(good, great, brilliant, fun, best, fine), negative (bad, awful, boring, worst, dull, terrible) or neither (ok); "not"
flips it, and after "but" the second clause alone decides. The label is the sign of what decides: neutral when no
sentiment word decides. So the decision rests on known tokens (the deciding adjective, and "not" before it), which the
tests use to check that relevance finds them.

It also writes tests/Relevance.IntegrationTests/Fixtures/lxt/review_bert.json: for a few reviews, the logits and each
token's AttnLRP and CP-LRP relevance as LXT computes them (scripts/lxt_reference.py), which the tests compare with.

Run: python3 scripts/train-review-bert.py (Debian: python3-torch); about two minutes on 2 cores. Prints the test accuracy."""
import importlib.util
import json
import os
import sys
import random
import torch
from torch import nn

here = os.path.dirname(__file__)
spec = importlib.util.spec_from_file_location("export_bert", os.path.join(here, "export-bert.py"))
export_bert = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_bert)

VOCAB = open(os.path.join(here, "..", "data", "onnx", "tiny_bert", "vocab.txt")).read().split()
ID = {t: i for i, t in enumerate(VOCAB)}
POSITIVE = ["good", "great", "brilliant", "fun", "best", "fine"]
NEGATIVE = ["bad", "awful", "boring", "worst", "dull", "terrible"]
NEUTRAL = ["ok"]
SUBJECTS = [["the", "plot"], ["the", "acting"], ["the", "music"], ["the", "story"], ["the", "end"], ["the", "scenes"], ["this", "film"], ["this", "movie"], ["it"]]
LENGTH = 16

def clause(rng):
    words = list(rng.choice(SUBJECTS)) + [rng.choice(["was", "is"])]
    negated = rng.random() < 0.3
    if negated:
        words.append("not")
    elif rng.random() < 0.3:
        words.append(rng.choice(["really", "very", "so", "too"]))
    kind = rng.choice([1, 1, -1, -1, 0])
    words.append(rng.choice(POSITIVE if kind > 0 else NEGATIVE if kind < 0 else NEUTRAL))
    return words, -kind if negated else kind

def review(rng):
    first, score = clause(rng)
    words = first
    if rng.random() < 0.5:
        joiner = rng.choice(["and", "but"])
        second, other = clause(rng)
        words = first + [joiner] + second
        score = other if joiner == "but" else (score + other)
    if rng.random() < 0.5:
        words.append(rng.choice([".", "!"]))
    label = 0 if score < 0 else 2 if score > 0 else 1
    return words, label

def encode(words):
    ids = [ID["[CLS]"]] + [ID[w] for w in words] + [ID["[SEP]"]]
    mask = [1] * len(ids) + [0] * (LENGTH - len(ids))
    return ids + [ID["[PAD]"]] * (LENGTH - len(ids)), mask

def batch(rng, n):
    data = [review(rng) for _ in range(n)]
    encoded = [encode(w) for w, _ in data]
    ids = torch.tensor([e[0] for e in encoded])
    mask = torch.tensor([e[1] for e in encoded])
    return ids, mask, torch.tensor([label for _, label in data])

def main():
    torch.manual_seed(0)
    rng = random.Random(0)
    model = export_bert.Bert(len(VOCAB), 32, 2, 2, 64, LENGTH, 2, 3)
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    for step in range(3000):
        ids, mask, labels = batch(rng, 64)
        loss = nn.functional.cross_entropy(model(ids, mask, torch.zeros_like(ids)), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 500 == 0:
            print(f"step {step}: loss {loss.item():.4f}")
    model.eval()
    ids, mask, labels = batch(random.Random(1), 5000)
    with torch.no_grad():
        accuracy = (model(ids, mask, torch.zeros_like(ids)).argmax(1) == labels).float().mean().item()
    print(f"test accuracy on 5000 new reviews: {accuracy:.4f}")
    folder = os.path.join(here, "..", "data", "onnx", "review_bert")
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    with open(os.path.join(folder, "labels.txt"), "w") as f:
        f.write("negative\nneutral\npositive\n")
    export_bert.export(model, os.path.join(folder, "bert.onnx"), 14, len(VOCAB))
    sys.path.insert(0, here)
    import lxt_reference
    cases = []
    for text, padding in [("the plot was not good but the acting was brilliant !", 0), ("this movie is really boring .", 3),
                          ("the music was ok and the story is not bad", 0), ("it is fine", 2)]:
        words = text.split()
        ids = [ID["[CLS]"]] + [ID[w] for w in words] + [ID["[SEP]"]]
        mask = [1] * len(ids) + [0] * padding
        ids += [ID["[PAD]"]] * padding
        case = {"text": text, "ids": ids, "mask": mask}
        for name, cp in [("attnlrp", False), ("cp-lrp", True)]:
            r, logits, target = lxt_reference.relevance(model.double(), torch.tensor([ids]), torch.tensor([mask]), torch.zeros(1, len(ids), dtype=torch.long), cp=cp)
            case.update({"target": target, "logits": logits.tolist(), name: r.tolist()})
        cases.append(case)
    fixture = os.path.join(here, "..", "tests", "Relevance.IntegrationTests", "Fixtures", "lxt", "review_bert.json")
    os.makedirs(os.path.dirname(fixture), exist_ok=True)
    with open(fixture, "w") as f:
        json.dump({"model": "data/onnx/review_bert/bert.onnx", "made_by": "scripts/train-review-bert.py (scripts/lxt_reference.py, float64)", "cases": cases}, f, indent=1)
    print(os.path.normpath(fixture))

if __name__ == "__main__":
    main()
