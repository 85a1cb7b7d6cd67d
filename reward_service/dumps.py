"""Rollout dumps → scoring requests, streamed row by row (a dump is never loaded whole).

Formats (by file suffix): JSON lines (``.jsonl``, ``.json``) and Parquet (``.parquet``, read
in record batches with pyarrow). Shapes name the fields a trainer writes:

``verl`` (``trainer.rollout_data_dir`` / validation dumps)
    ``output`` (the response), ``gts`` (ground truth), ``input`` (the prompt), ``score``
    (the reward it got), ``data_source`` if present.
``openrlhf`` (the remote reward-model payload per sample, as logged)
    ``query`` (prompt + response), ``prompt``, ``label`` (ground truth), ``reward``.
``plain``
    the request fields of ``reward-service score`` (``response``, ``gold``, ``problem`` …)
    plus ``reward``.

``--field NAME=COLUMN`` maps any of ``id``, ``response``, ``query``, ``prompt``, ``gold``,
``problem``, ``data_source``, ``reward``, ``provenance`` to another column, for other shapes.
``provenance`` (default ``rescore_provenance_hash``, the column the batch scorer adds) is the
hash of what scored a row before; ``--only-changed`` skips rows whose hash is current. Whether the
opening ``<think>`` was in the prompt is read from the prompt when there is one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reward_service.adapters.common import think_opened
from reward_service.jsonl import invalid_request, request_from_json, unreadable
from reward_service.list_repr import NotAListRepr, parse_list_repr
from reward_service.types import Reason, ScoreRequest, ScoreResult, Template


@dataclass(frozen=True, slots=True)
class Shape:
    """Column names; None where the shape has no such column."""

    response: str | None = None
    query: str | None = None
    """prompt + response, when the response is not stored alone"""
    prompt: str | None = None
    gold: str = "gold"
    problem: str | None = None
    data_source: str | None = "data_source"
    reward: str | None = "reward"
    id: str | None = "id"
    provenance: str | None = "rescore_provenance_hash"


SHAPES: dict[str, Shape] = {
    "verl": Shape(
        response="output", prompt="input", gold="gts", problem="input", reward="score", id=None
    ),
    "openrlhf": Shape(
        query="query", prompt="prompt", gold="label", problem="prompt", reward="reward", id=None
    ),
    "plain": Shape(response="response", gold="gold", problem="problem", prompt=None),
}


def shape_with(base: Shape, mapping: Mapping[str, str]) -> Shape:
    """``base`` with some columns renamed (``--field NAME=COLUMN``)."""
    unknown = set(mapping) - set(Shape.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown field names {sorted(unknown)}")
    return replace(base, **mapping)


@dataclass(frozen=True, slots=True)
class DumpRow:
    position: int
    """1-based line (JSONL) or row (Parquet) number."""
    request: ScoreRequest | ScoreResult
    """The request, or the ``invalid_request`` result for a row that cannot be read."""
    stored_reward: float | None
    data_source: str | None = None
    stored_provenance: str | None = None
    """The provenance hash of the result the dump already holds for this row, if any."""


def decode_line(raw: bytes) -> Any:
    """One JSONL dump line decoded, or the exception that decoding raised."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        return error


def _json_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if raw.strip():
                yield number, decode_line(raw)


def _parquet_rows(path: Path, batch_rows: int = 1024) -> Iterator[tuple[int, Any]]:
    import pyarrow.parquet as pq  # noqa: PLC0415 - only when a Parquet dump is read

    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
        for row in batch.to_pylist():
            number += 1
            yield number, row


READERS: dict[str, Callable[[Path], Iterator[tuple[int, Any]]]] = {
    ".jsonl": _json_rows,
    ".json": _json_rows,
    ".parquet": _parquet_rows,
}


def count_rows(path: Path) -> int | None:
    """Rows in the dump when cheap to know (Parquet metadata, or a line count)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as stream:
        return sum(1 for raw in stream if raw.strip())


def _reward(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list) and len(value) == 1:  # some dumps keep a 1-element list
        return _reward(value[0])
    return None


class UnreadableGold(ValueError):
    """A gold that looks like a list but is neither JSON nor a list repr."""


def plain_value(value: Any) -> Any:
    """Numpy scalars and arrays (pandas batches of a Parquet dump hold them) as Python values."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


def _gold(value: Any) -> Any:
    value = plain_value(value)
    if isinstance(value, dict) and "ground_truth" in value:  # verl's reward_model column
        value = plain_value(value["ground_truth"])
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            pass
        if value.lstrip()[:1] == "{":
            return value
        try:  # verl writes str(numpy array): "['1' '2']"
            return parse_list_repr(value)
        except NotAListRepr as error:
            detail = f"gold {value[:60]!r} looks like a list but is not one: {error}"
            raise UnreadableGold(detail) from None
    return value


def invalid_gold(where: str, detail: str) -> ScoreResult:
    """The ``unscorable/invalid_gold`` result for a row whose gold cannot be read."""
    return unreadable(Reason.INVALID_GOLD, where, detail)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _to_request(
    row: Any, position: int, shape: Shape, template: Template, think_in_prompt: bool | None
) -> DumpRow:
    where = f"row {position}"
    if isinstance(row, Exception):
        return DumpRow(position, invalid_request(where, f"invalid JSON: {row}"), None)
    if not isinstance(row, dict):
        return DumpRow(position, invalid_request(where, "a row must be an object"), None)
    stored = _reward(plain_value(row.get(shape.reward))) if shape.reward else None
    source = _text(row.get(shape.data_source)) if shape.data_source else None
    provenance = _text(row.get(shape.provenance)) if shape.provenance else None
    prompt = row.get(shape.prompt) if shape.prompt else None
    if shape.response is not None and shape.response in row:
        response = row[shape.response]
    elif shape.query is not None and shape.query in row:
        query = str(row[shape.query])
        response = (
            query[len(prompt) :] if isinstance(prompt, str) and query.startswith(prompt) else query
        )
    else:
        wanted = shape.response or shape.query
        error = invalid_request(where, f"missing field {wanted!r}")
        return DumpRow(position, error, stored, source, provenance)
    if shape.gold not in row:
        error = invalid_request(where, f"missing field {shape.gold!r}")
        return DumpRow(position, error, stored, source, provenance)
    try:
        gold = _gold(row[shape.gold])
    except UnreadableGold as unreadable:
        return DumpRow(position, invalid_gold(where, str(unreadable)), stored, source, provenance)
    if think_in_prompt is None:
        # an open <think> in the prompt says so; otherwise the service reads the response
        think_in_prompt = True if isinstance(prompt, str) and think_opened(prompt) else None
    data = {
        "id": row.get(shape.id) if shape.id else None,
        "response": response,
        "gold": gold,
        "problem": row.get(shape.problem) if shape.problem else None,
        "data_source": row.get(shape.data_source) if shape.data_source else None,
        "think_in_prompt": think_in_prompt,
        "template": template,
    }
    data = {k: v for k, v in data.items() if v is not None}
    if "id" in data and not isinstance(data["id"], str | int):
        data["id"] = str(data["id"])
    return DumpRow(position, request_from_json(data, where), stored, source, provenance)


def row_to_request(
    row: Any,
    position: int,
    shape: Shape,
    *,
    template: Template = Template.R1,
    think_in_prompt: bool | None = None,
) -> DumpRow:
    """One decoded dump row (a dict, or the exception its decoding raised) as a request."""
    return _to_request(row, position, shape, template, think_in_prompt)


def read_dump(
    path: Path,
    shape: Shape,
    *,
    template: Template = Template.R1,
    think_in_prompt: bool | None = None,
) -> Iterator[DumpRow]:
    """Every row of the dump, in order, as a request (or an error result) with the reward
    the dump stored for it."""
    reader = READERS.get(path.suffix)
    if reader is None:
        raise ValueError(f"unknown dump format {path.suffix!r}; known: {sorted(READERS)}")
    for position, row in reader(path):
        yield _to_request(row, position, shape, template, think_in_prompt)
