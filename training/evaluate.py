"""Held-out perplexity and bits per byte of a causal LM on a set of texts.

Each text is scored after a document separator, so every one of its tokens is predicted;
long texts are cut into windows of `max_length` predicted tokens (no overlap, no token scored
twice). Bits per byte divides the summed log-loss by the UTF-8 bytes scored, so models with
different tokenizers compare on the same scale.
"""

from __future__ import annotations

import math


def windows(ids: list[int], max_length: int) -> list[list[int]]:
    """Slices of max_length + 1 tokens overlapping by one: each token after the first is predicted once."""
    return [ids[i:i + max_length + 1] for i in range(0, max(len(ids) - 1, 0), max_length)]


def score_texts(model, tokenizer, texts: list[str], max_length: int = 256, batch_size: int = 8,
                separator: str | None = None) -> dict:
    import torch

    sep_id = tokenizer.convert_tokens_to_ids(separator) if separator else tokenizer.eos_token_id
    chunks, n_bytes = [], 0
    for text in texts:
        ids = [sep_id] + tokenizer(text, add_special_tokens=False)["input_ids"]
        chunks += windows(ids, max_length)
        n_bytes += len(text.encode("utf-8"))
    model.eval()
    device = next(model.parameters()).device
    nll, n_tokens = 0.0, 0
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    with torch.no_grad():
        for i in range(0, len(chunks), batch_size):
            batch = chunks[i:i + batch_size]
            width = max(len(c) for c in batch)
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for j, c in enumerate(batch):
                input_ids[j, :len(c)] = torch.tensor(c)
                mask[j, :len(c)] = 1
            input_ids, mask = input_ids.to(device), mask.to(device)
            logits = model(input_ids=input_ids, attention_mask=mask, use_cache=False).logits.float()
            targets = input_ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
            loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)),
                                                     targets.reshape(-1), ignore_index=-100, reduction="sum")
            nll += float(loss)
            n_tokens += int((targets != -100).sum())
    return {
        "perplexity": round(math.exp(nll / n_tokens), 4) if n_tokens else None,
        "bits_per_byte": round(nll / math.log(2) / n_bytes, 5) if n_bytes else None,
        "loss": round(nll / n_tokens, 5) if n_tokens else None,
        "tokens": n_tokens, "bytes": n_bytes, "docs": len(texts),
    }
