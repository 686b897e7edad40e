#!/usr/bin/env python3
"""Cross-check of a decoder-only checkpoint in PyTorch: it loads into torch.nn.TransformerEncoder, run with a causal mask.

A decoder-only tornado-transformer model (tt train --arch decoder-only) names its layers as torch's
TransformerEncoderLayer does, under decoder.layers.N (decoder.norm under pre-LN), so stripping "decoder." loads them
with strict=True. The embedding (tgt_embed.weight, times sqrt(d_model), plus the sinusoidal encoding) and the output
projection (tied to it, or generator.weight) are applied here by hand. Prints the greedy continuation of a prompt,
as token ids and text, to compare with `./tt sample -c RUN --top-k 1 PROMPT` (the same text when both agree).

  python3 experiments/bench/torch_lm_greedy.py --checkpoint RUN/checkpoints/step-000300 "0 0 1"
"""
import argparse
import json
import math

import torch
from safetensors import safe_open
from safetensors.torch import load_file


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True, help="a step-NNNNNN directory of a decoder-only run")
    ap.add_argument("--max-len", type=int, default=50, help="longest continuation, in tokens")
    ap.add_argument("prompt", nargs="?", default="", help="text to continue (a word tokenizer's words, as the synthetic tasks have)")
    a = ap.parse_args()
    weights = load_file(a.checkpoint + "/model.safetensors")
    with safe_open(a.checkpoint + "/model.safetensors", "pt") as f:
        cfg = json.loads(f.metadata()["config"])
    if cfg.get("arch") != "DECODER_ONLY":
        raise SystemExit(f"{a.checkpoint}: a {cfg.get('arch', 'ENCODER_DECODER')} model; this script loads decoder-only ones")
    d, pre = cfg["dModel"], cfg["norm"] == "PRE"
    layer = torch.nn.TransformerEncoderLayer(d, cfg["heads"], cfg["dFF"], dropout=0.0, batch_first=True, norm_first=pre,
                                             layer_norm_eps=cfg["layerNormEps"])
    stack = torch.nn.TransformerEncoder(layer, cfg["layers"], norm=torch.nn.LayerNorm(d, eps=cfg["layerNormEps"]) if pre else None,
                                        enable_nested_tensor=False)
    stack.load_state_dict({k[len("decoder."):]: v for k, v in weights.items() if k.startswith("decoder.")}, strict=True)
    stack.eval()
    table = weights["tgt_embed.weight"]
    out = weights.get("generator.weight", table)
    words = json.load(open(a.checkpoint + "/tokenizer.json")).get("tokens")  # a word tokenizer's list; BPE: prompt ids only
    if a.prompt and words is None:
        raise SystemExit("the prompt is encoded with a word tokenizer's tokens; this checkpoint's tokenizer is BPE")
    prompt = [words.index(w) for w in a.prompt.split()]
    seq = [1] + prompt  # <s> then the prompt
    with torch.no_grad():
        for _ in range(a.max_len):
            n = len(seq)
            pos = torch.arange(n, dtype=torch.float64).unsqueeze(1)
            angle = pos / torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float64) / d)
            pe = torch.zeros(n, d, dtype=torch.float64)
            pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
            x = table[torch.tensor(seq)] * math.sqrt(d) + pe.float()
            y = stack(x.unsqueeze(0), mask=torch.nn.Transformer.generate_square_subsequent_mask(n), is_causal=True)[0]
            logits = y[-1] @ out.T
            logits[0] = logits[1] = float("-inf")  # never <pad> or <s>, as tt's search
            token = int(logits.argmax())
            if token == 2:  # </s>
                break
            seq.append(token)
    print("ids:", seq[1:])
    if words is not None:
        print("text:", " ".join(words[i] for i in seq[1:]))


if __name__ == "__main__":
    main()
