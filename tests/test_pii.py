"""The pii step: what is found and replaced, what look-alikes are left alone, and where values go."""

from __future__ import annotations

import orjson
import polars as pl
import pytest

from conftest import run_cli, write_pipeline
from filters.pii import PiiFinder, iban_ok, luhn_ok

FOUND = {
    "email": ["write to jane.roe+news@mail.example.co.uk today"],
    "phone": ["call +1 415-555-2671 now", "ring 020 7946 0958 (London)", "tel. (212) 555-0123 x42",
              "Telefon +49 30 901820"],
    "credit_card": ["card 4111 1111 1111 1111 on file", "amex 3782-822463-10005", "5500005555555559"],
    "iban": ["IBAN GB82 WEST 1234 5698 7654 32.", "pay DE89370400440532013000 now", "gb82west12345698765432"],
    "ssn": ["SSN 078-05-1120 on record"],
    "ip": ["from 203.0.113.7 at noon", "host 2001:db8::8a2e:370:7334 replied", "gateway 192.168.1.1"],
    "secret": ["key AKIAIOSFODNN7EXAMPLE in config", "token ghp_" + "a" * 36,
               "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----"],
}
LEFT_ALONE = [
    "version 1.2.3 and 10.4.1.2.9",  # versions, and a dotted run that is no IPv4
    "card 4111 1111 1111 1112 fails Luhn",
    "ISBN 978-3-16-148410-0",
    "at 2024-01-15 12:30:00 UTC",
    "SSN 666-12-3456 and 900-12-3456 are not valid",
    "IBAN GB82 WEST 1234 5698 7654 33 (bad checksum)",
    "room 17151 2450 in block B",
    "order number 630427373398",
    "the year 1999 and 2000 and 3,000,000 people",
    'grammar: call ::= primary "(" args ")" and a::b or ::1',
]


@pytest.mark.parametrize("kind,text", [(k, t) for k, texts in FOUND.items() for t in texts])
def test_finds_and_replaces(kind, text):
    scrubbed, counts = PiiFinder().scrub(text)
    assert counts.get(kind, 0) >= 1, (text, counts)
    assert f"<{'IP_ADDRESS' if kind == 'ip' else kind.upper()}>" in scrubbed


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_look_alikes_are_left_alone(text):
    assert PiiFinder().scrub(text) == (text, {})


def test_private_ips_are_optional_and_entities_selectable():
    assert PiiFinder(private_ips=False).scrub("gateway 192.168.1.1")[1] == {}
    assert PiiFinder(private_ips=False).scrub("dns 8.8.8.8")[1] == {"ip": 1}
    assert PiiFinder(entities=["email"]).scrub("a@b.org 078-05-1120")[1] == {"email": 1}


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")


def test_empty_one_word_and_non_latin():
    finder = PiiFinder()
    assert finder.scrub("") == ("", {})
    assert finder.scrub("word") == ("word", {})
    text = "Свяжитесь с нами: иван@пример.рф или ivan@example.ru, 电话 +86 10 6552 9988"
    scrubbed, counts = finder.scrub(text)
    assert "ivan@example.ru" not in scrubbed and counts["email"] >= 1 and counts.get("phone") == 1


def test_pii_step_through_corpus_run_keeps_values_out_of_the_store(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    secret_values = ["jane.roe@example.com", "4111 1111 1111 1111", "078-05-1120", "+1 415-555-2671"]
    records = [{"id": "a", "text": f"Contact {secret_values[0]} or {secret_values[3]} about the harvest."},
               {"id": "b", "text": f"Card {secret_values[1]}, SSN {secret_values[2]}."},
               {"id": "c", "text": "Nothing personal here, only soil and rain."}]
    (raw / "a.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)], id_field="id", steps=[{"pii": {}}]),
            store=tmp_path / "s", check=0)
    vdir = tmp_path / "s" / "ds" / "v1"
    led = pl.read_parquet(vdir / "ledger" / "*.parquet").sort("id")
    found = {r["id"]: r["pii_found"] for r in led.to_dicts()}
    assert found["a"]["email"] == 1 and found["a"]["phone"] == 1
    assert found["b"]["credit_card"] == 1 and found["b"]["ssn"] == 1
    assert found["c"] is None or not any(found["c"].values())
    assert led["kept"].all()
    blob = b"".join(p.read_bytes() for p in vdir.rglob("*") if p.is_file())
    import pyarrow.parquet as pq

    text = " ".join(pq.read_table(vdir / "data").column("text").to_pylist())
    for value in secret_values:
        assert value not in text
        assert value.encode() not in blob
    assert "<EMAIL>" in text and "<CREDIT_CARD>" in text
