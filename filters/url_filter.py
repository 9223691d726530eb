"""`url_filter`: datatrove's bundled URL blocklists and word lists, plus the user's own lists.

Precedence: the user's allow lists, then the user's deny lists, then the bundled lists
(domains, URLs, banned and soft-banned words in the URL). Documents without a URL pass. The
lists ship inside the datatrove wheel; the public-suffix list is tldextract's bundled
snapshot (no fetch).

datatrove's URLFilter holds its 4.6 M blocked domains as a Python set: 740 MB per worker,
measured. Here the domain and URL lists are xxh3-64 hashes in sorted arrays (37 MB, built
once per store in STORE/.cache/url_filter/) looked up by binary search, with the same rules
(registered domain, full host, exact URL), then datatrove's word rules over its word lists.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np
import xxhash

from corpus.errors import UserError
from corpus.step import LedgerStep

BUNDLED_REASONS = {"domain": "domain", "subdomain": "subdomain", "url": "URL", "hard_blacklisted": "banned word",
                   "soft_blacklisted": "soft-banned words", "blacklisted_subword": "banned subword"}


@dataclass
class UrlFilterParams:
    allow_domains: list[str] = field(default_factory=list)  # a domain covers its subdomains
    deny_domains: list[str] = field(default_factory=list)
    allow_patterns: list[str] = field(default_factory=list)  # regexes searched in the URL
    deny_patterns: list[str] = field(default_factory=list)
    blocklist: bool = True  # datatrove's bundled lists
    soft_word_threshold: int = 2
    blocklist_path: str = field(default="", init=False)  # hashed lists, built before the run

    def prepare(self, store, say=lambda msg: None) -> None:
        if self.blocklist:
            self.blocklist_path = str(hashed_blocklist(store.root / ".cache" / "url_filter", say))

    def validate(self, where: str):
        for key in ("allow_patterns", "deny_patterns"):
            for pattern in getattr(self, key):
                try:
                    re.compile(pattern)
                except re.error as e:
                    raise UserError(f"{where}.{key}: {pattern!r} is not a valid regex ({e})") from None


def host_of(url: str) -> str:
    m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)", url)
    return (m.group(1) if m else "").lower().rstrip(".")


def domain_match(host: str, domains: list[str]) -> str | None:
    for d in domains:
        d = d.lower().strip(".")
        if host == d or host.endswith("." + d):
            return d
    return None


class UrlFilter(LedgerStep):
    step_name = "url_filter"
    Params = UrlFilterParams
    worker_local = ("_bundled",)

    def __init__(self, params=None):
        super().__init__(params)
        self.allow = [re.compile(p) for p in self.params.allow_patterns]
        self.deny = [re.compile(p) for p in self.params.deny_patterns]

    @property
    def bundled(self) -> "BundledLists":
        if self._bundled is None:
            path = self.params.blocklist_path or str(hashed_blocklist(default_cache_dir()))
            self._bundled = BundledLists(path, self.params.soft_word_threshold)
        return self._bundled

    def filter(self, doc):
        url = doc.metadata.get("url")
        if not url:
            return True
        host = host_of(url)
        if domain_match(host, self.params.allow_domains) or any(p.search(url) for p in self.allow):
            return True
        d = domain_match(host, self.params.deny_domains)
        if d:
            return False, f"deny_domains: {d}"
        for p in self.deny:
            if p.search(url):
                return False, f"deny_patterns: {p.pattern}"
        if self.params.blocklist:
            why = self.bundled.blocked(url)
            if why:
                return False, f"blocklist: {BUNDLED_REASONS.get(why, why)}"
        return True


def default_cache_dir() -> str:
    return os.path.join(os.path.expanduser("~"), ".cache", "corpusmill", "url_filter")


def _hash(value: str) -> int:
    return xxhash.xxh3_64_intdigest(value.encode("utf-8", "surrogatepass"))


def hashed_blocklist(cache_dir, say=lambda msg: None):
    """Sorted xxh3-64 hashes of datatrove's bundled domain and URL lists, cached per datatrove version."""
    import tarfile
    from importlib.metadata import version
    from pathlib import Path

    from datatrove.utils._import_utils import ASSETS_PATH

    cache_dir = Path(cache_dir)
    path = cache_dir / f"blocklist-datatrove-{version('datatrove')}.npz"
    if path.is_file():
        return path
    say("url_filter: hashing datatrove's bundled blocklists (once per store)")
    arrays = {}
    with tarfile.open(os.path.join(ASSETS_PATH, "url_filterblacklistsv0_3_0.tar.gz"), "r:gz") as tar:
        for member in tar.getmembers():
            if member.name not in ("domains", "urls"):
                continue
            values = [line.strip() for line in tar.extractfile(member).read().decode("utf-8", "replace").splitlines()]
            hashes = np.fromiter((_hash(v) for v in values if v and not v.startswith("#")), dtype=np.uint64)
            arrays[member.name] = np.unique(hashes)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{path.name}.{os.getpid()}.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return path


def _contains(sorted_hashes: np.ndarray, value: str) -> bool:
    h = np.uint64(_hash(value))
    i = int(np.searchsorted(sorted_hashes, h))
    return i < len(sorted_hashes) and sorted_hashes[i] == h


class BundledLists:
    """datatrove's rules over its bundled lists: hashed domain/URL arrays, then its word filter."""

    def __init__(self, path: str, soft_word_threshold: int):
        from datatrove.pipeline.filters.url_filter import URLFilter, get_list
        from datatrove.utils._import_utils import ASSETS_PATH
        from tldextract import TLDExtract

        data = np.load(path)
        self.domains, self.urls = data["domains"], data["urls"]
        self.tld = TLDExtract(suffix_list_urls=())  # the bundled snapshot, never the network

        def words(name):
            return [w for w in get_list(ASSETS_PATH, name, set()) if w]

        self.word_filter = URLFilter(soft_word_threshold=soft_word_threshold, use_integrated_lists=False,
                                     banned_words=words("banned_words.txt"), banned_subwords=words("banned_subwords.txt"),
                                     soft_banned_words=words("soft_banned_words.txt"))

    def blocked(self, url: str) -> str | None:
        info = self.tld(url)
        if info.top_domain_under_public_suffix and _contains(self.domains, info.top_domain_under_public_suffix):
            return "domain"
        if info.fqdn and _contains(self.domains, info.fqdn):
            return "subdomain"
        if _contains(self.urls, url):
            return "url"
        return self.word_rule(url)

    def word_rule(self, url: str) -> str | None:
        """datatrove's word rules over its word lists (its filter would extract the domain again)."""
        from datatrove.pipeline.filters.url_filter import normalize, normalizer

        f = self.word_filter
        url_words = set(normalizer.split(url))
        if not url_words.isdisjoint(f.banned_words):  # datatrove loops over its list; same answer
            return "hard_blacklisted"
        if len(url_words & f.soft_banned_words) >= f.soft_word_threshold:
            return "soft_blacklisted"
        if f.banned_subwords and next(f.banned_subwords_automaton.iter(normalize(url)), False):
            return "blacklisted_subword"
        return None
