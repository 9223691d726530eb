"""Security: safe YAML, no writes outside the store, no pickled data, no remote code by default, no raw PII at rest."""

from __future__ import annotations

import orjson
import pytest

from conftest import good_text, run_cli, write_pipeline

PII = ["carol.jones@example.com", "+44 20 7946 0958", "4111 1111 1111 1111", "GB82WEST12345698765432",
       "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"]


def test_yaml_tags_are_not_constructed(tmp_path):
    marker = tmp_path / "pwned"
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"dataset: x\ninput: !!python/object/apply:os.system ['touch {marker}']\n")
    proc = run_cli("run", cfg, store=tmp_path / "s")
    assert proc.returncode == 2 and "invalid YAML" in proc.stderr
    assert not marker.exists()


@pytest.mark.parametrize("name", ["../outside", "/etc/x", "a/b", ".hidden", "runs"])
def test_dataset_names_cannot_leave_the_store(tmp_path, name):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.jsonl").write_text('{"text": "hello world"}\n')
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"dataset: '{name}'\ninput: {{paths: [raw]}}\n")
    proc = run_cli("run", cfg, store=tmp_path / "store" / "s")
    assert proc.returncode == 2 and "dataset" in proc.stderr
    assert not (tmp_path / "outside").exists() and not (tmp_path / "store").exists()


def test_nothing_at_rest_holds_raw_pii_or_pickles(tmp_path):
    """After a run with the pii step, no file in the store (data, ledger, manifest, indexes, logs) holds a raw value."""
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [{"id": f"d{i}", "text": good_text(i) + f" Contact {PII[i % len(PII)]} today.",
             "author": PII[0]} for i in range(10)]
    (raw / "a.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    cfg = write_pipeline(tmp_path / "p.yaml", ["raw/a.jsonl"], id_field="id",
                         steps=[{"pii": {}}, {"exact_dedup": {}}, {"minhash_dedup": {"threshold": 0.9}}])
    run_cli("run", cfg, store=tmp_path / "s", check=0)
    files = [f for f in (tmp_path / "s").rglob("*") if f.is_file()]
    assert any(f.suffix == ".parquet" for f in files)
    for f in files:
        blob = f.read_bytes()
        for value in PII:
            assert value.encode() not in blob, f"{value} in {f}"
        assert not blob.startswith((b"\x80\x04", b"\x80\x05")), f"{f} is a pickle"
    report = run_cli("report", store=tmp_path / "s", check=0).stdout
    assert not any(v in report for v in PII)


def test_remote_code_is_off_unless_asked(monkeypatch):
    pytest.importorskip("transformers")
    import transformers

    from corpus.cli import build_parser
    from corpus.train_cli import train_config
    from training.model_presets import build_model

    seen = {}

    def fake_from_pretrained(ref, **kwargs):
        seen.update(kwargs)
        raise OSError("stop here")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", fake_from_pretrained)
    with pytest.raises(Exception):
        build_model("some/hub-model", tokenizer=None, max_length=64)
    assert seen["trust_remote_code"] is False
    args = build_parser().parse_args(["train", "cpt", "--data", "x@v1", "--model", "m"])
    assert train_config(args).trust_remote_code is False
    args = build_parser().parse_args(["train", "cpt", "--data", "x@v1", "--model", "m", "--trust-remote-code"])
    assert train_config(args).trust_remote_code is True
