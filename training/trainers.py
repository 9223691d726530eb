"""`corpus train cpt|sft|dpo|grpo`: TRL's trainers on a dataset version, recorded as a run.

cpt  SFTTrainer on `text`, packed with `bfd_split` (TRL's default `bfd` truncates long
     documents: it dropped ~40% of tokens here), documents separated by `<|endoftext|>`.
sft  SFTTrainer on `messages` (+ `tools`), loss on assistant tokens only.
dpo  DPOTrainer on `prompt`/`chosen`/`rejected`.
grpo GRPOTrainer on `prompt` with reward functions named by import path.

CPU defaults that work: fp32 (bf16 on CPU is ~7x slower here), no pinned memory, no
gradient checkpointing. Under `torchrun` on CPU, `use_cpu=True` makes it real gloo DDP.
"""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import xxhash

from corpus.errors import UserError
from corpus.eval_split import RULE as EVAL_RULE
from training import runs
from training.data import KINDS, examples, load, split, to_dataset
from training.model_presets import build_model, is_preset, n_parameters
from training.tokenizer import doc_separator


@dataclass
class TrainConfig:
    kind: str
    data: str  # DATASET@vN or a .parquet/.jsonl file
    model: str = "tiny"  # a preset (micro, tiny, small), a local model directory or a Hub id
    tokenizer: str | None = None  # a tokenizer directory; required for presets
    max_length: int = 256
    steps: int = 100
    batch_size: int = 8
    learning_rate: float = 1e-3
    eval_share: float = 0.05  # documents held out by id hash, scored at the end
    logging_steps: int = 5
    seed: int = 0
    packing_strategy: str = "bfd_split"  # cpt only: bfd_split | wrapped | bfd (bfd truncates)
    beta: float = 0.1  # dpo and grpo KL weight
    rewards: list[str] = field(default_factory=lambda: ["training.rewards:format_reward",
                                                        "training.rewards:length_reward"])
    token_metrics: bool = False  # cpt/sft: TRL's fused LM head loss with entropy/accuracy metrics (half the speed)
    num_generations: int = 4  # grpo completions per prompt
    max_completion_length: int = 32  # grpo
    trust_remote_code: bool = False

    def validate(self, where: str = "train"):
        if self.kind not in KINDS:
            raise UserError(f"{where}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.packing_strategy not in ("bfd_split", "wrapped", "bfd"):
            raise UserError(f"{where}.packing_strategy: one of bfd_split, wrapped, bfd")
        for name in ("steps", "batch_size", "max_length"):
            if getattr(self, name) < 1:
                raise UserError(f"{where}.{name}: must be at least 1")
        if not 0.0 <= self.eval_share < 1.0:
            raise UserError(f"{where}.eval_share: must be in [0, 1)")
        if is_preset(self.model) and not self.tokenizer:
            raise UserError(f"{where}: model preset {self.model!r} needs --tokenizer DIR "
                            "(make one with `corpus tokenizer train DATASET@vN --out DIR`)")


def load_tokenizer(ref: str, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(ref, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as e:
        raise UserError(f"tokenizer {ref!r} could not be loaded: {str(e).splitlines()[0]}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def reward_functions(paths: list[str]):
    funcs = []
    for path in paths:
        module, _, name = path.partition(":")
        try:
            funcs.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError, ValueError):
            raise UserError(f"reward function {path!r} not found (write module:function)") from None
    return funcs


def _common_args(cfg: TrainConfig, output_dir: Path) -> dict:
    import torch

    cuda = torch.cuda.is_available()
    return dict(
        output_dir=str(output_dir), max_steps=cfg.steps, per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate, lr_scheduler_type="cosine", warmup_steps=max(1, cfg.steps // 20),
        logging_steps=cfg.logging_steps, save_strategy="no", report_to=[], seed=cfg.seed, data_seed=cfg.seed,
        bf16=cuda and torch.cuda.is_bf16_supported(), use_cpu=not cuda, dataloader_pin_memory=cuda,
        ddp_find_unused_parameters=False, disable_tqdm=False,
    )


def model_loss_trainer(base):
    """`base` with the model's own loss (labels → cross-entropy), as transformers' Trainer computes it.

    TRL 1.16's SFTTrainer computes the loss through a fused LM head that also yields per-token
    entropy and top-1 accuracy for its logs; on CPU that halved tokens/s of a 0.65 M-parameter
    model (bench/train_throughput.py). The labels, and so the loss, are the same.
    """
    from transformers import Trainer

    class ModelLoss(base):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            return Trainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)

    ModelLoss.__name__ = f"ModelLoss{base.__name__}"
    return ModelLoss


def quiet_progress(trainer) -> None:
    """Keep transformers' progress bar (stderr) but not its dict per log step on stdout:
    metrics.jsonl has them, and stdout ends with the run id."""
    from transformers.trainer_callback import ProgressCallback

    class BarOnly(ProgressCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and self.training_bar is not None and logs and "loss" in logs:
                self.training_bar.set_postfix(loss=f"{logs['loss']:.4g}", refresh=False)

    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(BarOnly())


class MetricsLog:
    """A TrainerCallback that appends every log line to metrics.jsonl (rank 0 only)."""

    def __new__(cls, path: Path):
        from transformers import TrainerCallback

        class _Log(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kwargs):
                if state.is_world_process_zero and logs:
                    import json

                    with open(path, "a") as f:
                        f.write(json.dumps({"step": state.global_step, **logs}) + "\n")

        return _Log()


def build_trainer(cfg: TrainConfig, train_rows: list[dict], eval_rows: list[dict], output_dir: Path):
    """The TRL trainer for cfg.kind, with model and tokenizer loaded; returns (trainer, tokenizer)."""
    tok = load_tokenizer(cfg.tokenizer or cfg.model, cfg.trust_remote_code)
    model = build_model(cfg.model, tok, cfg.max_length, cfg.seed, cfg.trust_remote_code)
    train_ds = to_dataset(examples(cfg.kind, train_rows))
    common = _common_args(cfg, output_dir)
    callbacks = [MetricsLog(output_dir.parent / "metrics.jsonl")]
    if cfg.kind in ("dpo", "grpo") and is_preset(cfg.model):
        # TRL builds the reference model from the policy's path: give the fresh preset one
        init_dir = output_dir / "initial-model"
        model.save_pretrained(str(init_dir))
        model = str(init_dir)
    if cfg.kind in ("cpt", "sft"):
        from trl import SFTConfig, SFTTrainer

        extra = dict(packing=True, packing_strategy=cfg.packing_strategy, dataset_text_field="text")
        if cfg.kind == "cpt" and doc_separator(tok):
            extra["eos_token"] = doc_separator(tok)
        if cfg.kind == "sft":
            extra = dict(assistant_only_loss=True, packing=False)
        args = SFTConfig(max_length=cfg.max_length, dataset_num_proc=None, **extra, **common)
        cls = SFTTrainer if cfg.token_metrics else model_loss_trainer(SFTTrainer)
        trainer = cls(model=model, args=args, train_dataset=train_ds, processing_class=tok, callbacks=callbacks)
    elif cfg.kind == "dpo":
        from trl import DPOConfig, DPOTrainer

        args = DPOConfig(max_length=cfg.max_length, beta=cfg.beta, **common)
        trainer = DPOTrainer(model=model, args=args, train_dataset=train_ds, processing_class=tok, callbacks=callbacks)
    else:
        from trl import GRPOConfig, GRPOTrainer

        batch = max(cfg.batch_size - cfg.batch_size % cfg.num_generations, cfg.num_generations)
        common["per_device_train_batch_size"] = batch
        args = GRPOConfig(num_generations=cfg.num_generations, max_completion_length=cfg.max_completion_length,
                          beta=cfg.beta, temperature=1.0, **common)
        trainer = GRPOTrainer(model=model, reward_funcs=reward_functions(cfg.rewards), args=args,
                              train_dataset=train_ds, processing_class=tok, callbacks=callbacks)
    quiet_progress(trainer)
    return trainer, tok


def packing_stats(trainer, texts: list[str], tok, max_length: int, eos: str | None) -> dict:
    """Tokens the packed training set holds against the tokens of the documents (+ separators)."""
    expected = sum(len(tok(t, add_special_tokens=False)["input_ids"]) + (1 if eos else 0) for t in texts)
    lengths = [len(ids) for ids in trainer.train_dataset["input_ids"]]
    packed = sum(lengths)
    return {"document_tokens": expected, "packed_tokens": packed,
            "tokens_kept_share": round(packed / expected, 6) if expected else None,
            "sequences": len(lengths), "fill_share": round(packed / (len(lengths) * max_length), 4) if lengths else None,
            "padding_share": 0.0 if getattr(trainer, "padding_free", False)
            else round(1 - packed / (len(lengths) * max_length), 4) if lengths else None}


class BatchRecord:
    """Wraps the data collator to count what this rank trained on, and fingerprint its first batch.

    Under DDP each rank writes its record; run.json lists them, which shows that the ranks
    saw different data (not two copies of one run).
    """

    def __init__(self, collator):
        self.collator = collator
        self.batches = self.tokens = 0
        self.first = None

    def __call__(self, features):
        batch = self.collator(features)
        ids = batch.get("input_ids") if isinstance(batch, dict) else None
        if ids is not None:
            mask = batch.get("attention_mask")
            self.tokens += int(mask.sum()) if mask is not None else int(ids.numel())
            if self.first is None:
                self.first = xxhash.xxh3_64_hexdigest(ids.cpu().numpy().tobytes())
        self.batches += 1
        return batch

    def summary(self, rank: int, model) -> dict:
        h = xxhash.xxh3_64()
        for p in model.parameters():  # equal on every rank when gradients were synchronised
            h.update(p.detach().float().cpu().numpy().round(5).tobytes())
        return {"rank": rank, "batches": self.batches, "tokens": self.tokens, "first_batch_xxh3": self.first,
                "weights_xxh3": h.hexdigest()}


def _gather_ranks(record: BatchRecord, model, running: Path, rank: int, world: int) -> list[dict]:
    import json

    ranks_dir = running / "ranks"
    ranks_dir.mkdir(exist_ok=True)
    (ranks_dir / f"rank-{rank}.json").write_text(json.dumps(record.summary(rank, model)))
    if world > 1:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.barrier()
    return [json.loads(p.read_text()) for p in sorted(ranks_dir.glob("rank-*.json"))]


def _local_ref(ref: str) -> str:
    """A local folder as an absolute path (so the run says exactly which); presets and Hub ids as given."""
    return str(Path(ref).resolve()) if Path(ref).exists() else ref


def _tokenizer_card(ref: str) -> dict | None:
    import json

    card = Path(ref) / "corpusmill_tokenizer.json"
    return json.loads(card.read_text()) if card.is_file() else None


def _distributed_run_id(run_id: str) -> str:
    """Rank 0's run id on every rank (torchrun), so all ranks write one run."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return run_id
    import torch.distributed as dist

    if not dist.is_initialized():
        import torch

        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    box = [run_id]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def train(cfg: TrainConfig, store, log=print) -> Path:
    """Run one training job end to end; returns the finished run folder."""
    from corpus.manifest import code_version

    cfg.validate()
    data = load(cfg.data, store)
    train_rows, eval_rows = split(data.rows, cfg.eval_share)
    if not train_rows:
        raise UserError(f"{data.ref} has no documents to train on")
    run_id = _distributed_run_id(runs.new_run_id(cfg.kind, data.ref))
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    running = runs.runs_root(store.root) / f"{runs.RUNNING}{run_id}"
    running.mkdir(parents=True, exist_ok=True)
    try:
        trainer, tok = build_trainer(cfg, train_rows, eval_rows, running / "trainer")
        model = trainer.model
        log(f"run {run_id}: {cfg.kind} on {data.ref} ({len(train_rows):,} train / {len(eval_rows):,} eval "
            f"documents), model {cfg.model} ({n_parameters(model):,} parameters), {world} process(es)")
        stats = {}
        if cfg.kind == "cpt":
            stats = packing_stats(trainer, [r["text"] for r in train_rows], tok, cfg.max_length,
                                  doc_separator(tok) or tok.eos_token)
            log(f"packing {cfg.packing_strategy}: {stats['tokens_kept_share']:.2%} of tokens kept, "
                f"{stats['sequences']:,} sequences, padding {stats['padding_share']:.2%}")
        record = trainer.data_collator = BatchRecord(trainer.data_collator)
        started = time.perf_counter()
        result = trainer.train()
        seconds = time.perf_counter() - started
        per_rank = _gather_ranks(record, trainer.model, running, rank, world)
        if rank != 0:
            return running
        trainer.save_model(str(running / "model"))
        tok.save_pretrained(str(running / "model"))
        losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
        rewards = [h["reward"] for h in trainer.state.log_history if "reward" in h]
        trained_tokens = getattr(trainer.state, "num_input_tokens_seen", 0) or None
        run = {
            "run_id": run_id, "kind": cfg.kind,
            "data": {"ref": data.ref, "content_hash": data.content_hash, "train_docs": len(train_rows),
                     "eval_docs": len(eval_rows), "eval_share": cfg.eval_share, "eval_split": EVAL_RULE},
            "model": {"ref": _local_ref(cfg.model), "parameters": n_parameters(model)},
            "tokenizer": {"ref": _local_ref(cfg.tokenizer or cfg.model), "vocab_size": len(tok),
                          "card": _tokenizer_card(cfg.tokenizer or cfg.model)},
            "config": asdict(cfg), "code": code_version(), "world_size": world, "ranks": per_rank,
            "packing": stats,
            "result": {"steps": trainer.state.global_step, "train_seconds": round(seconds, 2),
                       "final_loss": losses[-1] if losses else None, "first_loss": losses[0] if losses else None,
                       "mean_reward_first": rewards[0] if rewards else None,
                       "mean_reward_last": rewards[-1] if rewards else None,
                       "train_loss": result.training_loss, "input_tokens_seen": trained_tokens},
        }
        runs.write_json(running / "run.json", run)
        if eval_rows and cfg.kind in ("cpt", "sft"):
            from training.evaluate import score_texts

            scores = score_texts(model, tok, [r["text"] for r in eval_rows], cfg.max_length,
                                 separator=doc_separator(tok))
            runs.record_eval(running, {"data": data.ref, "content_hash": data.content_hash, "split": "eval", **scores})
            log(f"held-out: perplexity {scores['perplexity']:.2f}, {scores['bits_per_byte']:.4f} bits/byte "
                f"over {scores['tokens']:,} tokens")
        import shutil

        shutil.rmtree(running / "trainer", ignore_errors=True)
        shutil.rmtree(running / "ranks", ignore_errors=True)
        return runs.finish(running)
    except BaseException:
        if rank == 0:
            runs.abandon(running)
        raise
