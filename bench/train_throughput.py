"""`corpus train cpt` tokens/s against a plain PyTorch loop on the same packed batches.

Both train the same preset model (fresh, same seed) on the same batches: the plain loop takes
the batches from the trainer's own dataloader, then runs forward/backward/AdamW step with
nothing else. Runs alternate (noisy machine); medians and the ratio are printed. Also prints
the share of tokens each TRL packing strategy keeps (goal: 100% with ours, bfd_split).

    .venv/bin/python bench/train_throughput.py [--model tiny --steps 40 --repeats 3]
Reads ../shared/bench/bbc_news.jsonl.gz (or $CORPUS_BENCH_DATA); generated text without it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import source_paragraphs  # noqa: E402


def documents(n: int) -> list[dict]:
    paras, what = source_paragraphs()
    print(f"text: {what}")
    docs, i = [], 0
    while len(docs) < n:
        docs.append({"id": f"d{len(docs)}", "text": "\n".join(paras[(i + k) % len(paras)] for k in range(6)), "fields": {}})
        i += 6
    return docs


def trl_run(cfg, rows, out: Path):
    from training.trainers import BatchRecord, build_trainer

    trainer, _ = build_trainer(cfg, rows, [], out)
    record = trainer.data_collator = BatchRecord(trainer.data_collator)
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    return record.tokens * cfg.steps / max(record.batches, 1) / seconds, trainer


def plain_run(cfg, trainer, tok):
    import torch

    from training.model_presets import build_model

    model = build_model(cfg.model, tok, cfg.max_length, cfg.seed)
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate)
    batches = []
    for batch in trainer.get_train_dataloader():
        batches.append(batch)
        if len(batches) == cfg.steps:
            break
    tokens = 0
    started = time.perf_counter()
    for batch in batches:
        out = model(input_ids=batch["input_ids"], position_ids=batch.get("position_ids"), labels=batch["labels"],
                    use_cache=False)
        out.loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        tokens += int(batch["input_ids"].numel())
    return tokens / (time.perf_counter() - started)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import torch
    from transformers import AutoTokenizer, logging as hf_logging

    from training.tokenizer import train_tokenizer
    from training.trainers import TrainConfig, packing_stats

    hf_logging.set_verbosity_error()
    torch.set_num_threads(2)
    rows = documents(args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        train_tokenizer([r["text"] for r in rows], args.vocab, tmp / "tok")
        tok = AutoTokenizer.from_pretrained(str(tmp / "tok"))
        print(f"{len(rows)} documents, model {args.model}, batch {args.batch_size} x {args.max_length}, "
              f"{args.steps} steps, {args.repeats} alternating repeats\n")

        print("packing: tokens kept of the documents' tokens (+1 separator each)")
        for strategy in ("bfd_split", "wrapped", "bfd"):
            cfg = TrainConfig(kind="cpt", data="-", model=args.model, tokenizer=str(tmp / "tok"),
                              max_length=args.max_length, steps=1, batch_size=args.batch_size,
                              packing_strategy=strategy, logging_steps=1000)
            from training.trainers import build_trainer

            trainer, _ = build_trainer(cfg, rows, [], tmp / f"pack-{strategy}")
            st = packing_stats(trainer, [r["text"] for r in rows], tok, args.max_length, "<|endoftext|>")
            mark = "  (corpusmill default)" if strategy == "bfd_split" else ""
            print(f"  {strategy:<10} {st['tokens_kept_share']:>8.2%} kept, {st['sequences']:,} sequences, "
                  f"fill {st['fill_share']:.1%}{mark}")

        cfg = TrainConfig(kind="cpt", data="-", model=args.model, tokenizer=str(tmp / "tok"), max_length=args.max_length,
                          steps=args.steps, batch_size=args.batch_size, logging_steps=1000)
        ours, plain = [], []
        for r in range(args.repeats):
            tps, trainer = trl_run(cfg, rows, tmp / f"run-{r}")
            ours.append(tps)
            plain.append(plain_run(cfg, trainer, tok))
            print(f"  repeat {r + 1}: corpus train cpt {ours[-1]:,.0f} tok/s, plain loop {plain[-1]:,.0f} tok/s")
        a, b = statistics.median(ours), statistics.median(plain)
        print(f"\nmedian tokens/s: corpus train cpt {a:,.0f}, plain PyTorch loop {b:,.0f}; ratio {a / b:.2f} (goal >= 0.8)")


if __name__ == "__main__":
    main()
