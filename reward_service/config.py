"""Settings from the environment and the command line, checked before anything starts.

pydantic-settings ignores environment variables that match no field, so a misspelt
``REWARD_SERVICE_AUTH_TOKE`` would leave both doors open without a word. Here every
``REWARD_SERVICE_*`` name must be a setting of the service (``__`` nesting, e.g.
``REWARD_SERVICE_SYMBOLIC__WORKERS``) or of the trainer-side client
(``REWARD_SERVICE_CLIENT_*``); anything else is refused with the closest known name.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_settings import BaseSettings, CliSettingsSource

from reward_service.settings import CLIENT_ENV_PREFIX, ENV_PREFIX, Settings

# Kubernetes injects "service link" variables for a Service named reward-service
# (REWARD_SERVICE_SERVICE_HOST, REWARD_SERVICE_PORT_8000_TCP_ADDR, …): not settings, not typos.
_SERVICE_LINKS = re.compile(r"^REWARD_SERVICE_(SERVICE_(HOST|PORT)\w*|PORT(_\d+_(TCP|UDP)\w*)?)$")


class UnknownSetting(ValueError):
    """An environment variable with our prefix that names no setting."""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _names(model: type[BaseModel], prefix: str) -> Iterator[str]:
    for name, field in model.model_fields.items():
        env = prefix + name.upper()
        yield env  # a whole nested model may be given as JSON at its own level
        nested = _model_of(field.annotation)
        if nested is not None:
            yield from _names(nested, env + "__")


def known_environment_names(client: type[BaseSettings] | None = None) -> set[str]:
    """Every environment variable name the service (and, given, the client) reads."""
    names = set(_names(Settings, ENV_PREFIX))
    if client is not None:
        names |= {CLIENT_ENV_PREFIX + n.upper() for n in client.model_fields}
    return names


def check_environment(
    environ: Mapping[str, str] | None = None, client: type[BaseSettings] | None = None
) -> None:
    """Raise :class:`UnknownSetting` for the first ``REWARD_SERVICE_*`` variable that is not a
    setting, naming the closest one. ``client``: the client's settings model, whose
    ``REWARD_SERVICE_CLIENT_*`` names are known too (always accepted when not given)."""
    environ = os.environ if environ is None else environ
    known = known_environment_names(client)
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known or _SERVICE_LINKS.match(upper):
            continue
        if client is None and upper.startswith(CLIENT_ENV_PREFIX):
            continue
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UnknownSetting(f"unknown setting {name}{hint}")


def add_settings_flags(parser: argparse.ArgumentParser) -> CliSettingsSource[Settings]:
    """A flag for every setting (``--symbolic.workers 3``, ``--auth-token …``,
    ``--routing-rules '{"gsm8k*": "symbolic"}'``), generated from :class:`Settings`; flags
    win over the environment."""
    return CliSettingsSource(Settings, root_parser=parser, cli_kebab_case=True)


def settings_from(args: argparse.Namespace, flags: CliSettingsSource[Settings]) -> Settings:
    """The settings of a command: the environment (checked first), then its flags."""
    check_environment()
    return Settings(_cli_settings_source=flags(parsed_args=args))


_URL_PASSWORD = re.compile(r"(?<=://)([^:/@]*):[^@/]*@")


def effective(settings: Settings) -> dict[str, Any]:
    """The settings as logged at start-up: every value, secrets masked (tokens, keys, and a
    password inside the cache URL)."""
    values = settings.model_dump(mode="json")
    if values.get("cache_url"):
        values["cache_url"] = _URL_PASSWORD.sub(r"\1:***@", values["cache_url"])
    return values
