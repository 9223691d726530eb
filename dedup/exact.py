"""`exact_dedup`: one document per hash of the normalised text (xxh3-128)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import xxhash

from corpus.errors import UserError
from corpus.global_step import DecideContext, GlobalStep
from dedup.keep_rule import KEEP_RULES, write_decisions
from dedup.normalise import Normalisation, Normaliser


@dataclass
class DedupParams:
    keep: str = "first"  # first | longest | quality
    lowercase: bool = True
    punctuation: bool = True
    digits: bool = False
    whitespace: bool = True
    against: str | list[str] | None = None  # "previous", or versions: [v1, legal@v3]

    def validate(self, where: str):
        if self.keep not in KEEP_RULES:
            raise UserError(f"{where}.keep: {self.keep!r} is not one of {', '.join(KEEP_RULES)}")

    def normalisation(self) -> Normalisation:
        return Normalisation(self.lowercase, self.punctuation, self.digits, self.whitespace)

    def against_list(self) -> list[str]:
        if self.against is None:
            return []
        return [self.against] if isinstance(self.against, str) else list(self.against)


def index_params_match(index_dir: Path, step_name: str, params: dict, ref: str) -> None:
    """An earlier index is usable only if it was built the same way."""
    card = json.loads((index_dir / f"{step_name}.json").read_text())
    if card != params:
        diff = {k: (card.get(k), v) for k, v in params.items() if card.get(k) != v}
        raise UserError(f"steps.{step_name}.against: {ref}'s index was built with other settings "
                        f"({', '.join(f'{k}: {a} there, {b} here' for k, (a, b) in diff.items())})")


class ExactDedup(GlobalStep):
    step_name = "exact_dedup"
    Params = DedupParams
    key_fields = [("h", pa.binary(16))]
    batch_size = 1024

    def __init__(self, params=None):
        super().__init__(params)
        self.normalise = Normaliser(self.params.normalisation())

    def index_card(self) -> dict:
        return {"hash": "xxh3_128-v1", "normalisation": self.params.normalisation().describe()}

    def keys(self, docs):
        return [{"h": xxhash.xxh3_128_digest(self.normalise.bytes(doc.text))} for doc in docs]

    def against_refs(self):
        return self.params.against_list()

    def decide(self, ctx: DecideContext) -> None:
        con = ctx.connect()
        parts = [f"SELECT h AS grp, NULL::VARCHAR AS earlier_ref, rank, pos, id, n_chars, quality_score "
                 f"FROM read_parquet('{ctx.keys_glob}')"]
        for e in ctx.earlier:
            index_params_match(e.path / "index", self.step_name, self.index_card(), e.ref)
            parts.append(f"SELECT h, '{e.ref}', -1, row_number() OVER (), id, 0, NULL "
                         f"FROM read_parquet('{e.path / 'index' / 'exact_dedup.parquet'}')")
        con.execute("CREATE TEMP VIEW groups AS " + " UNION ALL ".join(parts))
        clusters, removed = write_decisions(con, "groups", self.params.keep, "exact duplicate",
                                            ctx.decisions_path)
        ctx.report.append(f"exact_dedup: {removed:,} duplicates removed in {clusters:,} clusters")

    def write_index(self, con, keys_glob, kept_ids_sql, index_dir):
        index_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT id, h FROM read_parquet('{keys_glob}') WHERE id IN ({kept_ids_sql})) "
                    f"TO '{index_dir / 'exact_dedup.parquet'}' (FORMAT parquet)")
        (index_dir / "exact_dedup.json").write_text(json.dumps(self.index_card(), indent=2))
