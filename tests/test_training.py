"""training/: tokenizer, cpt/sft/dpo/grpo from dataset versions, runs, eval, DDP (tiny models, seconds)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

pytest.importorskip("trl", reason="the training extra is not installed (scripts/setup.sh installs it)")

from conftest import CORPUS, run_cli, write_pipeline  # noqa: E402

WORDS = ("soil water crop farm field seed root rain harvest plant grow barley wheat maize sun tractor "
         "irrigation yield drought fertile organic compost pest disease season market price").split()


def prose(rng: random.Random, sentences: int = 12) -> str:
    """Text with structure a model can learn quickly: a fixed grammar over a small vocabulary."""
    out = []
    for _ in range(sentences):
        a, b, c = rng.sample(WORDS, 3)
        out.append(f"The {a} needs {b} and the {c} needs {a}.")
    return " ".join(out)


def chat_records(n: int) -> list[dict]:
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "weather",
                                               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    rows = []
    for i in range(n):
        city = ["Paris", "Oslo", "Lima"][i % 3]
        if i % 2:
            msgs = [{"role": "user", "content": f"Weather in {city}? Mail me at user{i}@example.com"},
                    {"role": "assistant", "content": None,
                     "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": city}}}]},
                    {"role": "tool", "content": "12C"},
                    {"role": "assistant", "content": f"It is 12C in {city}."}]
            rows.append({"id": f"c{i}", "messages": msgs, "tools": tools})
        else:
            rows.append({"id": f"c{i}", "messages": [{"role": "user", "content": f"Say the word number {i}."},
                                                     {"role": "assistant", "content": f"Word {i} is {WORDS[i % len(WORDS)]}."}]})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store with a text version, a chat version (scrubbed) and a preference version, and a tokenizer."""
    root = tmp_path_factory.mktemp("train")
    rng = random.Random(0)
    raw = root / "raw"
    raw.mkdir()
    write_jsonl(raw / "text.jsonl", [{"id": f"t{i}", "text": prose(rng)} for i in range(120)])
    write_jsonl(raw / "chat.jsonl", chat_records(40))
    write_jsonl(raw / "pref.jsonl", [{"id": f"p{i}", "prompt": f"Which crop grows in field {i}? ",
                                      "chosen": f"Barley grows in field {i}.", "rejected": "dunno"} for i in range(24)])
    s = root / "store"
    for name, steps in (("text", []), ("chat", [{"pii": {}}]), ("pref", [])):
        cfg = write_pipeline(root / f"{name}.yaml", [f"raw/{name}.jsonl"], id_field="id", steps=steps, dataset=name,
                             workers=1)
        run_cli("run", cfg, store=s, check=0)
    run_cli("tokenizer", "train", "text@v1", "--vocab-size", "400", "--out", root / "tok", store=s, check=0)
    return s, root / "tok"


def train(store_dir, tok, kind, data, *extra, steps=12):
    proc = run_cli("train", kind, "--data", data, "--model", "micro", "--tokenizer", tok, "--steps", steps,
                   "--batch-size", 4, "--max-length", 64, *extra, store=store_dir, check=0)
    run_id = proc.stdout.strip().splitlines()[-1]
    return store_dir / "runs" / run_id, proc


def test_tokenizer_card_and_chat_template(store):
    _, tok_dir = store
    card = json.loads((tok_dir / "corpusmill_tokenizer.json").read_text())
    assert 260 < card["vocab_size"] <= 400 and card["chars_per_token"] > 1.5 and card["data"].startswith("text@v1")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tok_dir))
    msgs = chat_records(2)[1]
    out = tok.apply_chat_template(msgs["messages"], tools=msgs["tools"], tokenize=True, return_dict=True,
                                  return_assistant_tokens_mask=True)
    assistant = tok.decode([t for t, m in zip(out["input_ids"], out["assistant_masks"]) if m])
    assert assistant == ('<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call><|im_end|>'
                         "It is 12C in Oslo.<|im_end|>")
    text = tok.apply_chat_template(msgs["messages"], tools=msgs["tools"], tokenize=False)
    assert '"name": "get_weather"' in text.split("<|im_end|>")[0]  # the tools schema is in the system turn


def test_cpt_run_records_everything_and_lowers_perplexity(store):
    s, tok = store
    run_dir, proc = train(s, tok, "cpt", "text@v1", "--learning-rate", "0.005", steps=40)
    run = json.loads((run_dir / "run.json").read_text())
    manifest = json.loads((s / "text" / "v1" / "manifest.json").read_text())
    assert run["data"]["ref"] == "text@v1" and run["data"]["content_hash"] == manifest["content_hash"]
    assert run["tokenizer"]["ref"] == str(tok) and run["model"]["ref"] == "micro"
    assert run["code"]["git_commit"] and run["config"]["steps"] == 40 and run["world_size"] == 1
    assert run["packing"]["tokens_kept_share"] == 1.0 and run["packing"]["padding_share"] == 0.0
    assert run["result"]["steps"] == 40 and run["result"]["final_loss"] < run["result"]["first_loss"]
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if "loss" in m] == [5, 10, 15, 20, 25, 30, 35, 40]
    assert (run_dir / "model" / "config.json").is_file() and (run_dir / "model" / "tokenizer.json").is_file()
    trained = json.loads((run_dir / "eval.json").read_text())[0]
    assert trained["split"] == "eval" and trained["docs"] == run["data"]["eval_docs"] > 0

    # the same eval split scored by the untrained model: training must have lowered perplexity
    from transformers import AutoTokenizer

    from training.data import load, split
    from training.evaluate import score_texts
    from training.model_presets import build_model

    t = AutoTokenizer.from_pretrained(str(tok))
    untrained = build_model("micro", t, 64)
    from corpus.store import Store

    rows = split(load("text@v1", Store(s)).rows, 0.05)[1]
    before = score_texts(untrained, t, [r["text"] for r in rows], 64, separator="<|endoftext|>")
    assert before["tokens"] == trained["tokens"]
    assert trained["perplexity"] < 0.5 * before["perplexity"]

    # `corpus eval` on the run scores again and appends to the run's evals; `corpus runs` lists it
    out = run_cli("eval", run_dir.name, store=s, check=0).stdout
    assert f"perplexity {trained['perplexity']:.3f}" in out
    assert len(json.loads((run_dir / "eval.json").read_text())) == 2
    listing = run_cli("runs", store=s, check=0).stdout
    assert "cpt" in listing and "text@v1" in listing


def test_sft_labels_cover_assistant_tokens_only(store):
    from corpus.store import Store
    from training.data import load, split
    from training.trainers import TrainConfig, build_trainer

    s, tok = store
    rows = load("chat@v1", Store(s)).rows
    assert "<EMAIL>" in json.dumps(rows) and "@example.com" not in json.dumps(rows)  # pii scrubbed the turns
    cfg = TrainConfig(kind="sft", data="chat@v1", model="micro", tokenizer=str(tok), max_length=128, steps=1,
                      batch_size=4)
    trainer, t = build_trainer(cfg, rows, [], Path(s) / "scratch-sft")
    batch = next(iter(trainer.get_train_dataloader()))
    for ids, labels in zip(batch["input_ids"], batch["labels"]):
        trained = t.decode([i for i, lab in zip(ids.tolist(), labels.tolist()) if lab != -100])
        assert trained and "<|im_start|>" not in trained and "user" not in trained
        assert trained.endswith("<|im_end|>")
        assert "Word" in trained or "<tool_call>" in trained or "It is 12C" in trained
    run_dir, _ = train(s, tok, "sft", "chat@v1", steps=6)
    run = json.loads((run_dir / "run.json").read_text())
    assert run["kind"] == "sft" and run["result"]["final_loss"] is not None


def test_dpo_and_grpo_run_from_versions(store):
    s, tok = store
    run_dir, _ = train(s, tok, "dpo", "pref@v1", steps=6)
    run = json.loads((run_dir / "run.json").read_text())
    assert run["kind"] == "dpo" and run["result"]["final_loss"] is not None
    metrics = (run_dir / "metrics.jsonl").read_text()
    assert "rewards/margins" in metrics
    run_dir, _ = train(s, tok, "grpo", "pref@v1", "--num-generations", "4", "--max-completion-length", "8", steps=4)
    run = json.loads((run_dir / "run.json").read_text())
    assert run["kind"] == "grpo" and run["result"]["mean_reward_last"] is not None
    assert run["config"]["rewards"] == ["training.rewards:format_reward", "training.rewards:length_reward"]
    assert "rewards/length_reward/mean" in (run_dir / "metrics.jsonl").read_text()
    assert not list((s / "runs").glob(".running-*"))


def test_reward_functions():
    from training.rewards import format_reward, length_reward

    assert format_reward(["A sentence.", "no end", "", "1234"]) == [1.0, 0.5, 0.0, 0.0]
    assert length_reward([" ".join(["w"] * 20), "", " ".join(["w"] * 30)]) == [1.0, 0.0, 0.5]
    assert format_reward([[{"role": "assistant", "content": "Yes."}]]) == [1.0]


@pytest.mark.parametrize("args,fragment", [
    (("train", "cpt", "--data", "text@v1", "--model", "micro"), "needs --tokenizer DIR"),
    (("train", "cpt", "--data", "nope@v1", "--model", "micro", "--tokenizer", "x"), "no dataset 'nope'"),
    (("train", "sft", "--data", "text@v1", "--model", "micro", "--tokenizer", "TOK"), "sft needs chat records"),
    (("train", "grpo", "--data", "pref@v1", "--model", "micro", "--tokenizer", "TOK", "--reward", "nowhere:fn"),
     "reward function 'nowhere:fn' not found"),
    (("eval", "no-such-run"), "no run 'no-such-run'"),
])
def test_user_mistakes_are_one_line(store, args, fragment):
    s, tok = store
    proc = run_cli(*[str(tok) if a == "TOK" else a for a in args], store=s)
    assert proc.returncode == 2, proc.stderr
    assert fragment in proc.stderr and "Traceback" not in proc.stderr
    assert not list((s / "runs").glob(".running-*"))


@pytest.mark.slow
def test_two_process_ddp_is_real(store):
    """torchrun with 2 CPU processes: one run, ranks saw different batches, weights stayed equal."""
    s, tok = store
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    torchrun = Path(sys.executable).with_name("torchrun")
    before = set((s / "runs").iterdir())
    proc = subprocess.run([str(torchrun), "--nproc_per_node=2", "--no-python", str(CORPUS), "train", "cpt",
                           "--data", "text@v1", "--model", "micro", "--tokenizer", str(tok), "--steps", "8",
                           "--batch-size", "4", "--max-length", "64", "--store", str(s)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    new = set((s / "runs").iterdir()) - before
    assert len(new) == 1
    run = json.loads((new.pop() / "run.json").read_text())
    assert run["world_size"] == 2
    r0, r1 = run["ranks"]
    assert r0["first_batch_xxh3"] != r1["first_batch_xxh3"]
    assert r0["weights_xxh3"] == r1["weights_xxh3"]
    assert r0["tokens"] > 0 and r1["tokens"] > 0
