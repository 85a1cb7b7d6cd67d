from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Template(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEMPLATE_UNSPECIFIED: _ClassVar[Template]
    TEMPLATE_R1: _ClassVar[Template]
    TEMPLATE_PLAIN: _ClassVar[Template]

class RouteHint(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_HINT_UNSPECIFIED: _ClassVar[RouteHint]
    ROUTE_HINT_AUTO: _ClassVar[RouteHint]
    ROUTE_HINT_SYMBOLIC: _ClassVar[RouteHint]
    ROUTE_HINT_JUDGE: _ClassVar[RouteHint]

class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_UNSPECIFIED: _ClassVar[Status]
    STATUS_SCORED: _ClassVar[Status]
    STATUS_FILTERED: _ClassVar[Status]
    STATUS_UNSCORABLE: _ClassVar[Status]

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_CORRECT: _ClassVar[Verdict]
    VERDICT_INCORRECT: _ClassVar[Verdict]
    VERDICT_PARTIAL: _ClassVar[Verdict]

class Route(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_UNSPECIFIED: _ClassVar[Route]
    ROUTE_SYMBOLIC: _ClassVar[Route]
    ROUTE_JUDGE: _ClassVar[Route]
    ROUTE_NONE: _ClassVar[Route]

class Blame(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLAME_UNSPECIFIED: _ClassVar[Blame]
    BLAME_RESPONSE: _ClassVar[Blame]
    BLAME_DATA: _ClassVar[Blame]
    BLAME_INFRASTRUCTURE: _ClassVar[Blame]
TEMPLATE_UNSPECIFIED: Template
TEMPLATE_R1: Template
TEMPLATE_PLAIN: Template
ROUTE_HINT_UNSPECIFIED: RouteHint
ROUTE_HINT_AUTO: RouteHint
ROUTE_HINT_SYMBOLIC: RouteHint
ROUTE_HINT_JUDGE: RouteHint
STATUS_UNSPECIFIED: Status
STATUS_SCORED: Status
STATUS_FILTERED: Status
STATUS_UNSCORABLE: Status
VERDICT_UNSPECIFIED: Verdict
VERDICT_CORRECT: Verdict
VERDICT_INCORRECT: Verdict
VERDICT_PARTIAL: Verdict
ROUTE_UNSPECIFIED: Route
ROUTE_SYMBOLIC: Route
ROUTE_JUDGE: Route
ROUTE_NONE: Route
BLAME_UNSPECIFIED: Blame
BLAME_RESPONSE: Blame
BLAME_DATA: Blame
BLAME_INFRASTRUCTURE: Blame

class Alternatives(_message.Message):
    __slots__ = ("answers",)
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    answers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, answers: _Optional[_Iterable[str]] = ...) -> None: ...

class Parts(_message.Message):
    __slots__ = ("parts",)
    PARTS_FIELD_NUMBER: _ClassVar[int]
    parts: _containers.RepeatedCompositeFieldContainer[Alternatives]
    def __init__(self, parts: _Optional[_Iterable[_Union[Alternatives, _Mapping]]] = ...) -> None: ...

class Gold(_message.Message):
    __slots__ = ("answer", "alternatives", "parts")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    answer: str
    alternatives: Alternatives
    parts: Parts
    def __init__(self, answer: _Optional[str] = ..., alternatives: _Optional[_Union[Alternatives, _Mapping]] = ..., parts: _Optional[_Union[Parts, _Mapping]] = ...) -> None: ...

class ScoreRequest(_message.Message):
    __slots__ = ("id", "response", "gold", "problem", "data_source", "think_in_prompt", "template", "route", "truncated")
    ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    GOLD_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    THINK_IN_PROMPT_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    id: str
    response: str
    gold: Gold
    problem: str
    data_source: str
    think_in_prompt: bool
    template: Template
    route: RouteHint
    truncated: bool
    def __init__(self, id: _Optional[str] = ..., response: _Optional[str] = ..., gold: _Optional[_Union[Gold, _Mapping]] = ..., problem: _Optional[str] = ..., data_source: _Optional[str] = ..., think_in_prompt: _Optional[bool] = ..., template: _Optional[_Union[Template, str]] = ..., route: _Optional[_Union[RouteHint, str]] = ..., truncated: _Optional[bool] = ...) -> None: ...

class ScoreBatchRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[ScoreRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[ScoreRequest, _Mapping]]] = ...) -> None: ...

class ScoreBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ScoreResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ScoreResult, _Mapping]]] = ...) -> None: ...

class PartResult(_message.Message):
    __slots__ = ("index", "verdict", "extracted_answer")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    EXTRACTED_ANSWER_FIELD_NUMBER: _ClassVar[int]
    index: int
    verdict: Verdict
    extracted_answer: str
    def __init__(self, index: _Optional[int] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., extracted_answer: _Optional[str] = ...) -> None: ...

class Provenance(_message.Message):
    __slots__ = ("service_version", "verifier_versions", "judge_model", "config_hash")
    class VerifierVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SERVICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    VERIFIER_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    JUDGE_MODEL_FIELD_NUMBER: _ClassVar[int]
    CONFIG_HASH_FIELD_NUMBER: _ClassVar[int]
    service_version: str
    verifier_versions: _containers.ScalarMap[str, str]
    judge_model: str
    config_hash: str
    def __init__(self, service_version: _Optional[str] = ..., verifier_versions: _Optional[_Mapping[str, str]] = ..., judge_model: _Optional[str] = ..., config_hash: _Optional[str] = ...) -> None: ...

class ScoreResult(_message.Message):
    __slots__ = ("id", "status", "verdict", "reason", "reward", "route", "route_reason", "extracted_answer", "parts", "cached", "elapsed_ms", "detail", "provenance", "blame")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    ROUTE_REASON_FIELD_NUMBER: _ClassVar[int]
    EXTRACTED_ANSWER_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    BLAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: Status
    verdict: Verdict
    reason: str
    reward: float
    route: Route
    route_reason: str
    extracted_answer: str
    parts: _containers.RepeatedCompositeFieldContainer[PartResult]
    cached: bool
    elapsed_ms: float
    detail: str
    provenance: Provenance
    blame: Blame
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[Status, str]] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., reason: _Optional[str] = ..., reward: _Optional[float] = ..., route: _Optional[_Union[Route, str]] = ..., route_reason: _Optional[str] = ..., extracted_answer: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[PartResult, _Mapping]]] = ..., cached: _Optional[bool] = ..., elapsed_ms: _Optional[float] = ..., detail: _Optional[str] = ..., provenance: _Optional[_Union[Provenance, _Mapping]] = ..., blame: _Optional[_Union[Blame, str]] = ...) -> None: ...
