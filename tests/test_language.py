"""The language step: labels, the paragraph vote, keep/min_score decisions, ledger columns."""

from __future__ import annotations

import time

import polars as pl
import pytest

from conftest import run_cli, write_pipeline
from filters.language import LanguageFilter, LanguageModel, LanguageParams

TEXTS = {
    "en": "The farmers planted wheat in the northern fields after the spring rains had ended.",
    "de": "Die Landwirte säten Weizen auf den nördlichen Feldern, nachdem der Frühlingsregen aufgehört hatte.",
    "fr": "Les agriculteurs ont semé du blé dans les champs du nord après la fin des pluies de printemps.",
    "es": "Los agricultores sembraron trigo en los campos del norte después de que terminaran las lluvias.",
    "ru": "Фермеры посеяли пшеницу на северных полях после того, как закончились весенние дожди.",
    "ja": "農家の人々は春の雨が終わった後、北の畑に小麦を植えました。",
    "ar": "زرع المزارعون القمح في الحقول الشمالية بعد انتهاء أمطار الربيع.",
}


@pytest.fixture(scope="module")
def model():
    return LanguageModel()


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_labels_across_scripts(model, lang):
    got, score = model.predict_document(TEXTS[lang])
    assert got == lang and score > 0.5


def test_paragraph_vote_outweighs_boilerplate(model):
    page = "\n".join(["Accept all cookies and continue to the site navigation menu", TEXTS["de"], TEXTS["de"]
                      .replace("Weizen", "Gerste"), "Impressum Datenschutz Kontakt"])
    assert model.predict_document(page)[0] == "de"


def test_long_document_is_sampled_and_fast(model):
    long_text = "\n".join([TEXTS["fr"]] * 20000)  # about 1.9 MB
    start = time.perf_counter()
    assert model.predict_document(long_text)[0] == "fr"
    assert time.perf_counter() - start < 0.5


def test_filter_decisions_and_reasons():
    step = LanguageFilter(LanguageParams(keep=["en", "de"], min_score=0.9))
    from datatrove.data import Document

    docs = {k: Document(text=v, id=k) for k, v in TEXTS.items()}
    assert step.filter(docs["en"]) is True and docs["en"].metadata["lang"] == "en"
    keep, reason = step.filter(docs["fr"])
    assert not keep and reason.startswith("language fr (") and "not in ['de', 'en']" in reason
    keep, reason = step.filter(Document(text="Hallo", id="short"))
    assert not keep  # one word: either another language or a low score
    label_only = LanguageFilter(LanguageParams())
    assert label_only.filter(docs["ja"]) is True and docs["ja"].metadata["lang"] == "ja"


def test_language_step_through_corpus_run(tmp_path):
    import orjson

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_bytes(b"".join(orjson.dumps({"id": k, "text": v}) + b"\n" for k, v in TEXTS.items()))
    steps = [{"language": {"keep": ["en", "fr"], "min_score": 0.5}}]
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)], id_field="id", steps=steps),
            store=tmp_path / "s", check=0)
    led = pl.read_parquet(tmp_path / "s" / "ds" / "v1" / "ledger" / "*.parquet")
    assert sorted(led.filter("kept")["id"]) == ["en", "fr"]
    assert dict(zip(led["id"], led["lang"])) == {k: k for k in TEXTS}
    assert led.filter(pl.col("removed_by") == "language").height == 5
    data = pl.read_parquet(tmp_path / "s" / "ds" / "v1" / "data" / "*.parquet")
    assert data["lang_score"].min() > 0.5
