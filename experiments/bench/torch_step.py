#!/usr/bin/env python3
"""The PyTorch peer of `tt bench step`: the same Transformer training step in PyTorch, for side-by-side timing.

The model is torch.nn.Transformer (post-LN, batch_first) with the shapes of a tornado-transformer preset,
one embedding shared by source, target and the output projection (scaled by sqrt(d_model), plus sinusoidal
positions), dropout 0.1, label-smoothed cross-entropy (epsilon 0.1, pad ignored) and Adam (0.9, 0.98, 1e-9)
with the noam schedule; every sentence has the full length, as in `tt bench step`. It is written the way a
PyTorch user writes it (F.cross_entropy with label_smoothing, the default foreach Adam), so it is PyTorch
at its ordinary best, not a straw man.

It runs as a server, so that `tt bench step --vs-torch` can alternate rounds with its own steps on the same
machine load: it builds the model and batch, takes two warm-up steps, prints "ready PARAMS", then for each
line "run N" on stdin takes N steps and prints "ms MILLISECONDS_PER_STEP", until "quit" or end of input.
Also runnable alone: python3 torch_step.py --preset small --steps 5
"""
import argparse
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {  # layers, d_model, heads, d_ff: as tt.model.TransformerConfig.preset
    "tiny": (2, 128, 4, 512),
    "small": (3, 256, 4, 1024),
    "base": (6, 512, 8, 2048),
    "big": (6, 1024, 16, 4096),
}
PAD = 0


class Model(nn.Module):
    def __init__(self, vocab, layers, d, heads, d_ff, dropout, max_len):
        super().__init__()
        self.d = d
        self.embed = nn.Embedding(vocab, d, padding_idx=PAD)
        self.transformer = nn.Transformer(d, heads, layers, layers, d_ff, dropout, batch_first=True)
        self.drop = nn.Dropout(dropout)
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe = torch.zeros(max_len, d)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def embed_positions(self, ids):
        return self.drop(self.embed(ids) * math.sqrt(self.d) + self.pe[: ids.size(1)])

    def forward(self, src, tgt_in):
        mask = self.transformer.generate_square_subsequent_mask(tgt_in.size(1), device=src.device)
        out = self.transformer(self.embed_positions(src), self.embed_positions(tgt_in), tgt_mask=mask, tgt_is_causal=True)
        return out @ self.embed.weight.t()


def build(args):
    layers, d, heads, d_ff = PRESETS[args.preset]
    torch.manual_seed(1)
    model = Model(args.vocab, layers, d, heads, d_ff, 0.1, max(256, args.len)).to(args.device)
    sentences = max(1, args.tokens // args.len)
    g = torch.Generator().manual_seed(1)
    src = torch.randint(4, args.vocab, (sentences, args.len), generator=g).to(args.device)
    tgt = torch.randint(4, args.vocab, (sentences, args.len + 1), generator=g).to(args.device)
    opt = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    noam = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: d ** -0.5 * min(max(s, 1) ** -0.5, max(s, 1) * 4000 ** -1.5))

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(src, tgt[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, args.vocab), tgt[:, 1:].reshape(-1), ignore_index=PAD, label_smoothing=0.1)
        loss.backward()
        opt.step()
        noam.step()
        return loss

    return model, step


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(step, n, device):
    sync(device)
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    sync(device)
    return (time.perf_counter() - t0) * 1e3 / n


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", default="small", choices=sorted(PRESETS))
    p.add_argument("--tokens", type=int, default=4096, help="padded tokens per side per batch")
    p.add_argument("--len", type=int, default=32, help="sentence length, source and target")
    p.add_argument("--vocab", type=int, default=8000)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--steps", type=int, default=0, help="run alone: time this many steps and print the milliseconds per step")
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    model, step = build(args)
    for _ in range(2):
        step()
    params = sum(t.numel() for t in model.parameters())
    if args.steps > 0:
        print(f"{args.preset}: {timed(step, args.steps, args.device):.1f} ms/step, {params} parameters, "
              f"torch {torch.__version__}, {torch.get_num_threads()} threads")
        return
    print(f"ready {params}", flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "run":
            print(f"ms {timed(step, int(cmd[1]), args.device):.3f}", flush=True)


if __name__ == "__main__":
    main()
