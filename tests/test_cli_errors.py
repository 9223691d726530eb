"""User mistakes: one clear sentence on stderr, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import pytest

from conftest import run_cli, write_pipeline

BAD_CONFIGS = {
    "reserved name": ("dataset: runs\ninput: {paths: [raw]}\n", "'runs' is reserved"),
    "code-set key": ("dataset: x\ninput: {paths: [raw]}\nsteps: [{decontaminate: {files: [raw], index_path: /etc}}]\n",
                     "unknown key 'index_path'"),
    "unknown top key": ("dataset: x\ninput: {paths: [raw]}\nstepz: []\n", "unknown key 'stepz'"),
    "bad format": ("dataset: x\ninput: {paths: [raw], format: csv}\n", "input.format: 'csv'"),
    "unknown step": ("dataset: x\ninput: {paths: [raw]}\nsteps: [{lang_id: {}}]\n", "unknown step 'lang_id'"),
    "step param": ("dataset: x\ninput: {paths: [raw]}\nsteps: [{min_length: {min_char: 3}}]\n",
                   "steps[0].min_length: unknown key 'min_char'"),
    "param type": ("dataset: x\ninput: {paths: [raw]}\nsteps: [{min_length: {min_chars: '3'}}]\n",
                   "min_chars: expected an integer"),
    "bad yaml": ("dataset: x\ninput: {paths: [raw]\n", "invalid YAML at line"),
    "unsafe name": ("dataset: ../../etc\ninput: {paths: [raw]}\n", "is not a valid name"),
    "no input": ("dataset: x\n", "missing required key 'input'"),
    "workers": ("dataset: x\ninput: {paths: [raw]}\nexecutor: {workers: 0}\n", "executor.workers"),
    "python tag": ("dataset: !!python/object/apply:os.system ['echo hi']\ninput: {paths: [raw]}\n", "invalid YAML"),
    "empty glob": ("dataset: x\ninput: {paths: ['nothing/*.jsonl']}\n", "matches no jsonl files"),
}


def assert_user_error(proc, fragment):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert fragment in proc.stderr
    assert proc.stderr.strip().startswith("error:")
    assert proc.stdout == ""


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_bad_config_is_one_clear_error(tmp_path, name):
    text, fragment = BAD_CONFIGS[name]
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.jsonl").write_text('{"text": "hello"}\n')
    cfg = tmp_path / "p.yaml"
    cfg.write_text(text)
    proc = run_cli("run", cfg, store=tmp_path / "store")
    assert_user_error(proc, fragment)
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").rglob("manifest.json"))


@pytest.mark.parametrize("params,fragment", [
    ("{}", "quality_classifier.model: give the model file"),
    ("{model: models/none.bin}", "quality_classifier.model: file not found"),
])
def test_classifier_without_model_is_named(tmp_path, params, fragment):
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"dataset: x\ninput: {{paths: [raw]}}\nsteps: [{{quality_classifier: {params}}}]\n")
    assert_user_error(run_cli("run", cfg, store=tmp_path / "s"), fragment)


def test_missing_pipeline_file(tmp_path):
    assert_user_error(run_cli("run", tmp_path / "nope.yaml", store=tmp_path / "s"), "pipeline file not found")


@pytest.mark.parametrize("args,fragment", [
    (("show", "ds@v7"), "ds@v7 does not exist (versions: v1)"),
    (("show", "other@v1"), "no dataset 'other'"),
    (("show", "ds@@v1"), "not a version reference"),
    (("diff", "ds@v1", "ds@v2"), "ds@v2 does not exist"),
    (("why", "ds@v1", "no-such-id"), "no document with id 'no-such-id'"),
    (("ls", "other"), "no dataset 'other'"),
])
def test_unknown_versions_and_ids(tmp_path, jsonl_input, args, fragment):
    raw, _ = jsonl_input
    store = tmp_path / "store"
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)]), store=store, check=0)
    assert_user_error(run_cli(*args, store=store), fragment)
