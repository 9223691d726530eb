"""The training commands of `corpus`: tokenizer train, train KIND, eval, runs.

They need the training extra (torch, transformers, TRL); without it each says how to install it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from corpus.errors import UserError


def _need_training_extra():
    try:
        import torch  # noqa: F401
        import trl  # noqa: F401
    except ImportError:
        raise UserError('training needs the train extra: pip install "torch==2.13.0" && pip install -e ".[train]" '
                        "(torch first; see the README)") from None


def cmd_tokenizer_train(args, store, out, err) -> int:
    _need_training_extra()
    from corpus.text_sources import iter_texts
    from training.tokenizer import build_tokenizer

    texts = list(iter_texts(args.data, "text", store))
    if not texts:
        raise UserError(f"{args.data} has no text to train a tokenizer on")
    err.log(f"training a byte-level BPE ({args.vocab_size:,} tokens) on {len(texts):,} documents")
    ref = args.data
    if "@" in ref and store is not None:
        version = store.resolve(ref)
        ref = f"{version} (content {store.manifest(version)['content_hash'][:12]})"
    tok, cpt = build_tokenizer(texts, args.vocab_size, args.out, ref)
    out.print(f"tokenizer: {args.out}  vocab {len(tok):,}  {cpt:.2f} characters per token")
    return 0


def train_config(args):
    import yaml

    from corpus.config import build_dataclass
    from training.trainers import TrainConfig

    values = {}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise UserError(f"training config not found: {path}")
        values = yaml.safe_load(path.read_text()) or {}
        if not isinstance(values, dict):
            raise UserError(f"{path}: expected a YAML mapping of training settings")
    for name in ("data", "model", "tokenizer", "max_length", "steps", "batch_size", "learning_rate", "eval_share",
                 "seed", "packing_strategy", "beta", "num_generations", "max_completion_length"):
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    if args.reward:
        values["rewards"] = args.reward
    if args.trust_remote_code:
        values["trust_remote_code"] = True
    values["kind"] = args.kind
    if "data" not in values:
        raise UserError("give the training data: --data DATASET@vN (or a .parquet/.jsonl file), or data: in --config")
    return build_dataclass(TrainConfig, values, "train")


def cmd_train(args, store, out, err) -> int:
    _need_training_extra()
    from training.trainers import train

    cfg = train_config(args)
    run_dir = train(cfg, store, log=err.log)
    if (run_dir / "run.json").is_file():
        run = json.loads((run_dir / "run.json").read_text())
        out.print(f"run: {run_dir}")
        out.print(run["run_id"])
    return 0


def cmd_eval(args, store, out, err) -> int:
    _need_training_extra()
    from training import runs
    from training.data import load, split
    from training.evaluate import score_texts
    from training.tokenizer import doc_separator
    from training.trainers import load_tokenizer

    run_dir = None
    if Path(args.target).is_dir() and not (Path(args.target) / "run.json").is_file():
        model_path = Path(args.target)
    else:
        run_dir = runs.resolve(store.root, args.target)
        model_path = run_dir / "model"
    run = runs.read_run(run_dir) if run_dir else None
    if args.lm_eval:
        return _lm_eval(args, model_path, run_dir, out, err)
    data_ref = args.data or (run["data"]["ref"] if run else None)
    if not data_ref:
        raise UserError("give --data DATASET@vN for a model that is not a run")
    data = load(data_ref, store)
    share = args.eval_share if args.eval_share is not None else (run["data"]["eval_share"] if run else 0.05)
    rows = split(data.rows, share)[1] if args.split == "eval" else data.rows
    if not rows:
        raise UserError(f"{data.ref} has no documents in the {args.split} split")
    from transformers import AutoModelForCausalLM

    tok = load_tokenizer(str(model_path))
    model = AutoModelForCausalLM.from_pretrained(str(model_path), trust_remote_code=args.trust_remote_code)
    max_length = args.max_length or (run["config"]["max_length"] if run else 256)
    err.log(f"scoring {len(rows):,} documents of {data.ref} ({args.split} split)")
    scores = score_texts(model, tok, [r["text"] for r in rows], max_length, separator=doc_separator(tok))
    if run_dir:
        runs.record_eval(run_dir, {"data": data.ref, "content_hash": data.content_hash, "split": args.split, **scores})
    out.print(f"{data.ref} ({args.split}): perplexity {scores['perplexity']:.3f}  "
              f"bits/byte {scores['bits_per_byte']:.4f}  tokens {scores['tokens']:,}")
    return 0


def _lm_eval(args, model_path: Path, run_dir, out, err) -> int:
    from training import runs
    from training.harness import run_tasks

    if not args.lm_eval_tasks:
        raise UserError("--lm-eval needs --lm-eval-tasks DIR (a folder of local lm-eval task YAML files)")
    tasks = [t for t in args.lm_eval.split(",") if t]
    err.log(f"lm-eval {', '.join(tasks)} on {model_path} (local tasks from {args.lm_eval_tasks})")
    for scores in run_tasks(model_path, tasks, Path(args.lm_eval_tasks), limit=args.limit):
        if run_dir:
            runs.record_eval(run_dir, scores)
        shown = ", ".join(f"{k} {v:.4f}" for k, v in scores["metrics"].items())
        out.print(f"{scores['data']}: {shown}")
    return 0


def cmd_runs(args, store, out, err) -> int:
    from training import runs

    rows = runs.list_runs(store.root)
    if not rows:
        out.print(f"no runs in {runs.runs_root(store.root)}")
        return 0
    from corpus.cli import _table

    out.print(_table(rows))
    return 0


def add_parsers(sub, store_opt) -> None:
    from training.data import KINDS

    p = sub.add_parser("tokenizer", help="train a byte-level BPE tokenizer on a version")
    tsub = p.add_subparsers(dest="tokenizer_command", required=True, metavar="ACTION")
    t = tsub.add_parser("train", parents=[store_opt], help="train and save a tokenizer with a chat template")
    t.add_argument("data", metavar="DATASET@vN", help="a version, or JSONL/Parquet/text files")
    t.add_argument("--vocab-size", type=int, default=8192)
    t.add_argument("--out", required=True, help="tokenizer folder to write")
    t.set_defaults(func=dispatch(cmd_tokenizer_train))

    p = sub.add_parser("train", parents=[store_opt], help="train on a version with TRL; records a run")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--config", help="YAML file of training settings (flags override it)")
    p.add_argument("--data", help="DATASET@vN or a .parquet/.jsonl file")
    p.add_argument("--model", help="preset (micro, tiny, small), model folder or Hub id (default tiny)")
    p.add_argument("--tokenizer", help="tokenizer folder (required with a preset)")
    p.add_argument("--max-length", dest="max_length", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--learning-rate", dest="learning_rate", type=float)
    p.add_argument("--eval-share", dest="eval_share", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--packing-strategy", dest="packing_strategy")
    p.add_argument("--beta", type=float)
    p.add_argument("--num-generations", dest="num_generations", type=int)
    p.add_argument("--max-completion-length", dest="max_completion_length", type=int)
    p.add_argument("--reward", action="append", help="grpo reward function module:function (repeatable)")
    p.add_argument("--trust-remote-code", action="store_true")
    p.set_defaults(func=dispatch(cmd_train))

    p = sub.add_parser("eval", parents=[store_opt], help="held-out perplexity and bits/byte; recorded on the run")
    p.add_argument("target", metavar="RUN_OR_MODEL", help="a run id (or prefix) or a model folder")
    p.add_argument("--data", help="DATASET@vN or file (default: the run's data)")
    p.add_argument("--split", choices=("eval", "all"), default="eval")
    p.add_argument("--eval-share", dest="eval_share", type=float)
    p.add_argument("--max-length", dest="max_length", type=int)
    p.add_argument("--trust-remote-code", action="store_true")
    p.add_argument("--lm-eval", metavar="TASKS", help="lm-evaluation-harness task names, comma-separated (extra)")
    p.add_argument("--lm-eval-tasks", metavar="DIR", help="folder of local lm-eval task YAML files")
    p.add_argument("--limit", type=int, help="lm-eval: at most this many examples per task")
    p.set_defaults(func=dispatch(cmd_eval))

    p = sub.add_parser("runs", parents=[store_opt], help="training runs and their latest eval scores")
    p.set_defaults(func=dispatch(cmd_runs))


def dispatch(handler):
    """Wrap a handler for argparse's `func`, giving it the store and the consoles."""

    def run(args: argparse.Namespace) -> int:
        from corpus.cli import _store, err, out

        return handler(args, _store(args), out, err)

    return run
