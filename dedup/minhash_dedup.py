"""`minhash_dedup`: near-duplicate removal with MinHash, LSH banding and connected components.

Keys (per document): MinHash signature and band hashes (dedup.minhash). Decide: documents
sharing any band bucket are linked to the bucket's first member; a link is kept only if the
pair's Jaccard reaches the threshold: `verify: exact` (default) compares the two documents'
shingle sets (a document of an earlier version has only its signature stored, so links to it
use the estimate), `verify: estimate` compares signatures, `verify: none` keeps every
candidate (the LSH S-curve alone decides); connected
components of the links are clusters, and the keep rule picks one document per cluster.
All joins run in DuckDB over Parquet, so memory stays bounded. `against:` adds the kept
documents of earlier versions (their stored index) as members that always stay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpus.errors import UserError
from corpus.global_step import DecideContext, GlobalStep
from dedup.components import connected_components
from dedup.exact import DedupParams, index_params_match
from dedup.keep_rule import write_decisions
from dedup.lsh import choose_bands, s_curve
from dedup.minhash import MinHasher, band_hashes, true_jaccard
from dedup.normalise import Normaliser


@dataclass
class MinhashParams(DedupParams):
    threshold: float = 0.8
    ngram: int = 5
    num_perm: int = 256
    bands: int | None = None  # with rows: override the bands x rows chosen from the threshold
    rows: int | None = None
    verify: str = "exact"  # exact | estimate | none: how candidate links are checked
    seed: int = 1

    def validate(self, where: str):
        super().validate(where)
        if not 0.0 < self.threshold <= 1.0:
            raise UserError(f"{where}.threshold: must be in (0, 1], got {self.threshold}")
        if self.ngram < 1 or self.num_perm < 8:
            raise UserError(f"{where}: ngram must be >= 1 and num_perm >= 8")
        if self.verify not in VERIFY:
            raise UserError(f"{where}.verify: {self.verify!r} is not one of {', '.join(VERIFY)}")
        if (self.bands is None) != (self.rows is None):
            raise UserError(f"{where}: give both bands and rows, or neither")
        if self.bands and self.bands * self.rows > self.num_perm:
            raise UserError(f"{where}: bands x rows ({self.bands * self.rows}) exceeds num_perm ({self.num_perm})")

    def banding(self) -> tuple[int, int]:
        if self.bands:
            return self.bands, self.rows
        weights = (0.05, 0.95) if self.verify != "none" else (0.5, 0.5)
        return choose_bands(self.threshold, self.num_perm, *weights)


VERIFY = ("exact", "estimate", "none")


class MinhashDedup(GlobalStep):
    step_name = "minhash_dedup"
    Params = MinhashParams

    def __init__(self, params=None):
        super().__init__(params)
        p = self.params
        self.bands, self.rows = p.banding()
        self.normalise = Normaliser(p.normalisation())
        self.hasher = MinHasher(p.num_perm, p.ngram, p.seed)

    def key_schema(self) -> pa.Schema:  # instance-level: the signature width depends on num_perm
        return pa.schema(list(super().key_schema()) + [("bands", pa.list_(pa.int64())),
                                                        ("sig", pa.binary(4 * self.params.num_perm)),
                                                        ("shingles", pa.binary())])

    def index_card(self) -> dict:
        p = self.params
        return {"num_perm": p.num_perm, "ngram": p.ngram, "seed": p.seed, "bands": self.bands, "rows": self.rows,
                "normalisation": p.normalisation().describe(), "hash": "corpusmill-minhash-v2"}

    def keys(self, docs):
        exact = self.params.verify == "exact"
        texts = [self.normalise.bytes(d.text, collapse=False) for d in docs]
        sig, which, *shingles = self.hasher.signatures(texts, with_shingles=exact)
        bands = band_hashes(sig, self.bands, self.rows)
        rows = [{"bands": None, "sig": None, "shingles": None} for _ in docs]
        for i, doc_index in enumerate(which):
            rows[doc_index] = {"bands": bands[i].tolist(), "sig": sig[i].tobytes(),
                               "shingles": shingles[0][i].tobytes() if exact else None}
        return rows

    def against_refs(self):
        return self.params.against_list()

    def decide(self, ctx: DecideContext) -> None:
        p = self.params
        ctx.report.append(f"minhash_dedup: {self.bands} bands x {self.rows} rows; P(candidate) at Jaccard "
                          + ", ".join(f"{s:.2f}: {q:.3f}" for s, q in s_curve(self.bands, self.rows)))
        con = ctx.connect()
        # nodes carry what the join and the keep rule need; signatures and shingle sets stay in the
        # Parquet files and are read only for candidate pairs (see _verified)
        parts = [f"SELECT NULL::VARCHAR AS earlier_ref, 0 AS era, rank, pos, id, n_chars, quality_score, bands "
                 f"FROM read_parquet('{ctx.keys_glob}') WHERE bands IS NOT NULL"]
        payload = [f"SELECT 0 AS era, rank, pos, sig, shingles FROM read_parquet('{ctx.keys_glob}') "
                   f"WHERE bands IS NOT NULL"]
        for k, e in enumerate(ctx.earlier):
            index_params_match(e.path / "index", self.step_name, self.index_card(), e.ref)
            index = e.path / "index" / "minhash_dedup.parquet"
            rows = f"read_parquet('{index}', file_row_number = true)"  # a stable position for each row
            parts.append(f"SELECT '{e.ref}', {-(k + 1)}, -1, file_row_number, id, 0, NULL, bands FROM {rows}")
            payload.append(f"SELECT {-(k + 1)}, -1, file_row_number, sig, NULL::BLOB FROM {rows}")
        con.execute("CREATE TEMP TABLE nodes AS SELECT row_number() OVER (ORDER BY era, rank, pos) AS node, * FROM ("
                    + " UNION ALL ".join(parts) + ")")
        con.execute("CREATE TEMP VIEW payload AS " + " UNION ALL ".join(payload))
        con.execute("""
            CREATE TEMP TABLE candidates AS
            SELECT DISTINCT node AS a, root AS b FROM (
                SELECT node, min(node) OVER (PARTITION BY band, h) AS root
                FROM (SELECT node, unnest(bands) AS h, generate_subscripts(bands, 1) AS band FROM nodes))
            WHERE node <> root""")
        n_candidates = con.execute("SELECT count(*) FROM candidates").fetchall()[0][0]
        edges = "candidates"
        if p.verify != "none" and n_candidates:
            edges = self._verified(con, ctx, p.threshold)
        n_edges = con.execute(f"SELECT count(*) FROM {edges}").fetchall()[0][0]
        rounds = connected_components(con, edges, "labels")
        con.execute("""CREATE TEMP VIEW groups AS SELECT l.label AS grp, n.earlier_ref, n.rank, n.pos, n.id,
                       n.n_chars, n.quality_score FROM labels l JOIN nodes n USING (node)""")
        clusters, removed = write_decisions(con, "groups", p.keep, "near-duplicate", ctx.decisions_path)
        verified = f", {n_edges:,} verified ({p.verify})" if p.verify != "none" else ""
        ctx.report.append(f"minhash_dedup: {n_candidates:,} candidate links{verified}, components in {rounds} rounds; "
                          f"{removed:,} near-duplicates removed in {clusters:,} clusters")

    def _verified(self, con, ctx: DecideContext, threshold: float) -> str:
        """Keep candidate links whose Jaccard (true, or estimated from signatures) reaches the threshold."""
        path = ctx.work_dir / "verified-links.parquet"
        con.execute("""CREATE TEMP TABLE candidate_nodes AS
                       SELECT c.a, c.b, x.era AS ea, x.rank AS ra, x.pos AS pa, y.era AS eb, y.rank AS rb, y.pos AS pb
                       FROM candidates c JOIN nodes x ON x.node = c.a JOIN nodes y ON y.node = c.b""")
        reader = con.sql("""SELECT c.a, c.b, x.sig AS sa, y.sig AS sb, x.shingles AS ha, y.shingles AS hb
                            FROM candidate_nodes c
                            JOIN payload x ON x.era = c.ea AND x.rank = c.ra AND x.pos = c.pa
                            JOIN payload y ON y.era = c.eb AND y.rank = c.rb AND y.pos = c.pb
                            """).to_arrow_reader(20_000)
        schema = pa.schema([("a", pa.int64()), ("b", pa.int64())])
        with pq.ParquetWriter(path, schema) as out:
            for batch in reader:
                n = self.params.num_perm
                sa = np.frombuffer(b"".join(batch.column("sa").to_pylist()), dtype=np.uint32).reshape(-1, n)
                sb = np.frombuffer(b"".join(batch.column("sb").to_pylist()), dtype=np.uint32).reshape(-1, n)
                similarity = (sa == sb).mean(axis=1)
                for i, (ha, hb) in enumerate(zip(batch.column("ha").to_pylist(), batch.column("hb").to_pylist())):
                    if ha is not None and hb is not None:
                        similarity[i] = true_jaccard(np.frombuffer(ha, dtype=np.uint64),
                                                     np.frombuffer(hb, dtype=np.uint64))
                keep = similarity >= threshold
                a = batch.column("a").to_numpy()[keep]
                b = batch.column("b").to_numpy()[keep]
                out.write_table(pa.table({"a": a.astype(np.int64), "b": b.astype(np.int64)}, schema=schema))
        con.execute(f"CREATE TEMP TABLE verified AS SELECT * FROM read_parquet('{path}')")
        return "verified"

    def write_index(self, con, keys_glob, kept_ids_sql, index_dir):
        index_dir.mkdir(parents=True, exist_ok=True)
        # no ORDER BY: sorting wide rows is what ran out of memory at 1M documents; readers use file order
        con.execute(f"COPY (SELECT id, bands, sig FROM read_parquet('{keys_glob}') WHERE bands IS NOT NULL "
                    f"AND id IN ({kept_ids_sql})) TO '{index_dir / 'minhash_dedup.parquet'}' (FORMAT parquet)")
        (index_dir / "minhash_dedup.json").write_text(json.dumps(self.index_card(), indent=2))
