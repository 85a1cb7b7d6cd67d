"""``rescore --engine ray``: the dump as a Ray Data pipeline over an actor pool of scorers.

The driver plans *chunks* (a Parquet row group, or a run of JSONL lines found by one streamed
pass), Ray Data reads them in tasks and feeds :class:`~reward_service.batch_scorer.BatchScorer`
actors (``map_batches`` over a fixed pool, each actor with its own killable verifier pool), and
the driver streams the results back in order (``preserve_order``) into one results file per
input file (a *partition*) under ``OUT.parts/``. A partition is written to a temporary name
and renamed with its summary once complete, so an interrupted run resumes partition by
partition; at the end the partitions are joined into ``OUT`` and their summaries merged into
the report. Nothing is loaded whole: the driver holds one batch at a time.

Ray Data restarts a killed actor and retries its task (its actor pools default to
``max_restarts=-1`` and ``max_task_retries=-1``);
a task's output reaches the driver only once, so a crash neither loses nor doubles a row,
and the driver checks it (every partition must end with exactly its planned positions).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from reward_service.batch_scorer import PREFIX, BatchScorer, ScorerOptions
from reward_service.dump_files import DumpFile
from reward_service.rescore import output_line, parts_path
from reward_service.rescore_report import Report
from reward_service.settings import Settings

LINE, SOURCE, POSITION = "_rescore_line", "_rescore_source", "_rescore_position"
READ_CPUS = 0.25
"""CPUs a read task reserves: reading is light next to scoring, and must not wait for a CPU
the scorer actors hold."""


@dataclass(frozen=True, slots=True)
class RayOptions:
    address: str | None = None
    """Ray cluster address; None starts (or joins) a local Ray."""
    actors: int = 2
    cpus_per_actor: float = 1.0
    batch_size: int = 512
    chunk_rows: int = 2048
    """Rows per read task."""


@dataclass(frozen=True, slots=True)
class Chunk:
    partition: int
    path: str
    kind: str
    """``parquet`` (``start`` is a row group) or ``jsonl`` (``start`` a byte offset)."""
    start: int
    length: int
    """bytes of a JSONL chunk; unused for Parquet"""
    first_position: int


@dataclass(frozen=True, slots=True)
class Partition:
    index: int
    file: DumpFile
    rows: int

    def results(self, parts: Path) -> Path:
        return parts / f"{self.index:05d}.jsonl"

    def summary(self, parts: Path) -> Path:
        return parts / f"{self.index:05d}.summary.json"


def _jsonl_chunks(index: int, path: Path, chunk_rows: int) -> tuple[list[Chunk], int]:
    chunks, rows, offset, start, first, in_chunk = [], 0, 0, 0, 1, 0
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if in_chunk == 0:
                start, first = offset, number
            offset += len(raw)
            if raw.strip():
                rows += 1
                in_chunk += 1
            if in_chunk == chunk_rows:
                chunks.append(Chunk(index, str(path), "jsonl", start, offset - start, first))
                in_chunk = 0
    if in_chunk:
        chunks.append(Chunk(index, str(path), "jsonl", start, offset - start, first))
    return chunks, rows


def _parquet_chunks(index: int, path: Path) -> tuple[list[Chunk], int]:
    import pyarrow.parquet as pq  # noqa: PLC0415

    metadata = pq.ParquetFile(path).metadata
    chunks, first = [], 1
    for group in range(metadata.num_row_groups):
        chunks.append(Chunk(index, str(path), "parquet", group, 0, first))
        first += metadata.row_group(group).num_rows
    return chunks, first - 1


def plan(files: list[DumpFile], chunk_rows: int) -> tuple[list[Partition], list[Chunk]]:
    """Every file as a partition, cut into read chunks (one streamed pass over JSONL files)."""
    partitions, chunks = [], []
    for index, file in enumerate(files):
        if file.path.suffix == ".parquet":
            found, rows = _parquet_chunks(index, file.path)
        else:
            found, rows = _jsonl_chunks(index, file.path, chunk_rows)
        partitions.append(Partition(index, file, rows))
        chunks += found
    return partitions, chunks


def read_chunks(batch: pa.Table) -> pa.Table:
    """Ray Data read stage: chunk descriptors in, one row per dump row out, as the bytes of a
    JSON line (so rows of different files and formats share one schema, and a line that is
    not UTF-8 fails exactly as in-process) with its partition and position."""
    lines: list[bytes] = []
    sources: list[int] = []
    positions: list[int] = []
    for chunk in batch.to_pylist():
        for position, line in _chunk_lines(Chunk(**chunk)):
            lines.append(line)
            sources.append(chunk["partition"])
            positions.append(position)
    return pa.table(
        {
            LINE: pa.array(lines, pa.binary()),
            SOURCE: pa.array(sources, pa.int64()),
            POSITION: pa.array(positions, pa.int64()),
        }
    )


def _chunk_lines(chunk: Chunk) -> Iterator[tuple[int, bytes]]:
    if chunk.kind == "parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        table = pq.ParquetFile(chunk.path).read_row_group(chunk.start)
        for offset, row in enumerate(table.to_pylist()):
            text = json.dumps(row, ensure_ascii=False, default=str)
            yield chunk.first_position + offset, text.encode()
        return
    with open(chunk.path, "rb") as stream:
        stream.seek(chunk.start)
        data = stream.read(chunk.length)
    for number, raw in enumerate(data.splitlines(keepends=True), start=chunk.first_position):
        if raw.strip():
            yield number, raw


class _PartitionWriter:
    """Writes one partition's lines to a temporary file, then renames it with its summary."""

    def __init__(self, partition: Partition, parts: Path) -> None:
        self.partition = partition
        self.parts = parts
        self.temporary = partition.results(parts).with_suffix(".tmp")
        self.sink = self.temporary.open("wb")
        self.report = Report()
        self.next_position: int | None = None
        self.count = 0

    def write(self, line: bytes, parsed: dict[str, Any]) -> None:
        self.sink.write(line)
        self.report.add(parsed)
        self.count += 1

    def finish(self) -> None:
        self.sink.close()
        if self.count != self.partition.rows:
            raise RuntimeError(
                f"{self.partition.file.source}: {self.count} results for {self.partition.rows} rows"
            )
        self.temporary.replace(self.partition.results(self.parts))
        summary = {"source": self.partition.file.source, "report": self.report.to_json()}
        self.partition.summary(self.parts).write_text(json.dumps(summary), encoding="utf-8")


def _lines_of(batch: pa.Table, partitions: list[Partition]) -> Iterator[tuple[int, bytes, Any]]:
    columns = {
        name: batch.column(name).to_pylist()
        for name in (
            SOURCE,
            POSITION,
            PREFIX + "data_source",
            PREFIX + "stored_reward",
            PREFIX + "result",
            PREFIX + "provenance_hash",
        )
    }
    for i, index in enumerate(columns[SOURCE]):
        raw = columns[PREFIX + "result"][i]
        result = None if raw is None else json.loads(raw)
        line = output_line(
            partitions[index].file.source,
            columns[POSITION][i],
            data_source=columns[PREFIX + "data_source"][i],
            stored_reward=columns[PREFIX + "stored_reward"][i],
            stored_provenance=columns[PREFIX + "provenance_hash"][i],
            result=result,
        )
        yield index, line, json.loads(line)


def rescore_with_ray(
    files: list[DumpFile],
    output: Path,
    scorer: ScorerOptions,
    settings: Settings,
    ray_options: RayOptions,
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, Report]:
    """Score every partition of ``files`` not yet done; join them into ``output``. Returns the
    rows scored by this run and the report merged from every partition's summary."""
    import ray  # noqa: PLC0415 - the [ray] extra

    parts = parts_path(output)
    parts.mkdir(parents=True, exist_ok=True)
    partitions, chunks = plan(files, ray_options.chunk_rows)
    todo = {p.index for p in partitions if not p.summary(parts).exists()}
    chunks = [c for c in chunks if c.partition in todo]
    for index in todo:
        partitions[index].results(parts).with_suffix(".tmp").unlink(missing_ok=True)
    written = 0
    if chunks:
        if not ray.is_initialized():
            ray.init(address=ray_options.address, log_to_driver=False)
        ray.data.DataContext.get_current().execution_options.preserve_order = True
        options = ScorerOptions(
            shape=scorer.shape,
            template=scorer.template,
            think_in_prompt=scorer.think_in_prompt,
            only_changed=scorer.only_changed,
            line_column=LINE,
            position_column=POSITION,
        )
        dataset = (
            ray.data.from_items([asdict(c) for c in chunks], override_num_blocks=len(chunks))
            .map_batches(read_chunks, batch_size=1, batch_format="pyarrow", num_cpus=READ_CPUS)
            .map_batches(
                BatchScorer,
                fn_constructor_kwargs={"options": options, "settings": settings},
                batch_size=ray_options.batch_size,
                batch_format="pyarrow",
                compute=ray.data.ActorPoolStrategy(size=ray_options.actors),
                num_cpus=ray_options.cpus_per_actor,
            )
        )
        writers: dict[int, _PartitionWriter] = {}
        for batch in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
            assert isinstance(batch, pa.Table)  # batch_format="pyarrow"
            for index, line, parsed in _lines_of(batch, partitions):
                if index not in writers:
                    for earlier in [w for i, w in writers.items() if i != index]:
                        earlier.finish()
                        del writers[earlier.partition.index]
                    writers[index] = _PartitionWriter(partitions[index], parts)
                writers[index].write(line, parsed)
            written += batch.num_rows
            if progress is not None:
                progress(batch.num_rows)
        for writer in writers.values():
            writer.finish()
    for index in sorted(todo):
        if not partitions[index].summary(parts).exists():
            # no row came back: right for an empty file, a lost partition otherwise (raises)
            _PartitionWriter(partitions[index], parts).finish()
    return written, _join(partitions, parts, output)


def _join(partitions: list[Partition], parts: Path, output: Path) -> Report:
    report = Report()
    temporary = output.with_suffix(output.suffix + ".tmp")
    with temporary.open("wb") as sink:
        for partition in partitions:
            with partition.results(parts).open("rb") as source:
                while block := source.read(1 << 20):
                    sink.write(block)
            summary = json.loads(partition.summary(parts).read_text(encoding="utf-8"))
            report.merge(Report.from_json(summary["report"]))
    temporary.replace(output)
    return report
