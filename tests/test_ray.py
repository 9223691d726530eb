"""executor: {type: ray} runs the same pipeline on a local Ray cluster, with the same result."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_pipeline

pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'corpusmill[ray]')")


FULL_PIPELINE = [
    {"url_filter": {"deny_domains": ["b.example"], "blocklist": False}},
    {"decontaminate": {"files": ["eval.jsonl"], "ngram": 8}},
    {"min_length": {"min_chars": 20}}, {"language": {"keep": ["en"]}},
    {"gopher_quality": {}}, {"gopher_repetition": {}}, {"c4_quality": {}}, {"fineweb_quality": {}},
    {"pii": {}}, {"exact_dedup": {}}, {"minhash_dedup": {"threshold": 0.8}},
]


def test_ray_executor_matches_local(tmp_path, jsonl_input):
    """The full pipeline (filters, decontamination, both dedups) gives the same content hash on Ray."""
    raw, facts = jsonl_input
    (tmp_path / "eval.jsonl").write_text(json.dumps({"text": "Document number 3 talks about soil, irrigation and "
                                                              "crop rotation."}) + "\n")
    hashes = {}
    for kind in ("local", "ray"):
        cfg = write_pipeline(tmp_path / f"{kind}.yaml", [str(raw)], id_field="id", steps=FULL_PIPELINE)
        text = cfg.read_text().replace("type: local", f"type: {kind}")
        cfg.write_text(text)
        proc = run_cli("run", cfg, store=tmp_path / kind, check=0, timeout=240)
        assert proc.stdout.strip().splitlines()[-1] == "ds@v1"
        manifest = json.loads((tmp_path / kind / "ds" / "v1" / "manifest.json").read_text())
        assert manifest["totals"]["docs_in"] == facts["records"]
        assert manifest["run"]["executor"] == kind
        hashes[kind] = manifest["content_hash"]
        removed = {st["name"]: st["docs_in"] - st["docs_out"] for st in manifest["steps"]}
        assert removed["decontaminate"] >= 1 and removed["read"] == len(facts["quarantined"])
    assert hashes["ray"] == hashes["local"]
