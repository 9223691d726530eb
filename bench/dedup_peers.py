"""MinHash dedup, side by side: corpusmill vs datatrove's 4-stage MinHash vs datasketch (and rensa).

Quality (default): BBC articles (../shared/bench, or generated text) plus near-duplicates made
with known edits (word substitutions, insertions, deletions, paragraph moves, boilerplate) at
several Jaccard levels. Ground truth: pairs whose true Jaccard over the same shingles (word
5-grams of the normalised text) reaches the threshold; every component of that graph should
keep one document. Prints precision/recall of removed documents per method, and detection per
Jaccard bucket next to the S-curve.

Speed: documents/s of signatures (ours, datasketch, rensa; same shingling) and end to end.
Memory (--memory 100000,1000000): peak RSS of the whole process tree of `corpus run` with
minhash_dedup on generated documents, and disk used.

    .venv/bin/python bench/dedup_peers.py [--planted 1500] [--threshold 0.8] [--speed-docs 20000]
    .venv/bin/python bench/dedup_peers.py --memory 100000,1000000
"""

from __future__ import annotations

import argparse
import gzip
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SHARED, write_documents  # noqa: E402

BOILERPLATE = ("Share this article on Facebook Twitter and email. Sign up for our newsletter to get the latest "
               "news delivered to your inbox every morning. We use cookies to improve your experience.")


def load_articles() -> tuple[list[dict], str]:
    bbc = SHARED / "bbc_news.jsonl.gz"
    if bbc.is_file():
        with gzip.open(bbc, "rb") as f:
            rows = [orjson.loads(line) for line in f]
        return [{"id": r["id"], "text": r["text"]} for r in rows], f"BBC news ({bbc})"
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(20000)]
    docs = [{"id": f"gen/{i}", "text": "\n".join(" ".join(rng.choice(vocab) for _ in range(60)) for _ in range(6))}
            for i in range(2225)]
    return docs, "generated text (no ../shared/bench data)"


def plant(articles: list[dict], n: int, seed: int = 0) -> list[dict]:
    """Near-duplicates of random articles, by edit type and strength."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        src = rng.choice(articles)
        kind = ["substitute", "insert", "delete", "move", "boilerplate", "mixed"][i % 6]
        rate = rng.choice([0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12])
        paras = src["text"].split("\n")
        words = src["text"].split(" ")
        if kind in ("substitute", "mixed"):
            words = [rng.choice(words) if rng.random() < rate else w for w in words]
        if kind in ("insert", "mixed"):
            words = [w2 for w in words for w2 in ([w, rng.choice(words)] if rng.random() < rate else [w])]
        if kind == "delete":
            words = [w for w in words if rng.random() >= rate * 1.5]
        text = " ".join(words)
        if kind == "move" and len(paras) > 2:
            p = paras.pop(rng.randrange(len(paras)))
            paras.insert(rng.randrange(len(paras)), p)
            text = "\n".join(paras)
        if kind == "boilerplate":
            text = (BOILERPLATE + "\n" + text) if rng.random() < 0.5 else (text + "\n" + BOILERPLATE * rng.randint(1, 3))
        out.append({"id": f"planted/{i}/{kind}/{src['id']}", "text": text, "source_id": src["id"]})
    return out


def scaled_documents(n: int, seed: int = 2) -> list[dict]:
    """n documents of ~2 KB mixed from real paragraphs, 10% of them near-duplicates of others."""
    from common import source_paragraphs

    paras, _ = source_paragraphs()
    rng = random.Random(seed)
    base = []
    for i in range(n - n // 10):
        parts, size = [], 0
        while size < 2000:
            p = rng.choice(paras)
            parts.append(p)
            size += len(p) + 1
        base.append({"id": f"s{i}", "text": "\n".join(parts)})
    docs = base + plant(base, n // 10, seed)
    rng.shuffle(docs)
    return docs


def shingle_sets(docs: list[dict], n: int = 5) -> list[set]:
    from dedup.normalise import Normalisation, Normaliser

    norm = Normaliser(Normalisation())
    sets = []
    for d in docs:
        w = norm(d["text"]).split()
        sets.append({" ".join(w[i:i + n]) for i in range(max(len(w) - n + 1, 1))} if w else set())
    return sets


def true_pairs(sets: list[set], threshold: float) -> dict[tuple[int, int], float]:
    """All pairs (i < j) with true Jaccard >= threshold, through an inverted index of shingles."""
    index = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            index[sh].append(i)
    shared = defaultdict(int)
    for members in index.values():
        if 1 < len(members) < 200:  # very common shingles cannot make a pair reach the threshold alone
            for a_i, a in enumerate(members):
                for b in members[a_i + 1:]:
                    shared[(a, b)] += 1
    pairs = {}
    for (a, b), k in shared.items():
        j = k / (len(sets[a]) + len(sets[b]) - k)
        if j >= threshold:
            pairs[(a, b)] = j
    return pairs


def should_remove(n: int, pairs) -> set[int]:
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i for i in range(n) if find(i) != i}


def score(removed: set[int], truth: set[int]) -> tuple[float, float]:
    tp = len(removed & truth)
    return (tp / len(removed) if removed else 1.0), (tp / len(truth) if truth else 1.0)


# --- the methods -----------------------------------------------------------------------------

def write_in_order(docs, raw: Path, files: int) -> None:
    """Contiguous chunks, so (file, position) order is document order: 'first seen' means the same."""
    size = -(-len(docs) // files)
    for f in range(files):
        chunk = list(enumerate(docs))[f * size:(f + 1) * size]
        (raw / f"part-{f}.jsonl").write_bytes(b"".join(orjson.dumps({"id": str(i), "text": d["text"]}) + b"\n"
                                                     for i, d in chunk))


def run_corpusmill(docs, work: Path, threshold: float, workers: int = 2) -> tuple[set[int], float]:
    from corpus.config import parse_config
    from corpus.runner import run_pipeline
    from corpus.store import Store

    raw = work / f"cm-raw-{len(docs)}"
    raw.mkdir(parents=True)
    write_in_order(docs, raw, workers)
    config = parse_config({"dataset": "b", "input": {"paths": [str(raw)], "id_field": "id"},
                           "steps": [{"minhash_dedup": {"threshold": threshold}}], "executor": {"workers": workers}})
    t = time.perf_counter()
    store = Store(work / f"cm-store-{len(docs)}")
    result = run_pipeline(config, store)
    seconds = time.perf_counter() - t
    import polars as pl

    led = pl.read_parquet(store.path(result.ref) / "ledger" / "*.parquet")
    return {int(i) for i in led.filter(pl.col("removed_by") == "minhash_dedup")["id"]}, seconds


def run_datatrove(docs, work: Path, workers: int = 2) -> tuple[set[int], float]:
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from corpus.runner import QuietLocalExecutor as LocalPipelineExecutor  # datatrove's, minus console logs
    from corpus.runner import quiet_datatrove_logs

    quiet_datatrove_logs()
    raw = work / f"dt-raw-{len(docs)}"
    raw.mkdir(parents=True)
    write_in_order(docs, raw, workers)
    from datatrove_compat import xxhash64_of_str

    cfg = MinhashConfig()  # datatrove defaults: 5-grams, 14 buckets x 8 hashes
    out = work / f"dt-{len(docs)}"
    signature = MinhashDedupSignature(str(out / "sigs"), config=cfg)
    signature._hash_func = xxhash64_of_str  # see bench/datatrove_compat.py
    stages = [
        LocalPipelineExecutor([JsonlReader(str(raw)), signature],
                              tasks=workers, workers=workers, logging_dir=str(out / "l1")),
        LocalPipelineExecutor([MinhashDedupBuckets(str(out / "sigs"), str(out / "buckets"), config=cfg)],
                              tasks=cfg.num_buckets, workers=workers, logging_dir=str(out / "l2")),
        LocalPipelineExecutor([MinhashDedupCluster(str(out / "buckets"), str(out / "remove"), config=cfg)],
                              tasks=1, logging_dir=str(out / "l3")),
        LocalPipelineExecutor([JsonlReader(str(raw)), MinhashDedupFilter(
            str(out / "remove"), exclusion_writer=JsonlWriter(str(out / "removed"))), JsonlWriter(str(out / "kept"))],
            tasks=workers, workers=workers, logging_dir=str(out / "l4")),
    ]
    t = time.perf_counter()
    for stage in stages:
        stage.run()
    seconds = time.perf_counter() - t
    removed = set()
    for path in (out / "removed").glob("*"):
        with gzip.open(path, "rb") as f:
            removed |= {int(orjson.loads(line)["id"]) for line in f}
    return removed, seconds


def datasketch_shingles(text: str, norm, n=5) -> list[bytes]:
    w = norm(text).split()
    return [" ".join(w[i:i + n]).encode() for i in range(max(len(w) - n + 1, 1))] if w else []


def run_datasketch(docs, threshold: float) -> tuple[set[int], float, float]:
    """datasketch MinHashLSH, first seen kept; returns (removed, total seconds, signature seconds)."""
    from datasketch import MinHash, MinHashLSH

    from dedup.normalise import Normalisation, Normaliser

    norm = Normaliser(Normalisation())
    t = time.perf_counter()
    sigs = []
    for d in docs:
        m = MinHash(num_perm=128)
        m.update_batch(datasketch_shingles(d["text"], norm))
        sigs.append(m)
    sig_seconds = time.perf_counter() - t
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    removed = set()
    for i, m in enumerate(sigs):
        if lsh.query(m):
            removed.add(i)
        else:
            lsh.insert(str(i), m)
    return removed, time.perf_counter() - t, sig_seconds


def signature_speed(docs) -> dict[str, float]:
    """Documents/s of MinHash signatures, 128 hashes, word 5-grams of the same normalised text."""
    from datasketch import MinHash
    from rensa import RMinHash

    from dedup.minhash import MinHasher
    from dedup.normalise import Normalisation, Normaliser

    norm = Normaliser(Normalisation())
    rates = {}
    t = time.perf_counter()
    hasher = MinHasher(128, 5)
    for i in range(0, len(docs), 256):
        hasher.signatures([norm(d["text"]) for d in docs[i:i + 256]])
    rates["corpusmill (numpy, batches of 256)"] = len(docs) / (time.perf_counter() - t)
    sample = docs[: max(len(docs) // 10, 500)]
    t = time.perf_counter()
    for d in sample:
        m = MinHash(num_perm=128)
        m.update_batch(datasketch_shingles(d["text"], norm))
    rates["datasketch MinHash.update_batch"] = len(sample) / (time.perf_counter() - t)
    t = time.perf_counter()
    for d in docs:
        m = RMinHash(num_perm=128, seed=1)
        m.update([s.decode() for s in datasketch_shingles(d["text"], norm)])
    rates["rensa RMinHash (Python shingles)"] = len(docs) / (time.perf_counter() - t)
    return rates


# --- memory ----------------------------------------------------------------------------------

def tree_rss(pid: int) -> int:
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p] + p.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def memory_run(n_docs: int, work: Path) -> dict:
    import subprocess

    raw = work / f"mem-{n_docs}"
    nbytes, _ = write_documents(raw, n_docs, n_files=max(2, n_docs // 50_000))
    # documents mix random real paragraphs, so some pairs share enough text to be near-duplicates
    cfg = work / f"mem-{n_docs}.yaml"
    cfg.write_text(f"dataset: mem\ninput: {{paths: [{raw}], id_field: id}}\nsteps:\n"
                   f"  - minhash_dedup: {{threshold: 0.8}}\nexecutor: {{workers: 2}}\n")
    store = work / f"mem-store-{n_docs}"
    corpus = Path(sys.executable).with_name("corpus")
    t = time.perf_counter()
    log = open(work / f"mem-{n_docs}.log", "w")
    proc = subprocess.Popen([str(corpus), "run", str(cfg), "--store", str(store)], stdout=log, stderr=log)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - t
    log.close()
    if proc.returncode != 0:
        raise SystemExit("corpus run failed:\n" + (work / f"mem-{n_docs}.log").read_text()[-3000:])
    disk = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    return {"docs": n_docs, "input_MB": nbytes / 1e6, "seconds": seconds, "docs_per_s": n_docs / seconds,
            "peak_rss_MB": peak / 1e6, "version_disk_MB": disk / 1e6}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--planted", type=int, default=1500)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--speed-docs", type=int, default=20000)
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--memory", help="comma-separated document counts for the memory runs, e.g. 100000,1000000")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corpus-dedup-bench-"))
    try:
        if args.memory:
            print(f"{'docs':>10}{'input MB':>10}{'seconds':>10}{'docs/s':>10}{'peak RSS MB':>13}{'version MB':>12}")
            for n in (int(x) for x in args.memory.split(",")):
                r = memory_run(n, work)
                print(f"{r['docs']:>10,}{r['input_MB']:>10.0f}{r['seconds']:>10.1f}{r['docs_per_s']:>10,.0f}"
                      f"{r['peak_rss_MB']:>13,.0f}{r['version_disk_MB']:>12,.0f}")
            return
        articles, source = load_articles()
        docs = articles + plant(articles, args.planted)
        random.Random(1).shuffle(docs)
        print(f"{len(docs):,} documents: {len(articles):,} articles from {source} + {args.planted:,} planted")
        sets = shingle_sets(docs)
        pairs = true_pairs(sets, 0.5)
        truth = should_remove(len(docs), [p for p, j in pairs.items() if j >= args.threshold])
        print(f"ground truth at Jaccard >= {args.threshold}: {len(truth):,} documents to remove")

        results = {"corpusmill minhash_dedup": run_corpusmill(docs, work, args.threshold)}
        removed, total, _ = run_datasketch(docs, args.threshold)
        results["datasketch MinHashLSH"] = (removed, total)
        if not args.skip_datatrove:
            results["datatrove MinHash (4 stages)"] = run_datatrove(docs, work)
        print(f"\n{'method':34}{'precision':>10}{'recall':>8}{'seconds':>9}{'docs/s':>9}")
        for name, (removed, seconds) in results.items():
            p, r = score(removed, truth)
            print(f"{name:34}{p:10.3f}{r:8.3f}{seconds:9.1f}{len(docs) / seconds:9,.0f}")

        # detection of planted pairs by true-Jaccard bucket
        from dedup.lsh import candidate_probability
        from dedup.minhash_dedup import MinhashParams

        bands, rows = MinhashParams(threshold=args.threshold).banding()
        # only pairs that form a component of their own at Jaccard >= 0.5: then 'one of the two was
        # removed' means exactly 'the pair was detected'
        by_id = {d["id"]: i for i, d in enumerate(docs)}
        degree = defaultdict(int)
        for a, b in pairs:
            degree[a] += 1
            degree[b] += 1
        buckets = defaultdict(list)
        for i, d in enumerate(docs):
            if "source_id" not in d:
                continue
            src = by_id[d["source_id"]]
            key = (min(i, src), max(i, src))
            j = pairs.get(key)
            if j is None:
                if degree[i] == 0 and degree[src] == 0:
                    buckets[0.0].append((i, src))
            elif degree[i] == 1 and degree[src] == 1:
                buckets[min(int(j * 20) / 20, 0.95)].append((i, src))
        print(f"\ndetection of isolated planted pairs by true Jaccard; S-curve = P(candidate) for our "
              f"{bands} bands x {rows} rows (before verification)")
        print(f"{'Jaccard':>10}{'pairs':>7}{'S-curve':>9}" + "".join(f"{n.split()[0]:>12}" for n in results))
        for lo in sorted(buckets):
            members = buckets[lo]
            label = "   < 0.50" if lo == 0.0 else f"{lo:>5.2f}-{lo + 0.05:.2f}"
            curve = "" if lo == 0.0 else f"{float(candidate_probability(lo + 0.025, bands, rows)):.3f}"
            rates = "".join(f"{sum(1 for i, src in members if i in removed or src in removed) / len(members):>12.2f}"
                            for removed, _ in results.values())
            print(f"{label}{len(members):>7}{curve:>9}{rates}")

        speed_docs = scaled_documents(args.speed_docs)
        print(f"\nend to end on {len(speed_docs):,} documents (~2 KB, 10% planted near-duplicates), 2 workers:")
        timings = {"corpusmill minhash_dedup": run_corpusmill(speed_docs, work, args.threshold)[1],
                   "datasketch MinHashLSH": run_datasketch(speed_docs, args.threshold)[1]}
        if not args.skip_datatrove:
            timings["datatrove MinHash (4 stages)"] = run_datatrove(speed_docs, work)[1]
        ours = timings["corpusmill minhash_dedup"]
        for name, seconds in timings.items():
            print(f"  {name:34}{seconds:8.1f} s{len(speed_docs) / seconds:10,.0f} docs/s   ours is "
                  f"{seconds / ours:5.1f}x faster" if name != "corpusmill minhash_dedup" else
                  f"  {name:34}{seconds:8.1f} s{len(speed_docs) / seconds:10,.0f} docs/s")

        print(f"\nsignature speed on {len(speed_docs):,} documents (128 hashes, word 5-grams), one core:")
        rates = signature_speed(speed_docs)
        base = rates["datasketch MinHash.update_batch"]
        for name, rate in rates.items():
            print(f"  {name:40}{rate:10,.0f} docs/s  {rate / base:6.1f}x datasketch")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
