"""The scorer as a stage of a batch engine: a callable class over Arrow or pandas batches.

Ray Data runs it with ``map_batches(BatchScorer, fn_constructor_kwargs=..., concurrency=N)``:
each actor builds one :class:`BatchScorer`, which owns a :class:`RewardService` (its killable
verifier worker pool, cache client and judge client), so every deadline of the service holds
inside the actor — Ray itself gives no per-row timeout. Nothing here imports Ray.

A batch holds a dump's columns (read through a :class:`~reward_service.dumps.Shape`: verl,
OpenRLHF, plain), or one column of JSON text lines (``line_column``). The batch comes back with
every input column and the columns of :data:`RESULT_COLUMNS` (prefixed ``rescore_``): a row
that cannot be read gets an ``invalid_request`` (or ``invalid_gold``) result, never an
exception, so one bad row cannot fail the batch. With ``only_changed``, a row whose
``provenance`` column already equals this scorer's provenance hash is passed through unscored
(``rescore_unchanged`` true, its earlier result columns kept).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyarrow as pa

from reward_service.dumps import DumpRow, Shape, decode_line, row_to_request
from reward_service.jsonl import merge, requests_of
from reward_service.provenance_hash import provenance_hash
from reward_service.rescore import unchanged
from reward_service.service import RewardService
from reward_service.settings import Settings
from reward_service.types import ScoreResult, Template

PREFIX = "rescore_"
RESULT_COLUMNS = (
    "status",
    "verdict",
    "reason",
    "reward",
    "route",
    "extracted_answer",
    "provenance_hash",
    "stored_reward",
    "data_source",
    "unchanged",
    "result",
)
"""Added to every batch (with :data:`PREFIX`); ``result`` is the whole result as JSON text
(null for a row passed through), ``stored_reward`` the reward the dump held, as read."""

_ARROW_TYPES = {"reward": pa.float64(), "stored_reward": pa.float64(), "unchanged": pa.bool_()}
Batch = TypeVar("Batch")


@dataclass(frozen=True, slots=True)
class ScorerOptions:
    """How to read rows; picklable, so an engine can ship it to its workers."""

    shape: Shape = field(default_factory=Shape)
    template: Template = Template.R1
    think_in_prompt: bool | None = None
    """None: read it from the prompt column, as ``rescore`` does."""
    only_changed: bool = False
    line_column: str | None = None
    """A column of JSONL dump lines to read rows from, instead of the dump's own columns."""
    position_column: str | None = None
    """A column of row numbers, used to name a bad row in its error detail."""


class BatchScorer:
    """Scores Arrow tables or pandas data frames of dump rows (see module doc). Build it once
    per worker; :meth:`close` stops its verifier pool (Ray ends the actor's process anyway)."""

    def __init__(self, options: ScorerOptions, settings: Settings | None = None) -> None:
        self.options = options
        self.settings = settings if settings is not None else Settings()
        self._runner = asyncio.Runner()
        self._service = self._runner.run(self._start())
        self.provenance_hash = provenance_hash(self._service.provenance)

    async def _start(self) -> RewardService:
        service = RewardService(self.settings)
        await service.warm_up()
        return service

    def __call__(self, batch: Batch) -> Batch:
        """``batch`` (a ``pyarrow.Table`` or a ``pandas.DataFrame``) with the result columns."""
        records = _records(batch)
        rows = [self._row(record, index) for index, record in enumerate(records, start=1)]
        results = self._runner.run(self._score(rows))
        columns = _columns(rows, results, self.provenance_hash)
        scored: Batch = _with_columns(batch, columns, [result is None for result in results])
        return scored

    def _row(self, record: dict[str, Any], index: int) -> DumpRow:
        options = self.options
        position = int(record[options.position_column]) if options.position_column else index
        row: Any = record
        if options.line_column is not None:
            text = record.get(options.line_column)
            row = decode_line(text.encode() if isinstance(text, str) else bytes(text or b""))
        return row_to_request(
            row,
            position,
            options.shape,
            template=options.template,
            think_in_prompt=options.think_in_prompt,
        )

    async def _score(self, rows: list[DumpRow]) -> list[ScoreResult | None]:
        current = self.provenance_hash if self.options.only_changed else None
        todo = [row.request for row in rows if not unchanged(row, current)]
        requests = requests_of(todo)
        timeout = self.settings.max_timeout_s  # offline: the longest deadline per batch
        scored = await self._service.score_batch(requests, timeout_s=timeout) if requests else []
        results = iter(merge(todo, scored))
        return [None if unchanged(row, current) else next(results) for row in rows]

    def close(self) -> None:
        self._runner.run(self._service.aclose())
        self._runner.close()


def _records(batch: Any) -> list[dict[str, Any]]:
    if hasattr(batch, "to_pylist"):  # pyarrow.Table
        return list(batch.to_pylist())
    return list(batch.to_dict("records"))  # pandas.DataFrame


def _columns(
    rows: list[DumpRow], results: list[ScoreResult | None], current: str | None
) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
    for row, result in zip(rows, results, strict=True):
        if result is None:
            values: dict[str, Any] = dict.fromkeys(RESULT_COLUMNS)
            values.update(provenance_hash=current, unchanged=True)
        else:
            values = {
                "status": result.status.value,
                "verdict": result.verdict.value if result.verdict else None,
                "reason": result.reason.value,
                "reward": result.reward,
                "route": result.route.value,
                "extracted_answer": result.extracted_answer,
                "provenance_hash": provenance_hash(result.provenance),
                "unchanged": False,
                "result": json.dumps(result.model_dump(mode="json"), ensure_ascii=False),
            }
        values.update(stored_reward=row.stored_reward, data_source=row.data_source)
        for name in RESULT_COLUMNS:
            columns[name].append(values.get(name))
    return columns


def _with_columns(batch: Any, columns: dict[str, list[Any]], keep: list[bool]) -> Any:
    """``batch`` with ``columns`` set; where ``keep`` is true a column the batch already had
    keeps its value (a passed-through row keeps its earlier result)."""
    names = set(batch.column_names) if hasattr(batch, "column_names") else set(batch.columns)
    arrow = hasattr(batch, "append_column")
    if not arrow:
        batch = batch.copy()
    for name, values in columns.items():
        column = PREFIX + name
        if column in names and name != "unchanged":
            old = batch[column].to_pylist() if arrow else list(batch[column])
            values = [o if k else v for o, v, k in zip(old, values, keep, strict=True)]  # noqa: PLW2901
        if arrow:
            array = pa.array(values, type=_ARROW_TYPES.get(name, pa.string()))
            if column in names:
                batch = batch.set_column(batch.column_names.index(column), column, array)
            else:
                batch = batch.append_column(column, array)
        else:
            batch[column] = values
    return batch
