"""The base of every pipeline step: a datatrove BaseFilter that marks instead of dropping.

A step subclasses `LedgerStep`, sets `step_name` (the name used in the pipeline YAML) and a
`Params` dataclass (its config keys and defaults), and implements datatrove's
`filter(doc) -> bool | (False, reason)` (or `filter_batch`). Documents already removed by an
earlier step pass through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter, get_filter_result
from datatrove.utils.batching import batched
from datatrove.utils.typeshelper import StatHints

from corpus.ledger import mark_removed, removed_by


@dataclass
class NoParams:
    pass


class LedgerStep(BaseFilter):
    step_name: ClassVar[str]
    Params: ClassVar[type] = NoParams
    # attributes each worker loads for itself (models, indexes): not pickled to the workers
    worker_local: ClassVar[tuple[str, ...]] = ()

    def __getstate__(self):
        state = dict(self.__dict__)
        for name in self.worker_local:
            state[name] = None
        return state

    def __init__(self, params=None, batch_size: int = 1):
        super().__init__(batch_size=batch_size)
        self.params = params if params is not None else self.Params()
        for name in self.worker_local:  # loaded on first use, in each worker
            setattr(self, name, None)

    @property
    def name(self) -> str:  # datatrove shows this in stats and logs
        return self.step_name

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for batch in batched(data, self.batch_size):
            live = [doc for doc in batch if removed_by(doc) is None]
            if live:
                with self.track_time("batch" if self.batch_size > 1 else None):
                    results = self.filter_batch(live)
                for doc, result in zip(live, results):
                    self.stat_update(StatHints.total)
                    keep, reason = get_filter_result(result)
                    if keep:
                        self.stat_update(StatHints.forwarded)
                    else:
                        self.stat_update(StatHints.dropped)
                        mark_removed(doc, self.step_name, reason or "removed")
            yield from batch
