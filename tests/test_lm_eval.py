"""`corpus eval --lm-eval`: lm-evaluation-harness on a local task file, recorded on the run (optional extra)."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli

pytest.importorskip("trl", reason="the training extra is not installed")
pytest.importorskip("lm_eval", reason='the lm-eval extra is not installed (pip install -e ".[lmeval]")')

TASK = """task: farm_mc
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: "{{{{answer}}}}"
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
"""


@pytest.mark.slow
def test_local_multiple_choice_task_is_scored_and_recorded(tmp_path):
    from training.model_presets import build_model
    from training.tokenizer import train_tokenizer

    words = "soil water crop seed rain sun field farm barley wheat".split()
    tok = train_tokenizer([" ".join(words * 20)] * 20, 300, tmp_path / "tok")
    run = tmp_path / "store" / "runs" / "r1"
    model = build_model("micro", tok, 64)
    model.save_pretrained(str(run / "model"))
    tok.save_pretrained(str(run / "model"))
    (run / "run.json").write_text(json.dumps({"run_id": "r1", "kind": "cpt", "data": {"ref": "x@v1"},
                                              "model": {"ref": "micro"}, "config": {"max_length": 64},
                                              "result": {}}))
    items = [{"question": f"What grows in field {i}?", "choices": ["barley", "rain", "sun"], "answer": i % 3}
             for i in range(12)]
    (tmp_path / "farm.jsonl").write_text("".join(json.dumps(x) + "\n" for x in items))
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "farm_mc.yaml").write_text(TASK.format(data=tmp_path / "farm.jsonl"))
    proc = run_cli("eval", "r1", "--lm-eval", "farm_mc", "--lm-eval-tasks", tasks, store=tmp_path / "store",
                   check=0, timeout=600)
    assert "lm-eval:farm_mc: acc" in proc.stdout
    evals = json.loads((run / "eval.json").read_text())
    assert evals[0]["data"] == "lm-eval:farm_mc" and 0.0 <= evals[0]["metrics"]["acc"] <= 1.0
    assert evals[0]["docs"] == 12
    proc = run_cli("eval", "r1", "--lm-eval", "nope", "--lm-eval-tasks", tasks, store=tmp_path / "store")
    assert proc.returncode == 2 and "lm-eval task 'nope' not found" in proc.stderr
