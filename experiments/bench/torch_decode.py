#!/usr/bin/env python3
"""The PyTorch peer of `tt bench decode`: the same checkpoint decoded in PyTorch, batched, with a key/value cache.

It loads a tornado-transformer checkpoint (model.safetensors: torch.nn.Transformer's parameter names, the config in
the metadata) and translates token ids as `tt translate` does: sources sorted by length and cut into the same chunks
(at most --max-sentences rows, rows * positions within --max-tokens, each chunk searching at most
min(max_len + 1, model max_len, 2 * longest source + 10) positions), greedy or beam search with GNMT's length penalty
and fairseq's rules (2k candidates, an ending candidate counts only within the beam, stop when no live hypothesis can
beat the k-th finished one). The encoder is torch.nn.TransformerEncoder on the loaded weights; the decoder feeds one
token per hypothesis per step, keeps each layer's self-attention keys and values and the cross-attention's memory
projections, and reorders the caches with index_select when beams change, as fairseq's incremental decoding does.
Attention is F.scaled_dot_product_attention. Candidate selection runs in Python per sentence over torch.topk's
results, as ours runs on the host.

It runs as a server, so that `tt bench decode --vs-torch` can alternate rounds with its own: it loads the model and
sources, decodes once untimed, prints "ready", then for each line "run" on stdin decodes every source, writes the
outputs (token ids, one line each, in input order) to --hyps, and prints "ms MILLISECONDS", until "quit".
Also runnable alone: python3 torch_decode.py --checkpoint STEP_DIR --sources ids.txt --beam 4 --once
--device cuda runs the model on an NVIDIA GPU (the search's bookkeeping stays on the host, as ours does).
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file

PAD, BOS, EOS = 0, 1, 2


class Model:
    """The checkpoint's weights, an encoder module over them, and the decoder as functions with caches."""

    def __init__(self, step_dir, device):
        path = f"{step_dir}/model.safetensors"
        with safe_open(path, "pt") as f:
            self.cfg = cfg = json.loads(f.metadata()["config"])
        self.device = device
        sd = load_file(path, device=device)
        self.sd = sd
        self.d, self.h, self.layers = cfg["dModel"], cfg["heads"], cfg["layers"]
        self.pre = cfg["norm"] == "PRE"
        self.eps = cfg["layerNormEps"]
        self.src_embed = sd["src_embed.weight"]
        self.tgt_embed = self.src_embed if cfg["tieEmbeddings"] else sd["tgt_embed.weight"]
        self.generator = self.src_embed if cfg["tieEmbeddings"] else sd["generator.weight"]
        self.max_len = cfg["maxLen"]
        pos = torch.arange(self.max_len, dtype=torch.float64).unsqueeze(1)
        div = torch.pow(10000.0, torch.arange(0, self.d, 2, dtype=torch.float64) / self.d)
        pe = torch.zeros(self.max_len, self.d, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(pos / div)
        pe[:, 1::2] = torch.cos(pos / div)[:, : self.d // 2]
        self.pe = pe.float().to(device)
        layer = nn.TransformerEncoderLayer(self.d, self.h, cfg["dFF"], 0.0, batch_first=True, norm_first=self.pre,
                                           layer_norm_eps=self.eps)
        self.encoder = nn.TransformerEncoder(layer, self.layers, norm=nn.LayerNorm(self.d, eps=self.eps) if self.pre else None,
                                             enable_nested_tensor=False).to(device)
        self.encoder.load_state_dict({k[len("encoder."):]: v for k, v in sd.items() if k.startswith("encoder.")})
        self.encoder.eval()
        self.dec = [{name: sd[f"decoder.layers.{i}.{name}"] for name in (
            "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias", "multihead_attn.out_proj.weight",
            "multihead_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
            "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias")} for i in range(self.layers)]
        self.dec_norm = (sd["decoder.norm.weight"], sd["decoder.norm.bias"]) if self.pre else None

    def heads(self, x):  # [B, T, d] -> [B, h, T, d/h]
        return x.view(x.size(0), x.size(1), self.h, self.d // self.h).transpose(1, 2)

    def encode(self, src, src_pad):
        x = self.src_embed[src] * math.sqrt(self.d) + self.pe[: src.size(1)]
        memory = self.encoder(x, src_key_padding_mask=src_pad)
        # Each decoder layer's cross-attention keys and values of the memory, once per chunk.
        cross = []
        for w in self.dec:
            wk, wv = w["multihead_attn.in_proj_weight"][self.d:].chunk(2)
            bk, bv = w["multihead_attn.in_proj_bias"][self.d:].chunk(2)
            cross.append((self.heads(F.linear(memory, wk, bk)), self.heads(F.linear(memory, wv, bv))))
        return cross

    def step(self, tokens, position, self_cache, cross, cross_mask):
        """Log-probabilities of the next token for each row, given its newest token; appends to self_cache."""
        x = self.tgt_embed[tokens].unsqueeze(1) * math.sqrt(self.d) + self.pe[position]
        for w, cache, (mk, mv) in zip(self.dec, self_cache, cross):
            def self_attention(y):
                q, k, v = F.linear(y, w["self_attn.in_proj_weight"], w["self_attn.in_proj_bias"]).chunk(3, dim=-1)
                cache[0][:, :, position] = self.heads(k)[:, :, 0]
                cache[1][:, :, position] = self.heads(v)[:, :, 0]
                a = F.scaled_dot_product_attention(self.heads(q), cache[0][:, :, : position + 1], cache[1][:, :, : position + 1])
                return F.linear(a.transpose(1, 2).reshape(y.shape), w["self_attn.out_proj.weight"], w["self_attn.out_proj.bias"])

            def cross_attention(y):
                q = F.linear(y, w["multihead_attn.in_proj_weight"][: self.d], w["multihead_attn.in_proj_bias"][: self.d])
                a = F.scaled_dot_product_attention(self.heads(q), mk, mv, attn_mask=cross_mask)
                return F.linear(a.transpose(1, 2).reshape(y.shape), w["multihead_attn.out_proj.weight"], w["multihead_attn.out_proj.bias"])

            def feed_forward(y):
                return F.linear(F.relu(F.linear(y, w["linear1.weight"], w["linear1.bias"])), w["linear2.weight"], w["linear2.bias"])

            for i, sub in enumerate((self_attention, cross_attention, feed_forward), start=1):
                g, b = w[f"norm{i}.weight"], w[f"norm{i}.bias"]
                x = x + sub(F.layer_norm(x, (self.d,), g, b, self.eps)) if self.pre else F.layer_norm(x + sub(x), (self.d,), g, b, self.eps)
        if self.dec_norm is not None:
            x = F.layer_norm(x, (self.d,), *self.dec_norm, self.eps)
        return F.log_softmax(F.linear(x[:, 0], self.generator), dim=-1)


def length_penalty(length, alpha, norm):
    """LengthPenalty.of: GNMT's ((5 + length) / 6)^alpha, or fairseq's length^alpha."""
    return ((5.0 + length) / 6.0) ** alpha if norm == "gnmt" else float(length) ** alpha


def beam_chunk(model, sources, k, alpha, norm, steps):
    """Translator.beamChunk: row s*k + j holds hypothesis j of sentence s; returns the best output per sentence."""
    n, rows = len(sources), len(sources) * k
    src_len = max(len(s) for s in sources) + 1
    src = torch.full((rows, src_len), PAD, dtype=torch.long)
    for i in range(rows):
        s = sources[i // k]
        src[i, : len(s)] = torch.tensor(s)
        src[i, len(s)] = EOS
    src = src.to(model.device)
    src_pad = src == PAD
    cross = model.encode(src, src_pad)
    cross_mask = (~src_pad)[:, None, None, :]
    hd = model.d // model.h
    self_cache = [(torch.empty(rows, model.h, steps, hd, device=model.device), torch.empty(rows, model.h, steps, hd, device=model.device))
                  for _ in range(model.layers)]
    alive = [[((), 0.0, 0)] for _ in range(n)]  # (tokens, log-probability, parent row in the beam)
    finished = [[] for _ in range(n)]
    tokens = torch.full((rows,), BOS, dtype=torch.long)
    parents = torch.arange(rows)

    def score(h):
        return h[1] / length_penalty(len(h[0]), alpha, norm)

    def done(fin, live):
        if not live:
            return True
        if len(fin) < k:
            return False
        return live[0][1] / length_penalty(steps, alpha, norm) <= score(fin[-1])

    for t in range(1, steps + 1):
        logp = model.step(tokens.to(model.device), t - 1, self_cache, cross, cross_mask)
        logp[:, PAD] = -math.inf
        logp[:, BOS] = -math.inf
        top_lp, top_tok = logp.topk(min(2 * k, logp.size(1)), dim=1)
        top_lp, top_tok = top_lp.tolist(), top_tok.tolist()
        all_done, reordered = True, False
        parents = torch.arange(rows)
        for s in range(n):
            if done(finished[s], alive[s]):
                continue
            nxt = []
            for h, (toks, lp, _) in enumerate(alive[s]):
                row = s * k + h
                nxt.extend((toks + (tok,), lp + tlp, h) for tok, tlp in zip(top_tok[row], top_lp[row]))
            nxt.sort(key=lambda c: -c[1])
            kept = []
            for rank, hyp in enumerate(nxt):
                if len(kept) >= k:
                    break
                ends = hyp[0][-1] == EOS or t == steps
                if ends and rank < k:
                    finished[s].append(hyp)
                    finished[s].sort(key=lambda c: -score(c))
                    del finished[s][k:]
                elif not ends:
                    kept.append(hyp)
            alive[s] = kept
            for j in range(k if kept else 0):
                hyp = kept[min(j, len(kept) - 1)]
                parents[s * k + j] = s * k + hyp[2]
                tokens[s * k + j] = hyp[0][-1]
                reordered |= hyp[2] != j
            all_done &= done(finished[s], kept)
        if all_done:
            break
        if reordered:
            for cache in self_cache:
                for c in cache:
                    c.copy_(c.index_select(0, parents.to(model.device)))
    best = []
    for s in range(n):
        pool = finished[s] or alive[s]
        toks = list(max(pool, key=score)[0])
        best.append(toks[:-1] if toks and toks[-1] == EOS else toks)
    return best


def translate(model, sources, k, alpha, norm, max_len, max_tokens, max_sentences):
    """Translator.beam: sources sorted by length, cut into chunks as tt translate cuts them."""
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))

    def steps(longest):
        return min(min(max_len + 1, model.max_len), 2 * longest + 10)

    out = [None] * len(sources)
    start = 0
    while start < len(order):
        longest, count = len(sources[order[start]]), 0
        while start + count < len(order):
            longer = max(longest, len(sources[order[start + count]]))
            rows = (count + 1) * k
            if count > 0 and (rows > max_sentences or rows * max(steps(longer), longer + 1) > max_tokens):
                break
            longest = longer
            count += 1
        chunk = [sources[order[start + i]] for i in range(count)]
        for i, o in enumerate(beam_chunk(model, chunk, k, alpha, norm, steps(longest))):
            out[order[start + i]] = o
        start += count
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, help="a checkpoint step directory (with model.safetensors)")
    p.add_argument("--sources", required=True, help="source token ids, one sentence per line, without </s>")
    p.add_argument("--hyps", help="where each run writes its outputs (token ids, one line each)")
    p.add_argument("--beam", type=int, default=1)
    p.add_argument("--alpha", type=float, default=1.0, help="length penalty alpha (greedy uses 0)")
    p.add_argument("--length-norm", choices=("gnmt", "power"), default="power", help="GNMT's ((5 + len) / 6)^alpha or len^alpha")
    p.add_argument("--max-len", type=int, default=100)
    p.add_argument("--max-tokens", type=int, default=4096)
    p.add_argument("--max-sentences", type=int, default=4096)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    p.add_argument("--once", action="store_true", help="decode once, print the time and exit")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    alpha = args.alpha if args.beam > 1 else 0.0
    with open(args.sources) as f:
        sources = [[int(t) for t in line.split()] for line in f]
    model = Model(args.checkpoint, args.device)

    def run():
        with torch.inference_mode():
            t0 = time.perf_counter()
            out = translate(model, sources, args.beam, alpha, args.length_norm, args.max_len, args.max_tokens, args.max_sentences)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            ms = (time.perf_counter() - t0) * 1e3
        if args.hyps:
            with open(args.hyps, "w") as f:
                f.writelines(" ".join(map(str, o)) + "\n" for o in out)
        return ms

    if args.once:
        print(f"{len(sources)} sentences, beam {args.beam}: {run():.0f} ms, torch {torch.__version__}, {torch.get_num_threads()} threads")
        return
    run()
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "run":
            print(f"ms {run():.3f}", flush=True)


if __name__ == "__main__":
    main()
