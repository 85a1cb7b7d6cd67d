from reward_service.cache.keys import request_key, symbolic_key
from reward_service.types import RouteHint, ScoreRequest, Template


def test_symbolic_keys_change_with_every_input_that_decides_the_verdict() -> None:
    part = (("1/2",), ("0.5",), None)
    base = symbolic_key([part], "tag")
    assert base.startswith("d:")
    assert symbolic_key([part], "tag") == base
    assert symbolic_key([(("1/3",), ("0.5",), None)], "tag") != base
    assert symbolic_key([(("1/2",), ("0.50",), None)], "tag") != base
    assert symbolic_key([(("1/2",), ("0.5", "1"), "0.5, 1")], "tag") != base
    assert symbolic_key([part], "other verifier version") != base


def test_request_keys_cover_every_field_but_the_id() -> None:
    base = ScoreRequest(id=1, response="<think>a</think>4", gold="4")
    key = request_key(base, "cfg")
    assert key.startswith("r:")
    assert request_key(base.model_copy(update={"id": 2}), "cfg") == key
    for change in [
        {"response": "<think>a</think>5"},
        {"gold": "5"},
        {"gold": ["4"]},
        {"problem": "p"},
        {"data_source": "d"},
        {"think_in_prompt": True},
        {"template": Template.PLAIN},
        {"route": RouteHint.JUDGE},
    ]:
        assert request_key(base.model_copy(update=change), "cfg") != key, change
    assert request_key(base, "other settings") != key
