"""The full pipeline (every filter and both dedups) on generated crawls of growing size.

For each size: write ~2 KB documents from real paragraphs (BBC News when ../shared/bench has
it) with exact duplicates, pages quoting a protected set, PII, German pages, short stubs and
URLs; run `corpus run` as a user would (2 workers) and sample the process tree's RSS and the
store's disk use every 0.5 s. Prints wall time, docs/s, peak RSS, peak and final disk, and
the ratio of docs/s to the smallest size (goal: within 20% at 1M of 100k; RSS <= 4 GB).

    .venv/bin/python bench/scale_full.py --sizes 100000,1000000 [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import source_paragraphs  # noqa: E402
from bench.dedup_peers import tree_rss  # noqa: E402

GERMAN = "Der Boden braucht Wasser, und die Pflanzen wachsen im Frühling schneller als im Winter. "
SPAM = "buy cheap watches best price discount casino bonus free win now "


def write_crawl(raw: Path, n: int, files: int, protected: list[str], seed: int = 0) -> int:
    paras, _ = source_paragraphs()
    rng = random.Random(seed)
    raw.mkdir(parents=True, exist_ok=True)
    handles = [open(raw / f"part-{i:03d}.jsonl", "wb") for i in range(files)]
    total, previous = 0, ""
    for i in range(n):
        r = rng.random()
        if r < 0.05 and previous:
            text = previous  # exact duplicate
        elif r < 0.07:
            text = GERMAN * 12
        elif r < 0.09:
            text = "Home | About | Contact"
        elif r < 0.11:
            text = (SPAM * 20)[:2000]
        else:
            parts, size = [], 0
            while size < 2000:
                p = rng.choice(paras)
                parts.append(p)
                size += len(p) + 1
            text = "\n".join(parts)[:2000]
            if r < 0.13:
                text += f"\nContact jane{i}@example.com or +1 415-555-{i % 9000 + 1000:04d}."
            elif r < 0.135:
                text += "\n" + rng.choice(protected)
        previous = text
        host = "casino.example.biz" if text.startswith("buy") else rng.choice(["news.example.org", "blog.example.com"])
        line = orjson.dumps({"id": f"d{i}", "text": text, "url": f"https://{host}/{i}"}) + b"\n"
        handles[i % files].write(line)
        total += len(line)
    for h in handles:
        h.close()
    return total


def disk_used(path: Path) -> int:
    total = 0
    for f in path.rglob("*"):
        try:
            if f.is_file():
                total += f.stat().st_size
        except OSError:
            pass
    return total


def pipeline(raw: Path, model: Path, protected: Path) -> str:
    return json.dumps({
        "dataset": "scale", "input": {"paths": [str(raw)], "id_field": "id"},
        "steps": [{"url_filter": {"deny_domains": ["casino.example.biz"]}},
                  {"decontaminate": {"files": [str(protected)]}},
                  {"min_length": {"min_chars": 200}}, {"language": {"keep": ["en"]}},
                  {"gopher_quality": {}}, {"gopher_repetition": {}}, {"c4_quality": {}}, {"fineweb_quality": {}},
                  {"quality_classifier": {"model": str(model), "min_score": 0.2}},
                  {"pii": {}}, {"exact_dedup": {}}, {"minhash_dedup": {"threshold": 0.8}}],
        "executor": {"type": "local", "workers": 2}})


def run_size(n: int, work: Path, model: Path, protected_path: Path, protected: list[str]) -> dict:
    raw = work / f"raw-{n}"
    if not raw.is_dir():
        write_crawl(raw, n, files=max(2, n // 25_000), protected=protected)
    nbytes = sum(f.stat().st_size for f in raw.iterdir())
    cfg = work / f"scale-{n}.yaml"
    cfg.write_text(pipeline(raw, model, protected_path))  # JSON is YAML
    store = work / f"store-{n}"
    corpus = Path(sys.executable).with_name("corpus")
    log = open(work / f"scale-{n}.log", "w")
    started = time.perf_counter()
    proc = subprocess.Popen([str(corpus), "run", str(cfg), "--store", str(store)], stdout=log, stderr=log)
    peak_rss = peak_disk = 0
    last_disk = 0.0
    while proc.poll() is None:
        peak_rss = max(peak_rss, tree_rss(proc.pid))
        if time.perf_counter() - last_disk > 5:
            peak_disk, last_disk = max(peak_disk, disk_used(store)), time.perf_counter()
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    log.close()
    if proc.returncode != 0:
        raise SystemExit("corpus run failed:\n" + (work / f"scale-{n}.log").read_text()[-3000:])
    manifest = json.loads(next(store.glob("scale/v*/manifest.json")).read_text())
    return {"docs": n, "input MB": nbytes / 1e6, "seconds": seconds, "docs/s": n / seconds,
            "peak RSS MB": peak_rss / 1e6, "peak disk MB": max(peak_disk, disk_used(store)) / 1e6,
            "version MB": disk_used(store) / 1e6, "kept": manifest["totals"]["docs_kept"],
            "removed by": {s["name"]: s["docs_in"] - s["docs_out"] for s in manifest["steps"]}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--work", default="/tmp/corpusmill-scale")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    from filters.classifier_training import TrainParams, train_classifier

    paras, source = source_paragraphs()
    rng = random.Random(1)
    protected = [p for p in rng.sample(paras, 200) if len(p.split()) > 30]
    protected_path = work / "protected.jsonl"
    protected_path.write_text("".join(json.dumps({"text": t}) + "\n" for t in protected))
    model = work / "quality.bin"
    train_classifier(["\n".join(rng.sample(paras, 5)) for _ in range(200)],
                     [(SPAM * 5)[:400 + 7 * k] for k in range(50)] + ["Home | About | Contact"] * 20, model,
                     TrainParams(holdout=0.0, dim=32, bucket=50_000))
    print(f"text: {source}; pipeline: url_filter, decontaminate, min_length, language, four heuristic steps, "
          "quality_classifier, pii, exact_dedup, minhash_dedup; 2 workers\n")
    results = []
    for n in [int(x) for x in args.sizes.split(",")]:
        r = run_size(n, work, model, protected_path, protected)
        results.append(r)
        print(f"{r['docs']:>9,} docs  {r['input MB']:>7.0f} MB in  {r['seconds']:>7.1f} s  {r['docs/s']:>6,.0f} docs/s  "
              f"peak RSS {r['peak RSS MB']:>6,.0f} MB  peak disk {r['peak disk MB']:>6,.0f} MB  "
              f"version {r['version MB']:>6,.0f} MB  kept {r['kept']:,}", flush=True)
        print(f"           removed by step: {r['removed by']}", flush=True)
    if len(results) > 1:
        base = results[0]["docs/s"]
        for r in results[1:]:
            print(f"docs/s at {r['docs']:,} = {r['docs/s'] / base:.2f} of the {results[0]['docs']:,} run "
                  f"(goal >= 0.80); peak RSS {r['peak RSS MB'] / 1e3:.2f} GB (goal <= 4)")


if __name__ == "__main__":
    main()
