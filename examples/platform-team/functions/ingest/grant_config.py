"""What the grant tells the function, read once at init from the variables the library writes (HANDLER_ENVIRONMENT).

Standard library only, so it can be checked against a synthesized stack without the Lambda runtime.
"""
import json
from dataclasses import dataclass
from typing import Mapping, Tuple

BUCKET_NAME = "BUCKET_NAME"
GRANTED_PREFIXES = "GRANTED_PREFIXES"
ACCESS_PRESETS = ("read", "write", "readWrite")


class ConfigurationError(Exception):
    """A variable the grant writes is missing or malformed; names the variable and the value it held."""


@dataclass(frozen=True)
class GrantedPrefix:
    prefix: str
    access: str
    delete: bool

    @property
    def readable(self) -> bool:
        return self.access in ("read", "readWrite")

    @property
    def writable(self) -> bool:
        return self.access in ("write", "readWrite")


@dataclass(frozen=True)
class GrantConfig:
    bucket_name: str
    prefixes: Tuple[GrantedPrefix, ...]

    def writable_prefix(self, key: str) -> bool:
        return any(p.writable and key.startswith(p.prefix) for p in self.prefixes)

    def readable_prefix(self, key: str) -> bool:
        return any(p.readable and key.startswith(p.prefix) for p in self.prefixes)


def _prefix(index: int, entry: object) -> GrantedPrefix:
    where = f"{GRANTED_PREFIXES}[{index}]"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where} {entry!r} is not an object")
    prefix, access, delete = entry.get("prefix"), entry.get("access"), entry.get("delete")
    if not isinstance(prefix, str) or not prefix.endswith("/"):
        raise ConfigurationError(f"{where}.prefix {prefix!r} is not a prefix ending in /")
    if access not in ACCESS_PRESETS:
        raise ConfigurationError(f"{where}.access {access!r} is not one of {', '.join(ACCESS_PRESETS)}")
    if not isinstance(delete, bool):
        raise ConfigurationError(f"{where}.delete {delete!r} is not true or false")
    return GrantedPrefix(prefix, access, delete)


def load(environ: Mapping[str, str]) -> GrantConfig:
    bucket = environ.get(BUCKET_NAME, "")
    if not bucket:
        raise ConfigurationError(f"{BUCKET_NAME} {bucket!r} is not set: the grant writes it")
    raw = environ.get(GRANTED_PREFIXES, "")
    try:
        entries = json.loads(raw)
    except ValueError as error:
        raise ConfigurationError(f"{GRANTED_PREFIXES} {raw!r} is not JSON: {error}") from error
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError(f"{GRANTED_PREFIXES} {raw!r} is not a non-empty list")
    return GrantConfig(bucket, tuple(_prefix(i, e) for i, e in enumerate(entries)))
