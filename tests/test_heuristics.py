"""Heuristic quality steps: each rule trips on a document made to trip it, with datatrove's reason
names; good prose passes; the shared tokenizer and n-gram keys match datatrove's definitions."""

from __future__ import annotations

import random

import numpy as np

import orjson
import polars as pl
import pytest
from datatrove.data import Document
from datatrove.pipeline.filters.gopher_repetition_filter import find_all_duplicate, find_top_duplicate, get_n_grams

from conftest import run_cli, write_pipeline
from filters.heuristics import (C4Quality, FineWebQuality, GopherQuality, GopherQualityParams, GopherRepetition,
                                all_duplicate_chars, top_duplicate_chars)
from filters.text_stats import NGramKeys, count_sentences, words_of, words_of_by_regex

PROSE = ("The farmers of the valley have grown wheat and barley for generations. "
         "They rotate the crops to keep the soil healthy, and they rest each field every few years. "
         "In spring the rain is heavy, so the drainage ditches have to be cleared before planting. "
         "Most of the harvest is sold to a cooperative that mills the grain nearby. "
         "The rest is kept as seed and as feed for the animals over the winter months.\n")


def judge(step, text):
    result = step.filter(Document(text=text, id="t"))
    return (True, None) if result is True else result


@pytest.mark.parametrize("step", [GopherQuality(), GopherRepetition(), C4Quality(), FineWebQuality()])
def test_good_prose_passes(step):
    assert judge(step, PROSE)[0], judge(step, PROSE)


@pytest.mark.parametrize("step,text,reason", [
    (GopherQuality(), "Too short to keep.", "gopher_short_doc"),
    (GopherQuality(), " ".join(["growing #harvest season"] * 60) + " the and of", "gopher_too_many_hashes"),
    (GopherQuality(), "\n".join(f"- item {i} of the list and the rest" for i in range(60)), "gopher_too_many_bullets"),
    (GopherQuality(), " ".join(["12345 67890 ---"] * 40) + " the and", "gopher_below_alpha_threshold"),
    (GopherQuality(), " ".join(["farming soil crops harvest"] * 20), "gopher_enough_stop_words"),
    (GopherRepetition(), "\n\n".join(["The same paragraph again and again."] * 6 + ["Another one."]), "dup_para_frac"),
    (GopherRepetition(), " ".join(["buy cheap seeds now"] * 50), "top_2_gram"),
    (C4Quality(), "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n" + PROSE, "lorem_ipsum"),
    (C4Quality(), "function f() { return 1; } is a line.\n" + PROSE, "curly_bracket"),
    (C4Quality(), "One short line.\nAnother one here.", "too_few_sentences"),
    (FineWebQuality(), "\n".join(["menu item"] * 30), "line_punct_ratio"),
    (FineWebQuality(), "\n".join(["Short line."] * 10 + [PROSE.split(chr(10))[0]]), "short_line_ratio"),
])
def test_rules_trip_with_their_reason(step, text, reason):
    keep, why = judge(step, text)
    assert not keep and why.startswith(reason), why


def test_edge_cases_empty_one_word_non_latin_long():
    assert judge(GopherQuality(), "")[1].startswith("gopher_short_doc")
    assert judge(GopherQuality(), "word")[1].startswith("gopher_short_doc")
    assert judge(FineWebQuality(), "")[1] == "empty"
    cyrillic = "Фермеры посеяли пшеницу на северных полях после того как закончились весенние дожди. " * 12
    assert len(words_of(cyrillic)) > 100  # non-Latin words are words
    long_text = (PROSE * 400)[:1_000_000]
    assert judge(GopherRepetition(), long_text)[0] is False  # very repetitive, and it finishes


def test_c4_rewrites_the_text_without_policy_and_javascript_lines():
    doc = Document(text=PROSE + "This site uses cookies, see the privacy policy.\nPlease enable JavaScript to go on.\n",
                   id="c")
    assert C4Quality().filter(doc) is True
    assert "cookies" not in doc.text and "JavaScript" not in doc.text and "farmers" in doc.text


def test_thresholds_are_configurable():
    assert judge(GopherQuality(GopherQualityParams(min_doc_words=3, min_stop_words=0)), "Too short to keep.")[0]


def test_tokenizer_follows_spacy_where_rules_look():
    assert words_of("Mr. Smith paid $3.50 for 1.5bn shares in the U.S. It's done... isn't it?") == [
        "Mr.", "Smith", "paid", "$", "3.50", "for", "1.5bn", "shares", "in", "the", "U.S.", "It", "'s", "done",
        "...", "is", "n't", "it", "?"]
    assert count_sentences(words_of("It rained. Then it stopped! Did it? Yes...")) == 4


def test_ngram_keys_equal_datatrove_definitions():
    rng = random.Random(0)
    for _ in range(200):
        words = [rng.choice(["a", "b", "ab", "c", "bc", "the", "é", "日本"]) for _ in range(rng.randint(0, 50))]
        plain, spaced = NGramKeys(words), NGramKeys(words, separator=" ")
        derived = NGramKeys(words, separator=" ", plain=plain)  # the spaced keys built from the plain ones
        for n in range(2, 11):
            assert all_duplicate_chars(plain, n) == find_all_duplicate(words, n)
            assert all(np.array_equal(a, b) for a, b in zip(derived.keys(n), spaced.keys(n)))
            grams = get_n_grams(words, n)
            if grams:
                assert top_duplicate_chars(spaced, n) == find_top_duplicate(grams)
                assert top_duplicate_chars(derived, n) == find_top_duplicate(grams)


def test_heuristic_steps_through_corpus_run(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    records = [{"id": "good", "text": PROSE}, {"id": "stub", "text": "Click here."},
               {"id": "spam", "text": " ".join(["buy cheap seeds now"] * 50)}]
    (raw / "a.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    steps = [{"gopher_quality": {}}, {"gopher_repetition": {}}, {"c4_quality": {}}, {"fineweb_quality": {}}]
    run_cli("run", write_pipeline(tmp_path / "p.yaml", [str(raw)], id_field="id", steps=steps),
            store=tmp_path / "s", check=0)
    led = pl.read_parquet(tmp_path / "s" / "ds" / "v1" / "ledger" / "*.parquet")
    by_id = {r["id"]: r for r in led.to_dicts()}
    assert by_id["good"]["kept"]
    assert by_id["stub"]["removed_by"] == "gopher_quality" and by_id["stub"]["reason"].startswith("gopher_short_doc")
    assert by_id["spam"]["removed_by"] in ("gopher_quality", "gopher_repetition")


def test_tokenizer_shortcuts_agree_with_the_regex():
    rng = random.Random(3)
    pieces = ["crop", "Mr", "mr", "No", "U.S", "e.g", "600m", "1990", "don't", "dogs'", "www", "x_", "über", "日本",
              "rain", "it's", "A", "co", "e\u0301", "ﬁ", "²", "…", "--", "http://a.b/c", "a@b.co"]
    ends = ["", ".", ",", ";", ":", "!", "?", ")", "'", '"', "_", "…", ".."]
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) + rng.choice(ends) for _ in range(rng.randint(1, 12)))
        assert words_of(text) == words_of_by_regex(text), text


def test_repetition_bounds_never_change_a_decision():
    """The filter skips exact counts it can bound below a threshold; the full computation agrees."""
    params = GopherRepetition.Params()
    rng = random.Random(7)
    checked = 0
    for _ in range(300):
        vocab = [f"w{i}" for i in range(rng.choice([3, 8, 30, 300]))]
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(20, 300)))
        words = text.split()
        plain, spaced = NGramKeys(words), NGramKeys(words, separator=" ")
        expected = True
        for n, frac in params.top_n_grams:
            if top_duplicate_chars(spaced, int(n)) / len(text) > frac:
                expected = (False, f"top_{int(n)}_gram")
                break
        else:
            for n, frac in params.dup_n_grams:
                if all_duplicate_chars(plain, int(n)) / len(text) > frac:
                    expected = (False, f"duplicated_{int(n)}_n_grams")
                    break
        got = GopherRepetition().filter(Document(text=text, id="x"))
        if expected is True:
            assert got is True, text
        else:
            assert got[0] is False and got[1].startswith(expected[1] + " "), (got, expected)
            checked += 1
    assert checked > 50  # the random texts exercise the rejecting paths too
