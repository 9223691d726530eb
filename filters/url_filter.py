"""`url_filter`: datatrove's URLFilter with its bundled blocklists, plus the user's own lists.

Precedence: the user's allow lists, then the user's deny lists, then the bundled lists
(domains, URLs, banned and soft-banned words in the URL). Documents without a URL pass. The
bundled lists ship inside the datatrove wheel and are unpacked locally on first use; the
public-suffix list is tldextract's bundled snapshot (no fetch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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

    def __init__(self, params=None):
        super().__init__(params)
        self._bundled = None
        self.allow = [re.compile(p) for p in self.params.allow_patterns]
        self.deny = [re.compile(p) for p in self.params.deny_patterns]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_bundled"] = None
        return state

    @property
    def bundled(self):
        if self._bundled is None:
            from datatrove.pipeline.filters.url_filter import URLFilter
            from tldextract import TLDExtract

            f = URLFilter(soft_word_threshold=self.params.soft_word_threshold)
            f.tldextractor = TLDExtract(suffix_list_urls=())  # the bundled snapshot, never the network
            self._bundled = f
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
            result = self.bundled.filter(doc)
            if result is not True:
                why = result[1] if isinstance(result, tuple) else "listed"
                return False, f"blocklist: {BUNDLED_REASONS.get(why, why)}"
        return True
