"""Text normalisation shared by exact and MinHash dedup (configurable, documented in the README).

Defaults: lowercase, punctuation to spaces, whitespace runs collapsed; digits kept. With
`digits: true`, every digit becomes 0, so pages that differ only in dates or counters match.
"""

from __future__ import annotations

import string
from dataclasses import dataclass



@dataclass(frozen=True)
class Normalisation:
    lowercase: bool = True
    punctuation: bool = True
    digits: bool = False
    whitespace: bool = True

    def table(self) -> dict:
        table = {}
        if self.punctuation:
            table.update({ord(c): " " for c in string.punctuation + "«»“”‘’„‚…–—·•¡¿"})
        if self.digits:
            table.update({ord(d): "0" for d in string.digits})
        return table

    def describe(self) -> dict:
        return {"lowercase": self.lowercase, "punctuation": self.punctuation, "digits": self.digits,
                "whitespace": self.whitespace}


class Normaliser:
    """Callable text → normalised UTF-8 bytes, with its translation tables built once.

    The work happens on bytes (bytes.translate with a 256-entry table runs at memory speed);
    text with non-ASCII characters also gets a bytes.replace per Unicode punctuation mark.
    Normalisation was the largest cost of MinHash signatures (bench/dedup_peers.py).
    """

    def __init__(self, how: Normalisation):
        self.how = how
        table = how.table()
        ascii_map = bytearray(range(256))
        for code, repl in table.items():
            if code < 128:
                ascii_map[code] = ord(repl)
        if how.punctuation:
            for c in b"\t\n\r\x0b\x0c":
                ascii_map[c] = 32
        self._bytes_table = bytes(ascii_map)
        # non-ASCII punctuation as UTF-8 byte strings: bytes.replace beats str.translate on non-ASCII text
        self._unicode = [(chr(c).encode(), r.encode()) for c, r in table.items() if c >= 128]

    def bytes(self, text: str, collapse: bool = True) -> bytes:
        """Normalised UTF-8; collapse=False leaves whitespace runs (MinHash splits on runs anyway)."""
        if self.how.lowercase:
            text = text.lower()
        data = text.encode()
        if self._unicode and not data.isascii():
            for old, new in self._unicode:
                data = data.replace(old, new)
        data = data.translate(self._bytes_table)
        if collapse and self.how.whitespace:
            data = b" ".join(data.split())
        return data

    def __call__(self, text: str) -> str:
        return self.bytes(text).decode()
