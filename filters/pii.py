"""`pii`: find personal data and secrets, replace each with a typed placeholder (<EMAIL>, ...).

Structured types only, each validated so that look-alikes stay: credit cards must pass Luhn
and a known issuer prefix, IBANs the mod-97 checksum and their country's length, US SSNs the
valid area/group/serial ranges, IPs `ipaddress` (private ranges optional), phone numbers
`phonenumbers` validation in several regions. Counts per type go to `pii_found`; the values
themselves go nowhere. bench/pii_peers.py compares spans with Presidio's pattern recognizers.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from corpus.errors import UserError
from corpus.ledger import INPUT_FIELDS, PII_ENTITIES
from corpus.step import LedgerStep

SECRET_MARKERS = ("-----BEGIN", "AKIA", "ASIA", "gh", "github_pat_", "xox", "AIza", "sk_", "rk_", "sk-", "eyJ", "hf_")
PLACEHOLDER = {"email": "<EMAIL>", "phone": "<PHONE>", "ip": "<IP_ADDRESS>", "credit_card": "<CREDIT_CARD>",
               "iban": "<IBAN>", "ssn": "<SSN>", "secret": "<SECRET>"}
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IN", "CA", "AU", "BR", "IL", "NL", "ES", "IT")

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b")
SECRETS = re.compile("|".join([
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key id
    r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b",  # GitHub
    r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b",
    r"\bxox[abposr]-[A-Za-z0-9-]{10,250}\b",  # Slack
    r"\bAIza[0-9A-Za-z_\-]{35}\b",  # Google API key
    r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,247}\b",  # Stripe
    r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{32,}\b",  # OpenAI-style
    r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b",  # JWT
    r"\bhf_[A-Za-z0-9]{30,}\b",  # Hugging Face
]))
IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}\b")
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
SSN = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")  # a sentence-ending period may follow
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
PHONE_CANDIDATE = re.compile(r"(?<![\w+])\+?\(?\d[\d \t().\-/]{5,}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w])")
PHONE_EXTENSION = re.compile(r"\s?(?:x|ext\.?)\s?\d{1,6}$")
DATE_LIKE = re.compile(r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?:\D|$)")
DIGIT_GROUPS = re.compile(r"\d+")

IBAN_LENGTHS = {"AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
                "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28,
                "IE": 22, "IL": 23, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
                "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SA": 24, "SE": 24, "SI": 19,
                "SK": 24, "SM": 27, "TR": 26}
CARD_PREFIXES = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|6(?:011|5|4[4-9]|2)|35|1800|2131)")


class Span(NamedTuple):
    start: int
    end: int
    kind: str


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    code = candidate.replace(" ", "").upper()
    expected = IBAN_LENGTHS.get(code[:2])
    if expected is None or len(code) != expected:
        return False
    rearranged = code[4:] + code[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def iban_end(text: str, start: int, end: int) -> int | None:
    """End of a valid IBAN starting at `start` within a regex match that may run on into other text."""
    expected = IBAN_LENGTHS.get(text[start:start + 2].upper())
    if expected is None:
        return None
    count, pos = 0, start
    while pos < end and count < expected:
        if text[pos] != " ":
            count += 1
        pos += 1
    if count == expected and iban_ok(text[start:pos]) and (pos == len(text) or not text[pos].isalnum()):
        return pos
    return None


def phone_ok(candidate: str) -> bool:
    """A phone number valid in some region (international numbers need their + prefix).

    Written like a phone number too: a + or an area code in parentheses, or at least three
    groups of digits; two groups ("17151 2450") are house numbers and postcodes as often as
    not, and one long run of digits is more often an account or card number.
    """
    import phonenumbers

    candidate = PHONE_EXTENSION.sub("", candidate.strip())
    digits = sum(c.isdigit() for c in candidate)
    if not 7 <= digits <= 15 or DATE_LIKE.match(candidate) or SSN.fullmatch(candidate):
        return False  # dates, and the SSN shape even when the SSN is invalid
    if not (candidate.startswith("+") or "(" in candidate or len(DIGIT_GROUPS.findall(candidate)) >= 3):
        return False
    regions = (None,) if candidate.startswith("+") else PHONE_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def ssn_ok(area: str, group: str, serial: str) -> bool:
    a = int(area)
    return a not in (0, 666) and a < 900 and group != "00" and serial != "0000"


@dataclass
class PiiParams:
    entities: list[str] = field(default_factory=lambda: list(PII_ENTITIES))
    private_ips: bool = True  # also scrub private, loopback and link-local addresses

    def validate(self, where: str):
        unknown = [e for e in self.entities if e not in PII_ENTITIES]
        if unknown:
            raise UserError(f"{where}.entities: unknown entity {unknown[0]!r} (known: {', '.join(PII_ENTITIES)})")


class PiiFinder:
    """Spans of PII in a text; the order of the checks resolves overlaps (first found wins)."""

    def __init__(self, entities=PII_ENTITIES, private_ips: bool = True):
        self.entities = set(entities)
        self.private_ips = private_ips

    def find(self, text: str) -> list[Span]:
        spans: list[Span] = []
        taken = bytearray(len(text))

        def add(start, end, kind):
            if not any(taken[start:end]):
                spans.append(Span(start, end, kind))
                taken[start:end] = b"\x01" * (end - start)

        e = self.entities
        if "secret" in e and any(marker in text for marker in SECRET_MARKERS):  # skip the slow regex
            for m in SECRETS.finditer(text):
                add(m.start(), m.end(), "secret")
        if "email" in e and "@" in text:
            for m in EMAIL.finditer(text):
                add(m.start(), m.end(), "email")
        if "iban" in e:
            for m in IBAN.finditer(text):
                end = iban_end(text, m.start(), m.end())
                if end:
                    add(m.start(), end, "iban")
        if "credit_card" in e:
            for m in CARD.finditer(text):
                digits = m.group().replace(" ", "").replace("-", "")
                if 13 <= len(digits) <= 19 and CARD_PREFIXES.match(digits) and luhn_ok(digits):
                    add(m.start(), m.end(), "credit_card")
        if "ssn" in e:
            for m in SSN.finditer(text):
                if ssn_ok(m.group(1), m.group(3), m.group(4)):
                    add(m.start(), m.end(), "ssn")
        if "ip" in e:
            patterns = ([IPV4] if "." in text else []) + ([IPV6] if text.count(":") >= 2 else [])
            for pattern in patterns:
                for m in pattern.finditer(text):
                    if self._ip_ok(m.group()):
                        add(m.start(), m.end(), "ip")
        if "phone" in e:
            for m in PHONE_CANDIDATE.finditer(text):
                if not any(taken[m.start():m.end()]) and phone_ok(m.group()):
                    add(m.start(), m.end(), "phone")
        return sorted(spans)

    def _ip_ok(self, candidate: str) -> bool:
        try:
            ip = ipaddress.ip_address(candidate)
        except ValueError:
            return False
        if ip.version == 6 and sum(1 for group in candidate.split(":") if group) < 3:
            return False  # "::", "::1", "a::b" and grammar notation like "x ::= y" are not addresses
        return self.private_ips or ip.is_global


    def scrub(self, text: str) -> tuple[str, dict[str, int]]:
        """Text with every span replaced by its placeholder, and counts per type."""
        spans = self.find(text)
        if not spans:
            return text, {}
        out, last, counts = [], 0, {}
        for s in spans:
            out += [text[last:s.start], PLACEHOLDER[s.kind]]
            last = s.end
            counts[s.kind] = counts.get(s.kind, 0) + 1
        out.append(text[last:])
        return "".join(out), counts


class PiiScrubber(LedgerStep):
    """Never removes a document: replaces what it finds and counts it.

    The record's other fields (metadata, and the turns of chat and preference records, which
    training reads back) are scrubbed too; the counts are those found in the text.
    """

    step_name = "pii"
    Params = PiiParams

    def __init__(self, params=None):
        super().__init__(params)
        self.finder = PiiFinder(self.params.entities, self.params.private_ips)

    def filter(self, doc):
        doc.text, counts = self.finder.scrub(doc.text)
        doc.metadata["pii_found"] = counts
        fields = doc.metadata.get(INPUT_FIELDS)
        if fields:
            doc.metadata[INPUT_FIELDS] = self.scrub_strings(fields)
        return True

    def scrub_strings(self, value):
        if isinstance(value, str):
            return self.finder.scrub(value)[0]
        if isinstance(value, list):
            return [self.scrub_strings(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub_strings(v) for k, v in value.items()}
        return value


_DISPLAY_FINDER: PiiFinder | None = None


def scrub_for_display(text: str) -> str:
    """Text with every PII type replaced (private IPs too): what reports and audits may show."""
    global _DISPLAY_FINDER
    if _DISPLAY_FINDER is None:
        _DISPLAY_FINDER = PiiFinder(PII_ENTITIES, private_ips=True)
    return _DISPLAY_FINDER.scrub(text)[0]
