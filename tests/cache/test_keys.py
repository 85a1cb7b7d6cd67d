import hashlib
import json

from reward_service.cache.keys import CACHE_VERSION, RequestKeys, symbolic_key
from reward_service.types import GoldParts, RouteHint, ScoreRequest, Template


def test_symbolic_keys_change_with_every_input_that_decides_the_verdict() -> None:
    part = (("1/2",), ("0.5",), None)
    base = symbolic_key([part], "tag")
    assert base.startswith("d:")
    assert symbolic_key([part], "tag") == base
    assert symbolic_key([(("1/3",), ("0.5",), None)], "tag") != base
    assert symbolic_key([(("1/2",), ("0.50",), None)], "tag") != base
    assert symbolic_key([(("1/2",), ("0.5", "1"), "0.5, 1")], "tag") != base
    assert symbolic_key([part], "other verifier version") != base


def request_key(request: ScoreRequest, config_tag: str, keys: RequestKeys | None = None) -> str:
    keys = keys or RequestKeys(config_tag)
    return keys.key(request, request.response.encode("utf-8", errors="surrogatepass"))


def test_request_keys_cover_every_field_but_the_id() -> None:
    base = ScoreRequest(id=1, response="<think>a</think>4", gold="4")
    key = request_key(base, "cfg")
    assert key.startswith("r:")
    assert request_key(base.model_copy(update={"id": 2}), "cfg") == key
    shared = RequestKeys("cfg")  # one batch: the fields besides the response hashed once
    assert request_key(base, "cfg", shared) == key
    for change in [
        {"response": "<think>a</think>5"},
        {"gold": "5"},
        {"gold": ["4"]},
        {"gold": GoldParts(parts=["4"])},
        {"gold": GoldParts(parts=[["4"]])},
        {"problem": "p"},
        {"data_source": "d"},
        {"think_in_prompt": True},
        {"template": Template.PLAIN},
        {"truncated": True},
        {"think_in_prompt": False},
        {"route": RouteHint.JUDGE},
    ]:
        changed = base.model_copy(update=change)
        assert request_key(changed, "cfg") != key, change
        assert request_key(changed, "cfg", shared) == request_key(changed, "cfg"), change
    assert request_key(base, "other settings") != key


def test_request_key_layout_is_stable() -> None:
    """Keys written by earlier versions stay valid: the header as JSON, NUL, the response."""
    request = ScoreRequest(response="<think>é</think>4", gold=["4", "four"], problem="p")
    header = json.dumps(
        [CACHE_VERSION, "request", "cfg", [["4", "four"], "p", None, None, "r1", "auto"]],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    expected = hashlib.sha256(f"{header}\0{request.response}".encode()).hexdigest()
    assert request_key(request, "cfg") == "r:" + expected
