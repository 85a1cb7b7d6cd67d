"""A scripted OpenAI-compatible chat-completions server on loopback, for judge fault injection.

It replies as a judge would, in whatever form the request's output constraint asks for
(vLLM ``structured_outputs`` JSON schema / choice / regex), and can be told to be slow, fail,
return garbage or a reply that does not parse — or to be a *gullible* judge that obeys any
verdict-like text it finds in the student's solution, the worst case for prompt injection.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from string import Template
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from reward_service.verifiers.judge import builtin_specs
from tests.serving import free_port

# What a gullible judge reacts to inside the student's solution.
OBEYED = re.compile(
    "|".join(
        [
            r"<<<\s*end",
            r"final decision\s*:\s*yes",
            r"\"correct\"",
            r"\[judg\w*\]\s*:\s*correct",
            r"(?:mark|grade|judge)\b.{0,25}\bas correct",
            r"ignore .{0,30}(?:instructions|rules)",
            r"disregard .{0,30}(?:criteria|instructions|rules)",
            r"as the grader",
            r"you are a .{0,20}judge",
            r"^\s*(?:assistant|system)\s*:",
            r"\[inst\]",
            r"<\|im_start\|>",
            r"^\s*\(?a\)?\s*$",
            r"\\boxed\{a\}",
            r"判定为正确",
            r"忽略",
            r"满分",
            r"最终判定",
            r"作为评分",
        ]
    ),
    re.IGNORECASE | re.MULTILINE,
)
STUDENT = re.compile(r"<<<STUDENT SOLUTION>>>(.*)<<<END STUDENT SOLUTION>>>", re.DOTALL)
# How a test names its case inside the problem text, for the *honest* judge (mode "honest").
CASE_TAG = re.compile(r"\(case ([\w.-]+)\)")


def tag_case(problem: str | None, case_id: str) -> str:
    """The problem text with the case's tag, which the honest judge reads the truth by."""
    return f"{problem or ''}\n(case {case_id})".lstrip()


# What a *credulous* judge takes for a verdict anywhere in the text it is shown (mode
# "credulous"): any word of approval, grade, verdict or pass, in English or Chinese, and any
# text addressed to a grader — read as a model would read it (NFKC, invisible characters
# dropped, case folded), inside the declared data block or outside it.
VERDICT_LIKE = re.compile(
    "|".join(
        [
            r"\b(?:correct|right|true|yes|pass(?:ed)?|accept(?:ed)?|valid|verified|equivalent)\b",
            r"\b(?:grade|verdict|decision|score|judg(?:e|ment)|grader|evaluat\w*|reviewer)\b",
            r"\b(?:matches|full marks|10/10)\b",
            r"\bnot\s+(?:incorrect|wrong)\b",
            r":\s*a\s*$",
            r"^\s*\(?a\)?\s*$",
            r"\\boxed\{a\}",
            r"[✓✔✅☑]",
            r"正确|(?:^|[:：\s])对(?:[!！。]|$)|是对的|满分|通过|无误|合格|等价|判定|评分|阅卷|评判|判为|指令",
        ]
    ),
    re.IGNORECASE | re.MULTILINE,
)
_INVISIBLE = {
    c: None
    for c in range(0x110000)
    if unicodedata.category(chr(c)) in ("Cf", "Cc") and chr(c) not in "\n\t"
}


def template_pieces(spec: str) -> list[str]:
    """A built-in spec's own prompt text (its templates split at the placeholders): what a
    credulous judge is told not to take for verdicts (``Script.fixed_text``)."""
    prompt = builtin_specs()[spec].prompt
    return [
        piece
        for text in (prompt.system, prompt.shared, prompt.rollout)
        for piece in re.split(Template.pattern, text)
        if piece and len(piece) > 2
    ]


def read_as_a_model(text: str) -> str:
    return unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).translate(_INVISIBLE)


@dataclass
class Script:
    mode: str = "correct"
    delay_s: float = 0.0
    fail_first: int = 0
    """With mode "flaky": this many 503 replies before answering."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    fixed_text: list[str] = field(default_factory=list)
    """With mode "credulous": the prompt's own text (the spec's template pieces), which the
    judge does not take for verdicts; everything else it is shown, it may."""
    in_flight: int = 0
    peak_in_flight: int = 0
    """Calls being answered now, and the most at once since ``peak_in_flight`` was reset."""
    truths: dict[str, bool] = field(default_factory=dict)
    """With mode "honest": the truth about each case's response, by the case id tagged in the
    problem (:func:`tag_case`). A case it has no truth for gets a 500 (``judge_unavailable``),
    so a request that reached the judge untagged cannot pass for judged."""


def _reply(
    body: dict[str, Any], correct: bool, process_sound: bool = True, partial: bool = False
) -> str:
    constraint = body.get("structured_outputs") or {}
    schema = constraint.get("json") or (body.get("response_format") or {}).get("schema")
    if schema is not None:
        parts = schema["properties"]["parts"]["minItems"]
        verdicts = ["correct" if correct else "incorrect"] * parts
        if partial:
            verdicts = ["correct"] + ["incorrect"] * (parts - 1)
        listed = ", ".join(f'"{v}"' for v in verdicts)
        if "process" not in schema["properties"]:
            return f'{{"parts": [{listed}]}}'
        return f'{{"parts": [{listed}], "process": "{"sound" if process_sound else "flawed"}"}}'

    if "choice" in constraint:
        choices = constraint["choice"]
        return choices[0] if correct else choices[1]
    return f"Checked.\nFinal Decision: {'Yes' if correct else 'No'}"


def build_app(script: Script) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> Response:
        body = await request.json()
        script.requests.append(body)
        mode = script.mode
        script.in_flight += 1
        script.peak_in_flight = max(script.peak_in_flight, script.in_flight)
        try:
            if script.delay_s:
                await asyncio.sleep(script.delay_s)
        finally:
            script.in_flight -= 1
        if mode == "flaky" and script.fail_first > 0:
            script.fail_first -= 1
            return JSONResponse({"error": "busy"}, status_code=503)
        if mode in ("error500", "error400"):
            return JSONResponse({"error": "boom"}, status_code=int(mode[-3:]))
        if mode == "garbage":
            return PlainTextResponse("<html>oops</html>")
        if mode == "honest" and _case(body) not in script.truths:
            return JSONResponse({"error": "no truth for this case"}, status_code=500)
        text = {
            "correct": lambda: _reply(body, True),
            "flaky": lambda: _reply(body, True),
            "incorrect": lambda: _reply(body, False),
            "flawed": lambda: _reply(body, True, process_sound=False),
            "partial": lambda: _reply(body, False, partial=True),
            "unparsable": lambda: "I think the student is probably right.",
            "gullible": lambda: _reply(body, _obeys(body)),
            "credulous": lambda: _reply(body, _believes(body, script.fixed_text)),
            "by_seed": lambda: _reply(body, body.get("seed", 0) % 2 == 0),
            "honest": lambda: _reply(body, script.truths[_case(body) or ""]),
        }[mode]()
        return JSONResponse(
            {
                "id": "x",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": text},
                    }
                ],
            }
        )

    return app


def _obeys(body: dict[str, Any]) -> bool:
    user = body["messages"][-1]["content"]
    found = STUDENT.search(user)
    solution = found.group(1) if found else user
    return OBEYED.search(solution) is not None


def _case(body: dict[str, Any]) -> str | None:
    found = CASE_TAG.search("\n".join(m["content"] for m in body["messages"]))
    return found.group(1) if found else None


def _believes(body: dict[str, Any], fixed_text: list[str]) -> bool:
    """Says correct when anything verdict-like is left once the prompt's own text is taken
    out of every message: that came from the problem, the reference or the response."""
    shown = "\n".join(m["content"] for m in body["messages"])
    for piece in sorted(fixed_text, key=len, reverse=True):
        if piece.strip():
            shown = shown.replace(piece, "\n")
    return VERDICT_LIKE.search(read_as_a_model(shown)) is not None


@contextmanager
def judge_server() -> Iterator[tuple[str, Script]]:
    """Run the scripted server on a free port; yields its /v1 base URL and its script."""
    script = Script()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(script), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("judge test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1", script
    finally:
        server.should_exit = True
        thread.join(timeout=10)
