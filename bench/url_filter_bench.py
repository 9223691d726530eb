"""url_filter against datatrove's URLFilter: same decisions, memory per worker, URLs/s.

URLs: 3,000 listed domains, 1,000 of them as www. subdomains, 1,000 listed URLs, and 3,000
URLs on other hosts with and without banned words. Memory is the RSS growth of a fresh
process that loads one filter and checks one URL (what each worker pays).

    .venv/bin/python bench/url_filter_bench.py
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LOAD = {
    "datatrove": "from datatrove.pipeline.filters.url_filter import URLFilter; from tldextract import TLDExtract; "
                 "f = URLFilter(); f.tldextractor = TLDExtract(suffix_list_urls=())",
    "corpusmill": "from filters.url_filter import UrlFilter, UrlFilterParams; f = UrlFilter(UrlFilterParams())",
}
PROBE = ("import psutil, warnings; warnings.filterwarnings('ignore'); p = psutil.Process(); b = p.memory_info().rss; "
         "{load}; from datatrove.data import Document; "
         "f.filter(Document(text='x', id='1', metadata={{'url': 'https://a.example/x'}})); "
         "print((p.memory_info().rss - b) / 1e6)")


def rss_growth(name: str) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE.format(load=LOAD[name])], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    warnings.filterwarnings("ignore")
    from datatrove.data import Document
    from datatrove.pipeline.filters.url_filter import URLFilter
    from tldextract import TLDExtract

    from filters.url_filter import UrlFilter, UrlFilterParams

    theirs = URLFilter()
    theirs.tldextractor = TLDExtract(suffix_list_urls=())
    theirs.download_data()
    ours = UrlFilter(UrlFilterParams())
    rng = random.Random(0)
    domains = rng.sample(sorted(theirs.block_listed_domains), 3000)
    urls = rng.sample(sorted(theirs.block_listed_url), 1000)
    words = ["news", "sex-videos", "casino", "free-xxx", "blog", "porn", "weather", "adult-dating", "recipes"]
    tests = [f"https://{d}/page" for d in domains] + [f"http://www.{d}/x?y=1" for d in domains[:1000]] + urls
    tests += [f"https://site{i}.example.org/{w}" for i, w in enumerate(rng.choices(words, k=3000))]
    docs = [Document(text="x", id=str(i), metadata={"url": u}) for i, u in enumerate(tests)]
    timings = {}
    decisions = {}
    for name, f in (("datatrove", theirs), ("corpusmill", ours)):
        started = time.perf_counter()
        decisions[name] = [f.filter(d) is not True for d in docs]
        timings[name] = time.perf_counter() - started
    agree = sum(a == b for a, b in zip(decisions["datatrove"], decisions["corpusmill"]))
    print(f"{len(tests):,} URLs, {sum(decisions['datatrove']):,} blocked by datatrove; "
          f"decisions agree on {agree:,} ({agree / len(tests):.2%})\n")
    print(f"{'filter':<12}{'URLs/s':>10}{'RSS per worker MB':>20}")
    for name in ("datatrove", "corpusmill"):
        print(f"{name:<12}{len(tests) / timings[name]:>10,.0f}{rss_growth(name):>20,.0f}")


if __name__ == "__main__":
    main()
