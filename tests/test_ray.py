"""executor: {type: ray} runs the same pipeline on a local Ray cluster, with the same result."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_pipeline

pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'corpusmill[ray]')")


def test_ray_executor_matches_local(tmp_path, jsonl_input):
    raw, facts = jsonl_input
    hashes = {}
    for kind in ("local", "ray"):
        cfg = write_pipeline(tmp_path / f"{kind}.yaml", [str(raw)], id_field="id")
        text = cfg.read_text().replace("type: local", f"type: {kind}")
        cfg.write_text(text)
        proc = run_cli("run", cfg, store=tmp_path / kind, check=0, timeout=240)
        assert proc.stdout.strip().splitlines()[-1] == "ds@v1"
        manifest = json.loads((tmp_path / kind / "ds" / "v1" / "manifest.json").read_text())
        assert manifest["totals"]["docs_in"] == facts["records"]
        assert manifest["run"]["executor"] == kind
        hashes[kind] = manifest["content_hash"]
    assert hashes["ray"] == hashes["local"]
