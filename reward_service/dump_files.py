"""Which files a dump is (one file, a directory, or a glob) and a fingerprint of them.

Each file is one partition of a rescoring run: its results carry its ``source`` name (the path
relative to the dump's root), and a run resumes partition by partition. The fingerprint lets a
resumed run refuse an output that was written for a different dump.
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from reward_service.dumps import READERS

SAMPLE_BYTES = 1 << 16
"""Bytes hashed at each end of a file: enough to tell dumps apart without reading them whole."""


@dataclass(frozen=True, slots=True)
class DumpFile:
    path: Path
    source: str
    """The name results use for this file: its path relative to the dump's root."""


class NoDumpFiles(ValueError):
    """The dump names no readable file."""


def dump_files(spec: str | Path) -> list[DumpFile]:
    """The dump's files in a stable order: ``spec`` itself, the files with a known suffix under
    a directory (recursively), or the matches of a glob pattern."""
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        root = path
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in READERS)
    elif path.is_file():
        root, found = path.parent, [path]
    elif glob.has_magic(text):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        root = Path(os.path.commonpath([p.parent for p in found])) if found else Path()
    else:
        raise NoDumpFiles(f"no such file or directory: {text}")
    unknown = [p for p in found if p.suffix not in READERS]
    if unknown:
        raise NoDumpFiles(f"unknown dump format {unknown[0].suffix!r}; known: {sorted(READERS)}")
    if not found:
        raise NoDumpFiles(f"no dump files ({', '.join(sorted(READERS))}) in {text}")
    return [DumpFile(p, p.relative_to(root).as_posix()) for p in found]


def fingerprint(files: list[DumpFile]) -> dict[str, str]:
    """Per source: a hash of its size and first and last :data:`SAMPLE_BYTES` bytes."""
    prints = {}
    for file in files:
        digest = hashlib.sha256()
        size = file.path.stat().st_size
        digest.update(str(size).encode())
        with file.path.open("rb") as stream:
            digest.update(stream.read(SAMPLE_BYTES))
            if size > SAMPLE_BYTES:
                stream.seek(max(SAMPLE_BYTES, size - SAMPLE_BYTES))
                digest.update(stream.read(SAMPLE_BYTES))
        prints[file.source] = digest.hexdigest()[:16]
    return prints
