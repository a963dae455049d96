"""The household's keys: one per member, each a name, the sha256 of the key (the file never
holds a key) and a tier, in the TOML file TWIN_API_KEYS_FILE. The API reads the file again
within a second of a change, so a revoked key stops working without a restart; a change that
does not parse is logged and the last good file kept."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import threading
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from twin_pipeline.urls import ConfigurationError

Tier = Literal["owner", "household"]
TIERS: tuple[Tier, ...] = ("owner", "household")
# What the household tier reads of a day: the pantry (and the home, beside the day's sections).
HOUSEHOLD_SECTIONS = ("pantry",)
# The name of DIGITAL_TWIN_API_KEY's key in logs, metrics and X-User-ID.
OWNER_NAME = "owner"
# The SOP's prefix for a partner's activity in the logs.
PARTNER_PREFIX = "partner_"
FIELDS = ("name", "tier", "sha256", "added")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEADER = re.compile(r"^\s*\[\[\s*key\s*\]\]\s*(#.*)?$")
RECHECK_SECONDS = 1.0

keys_log = logging.getLogger("twin_pipeline.api.keys")


class KeysFileError(ConfigurationError):
    """The keys file cannot be used; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Key:
    name: str
    tier: Tier
    sha256: str


@dataclass(frozen=True)
class Caller:
    """Who a request comes from, as its key says."""

    name: str
    tier: Tier

    @property
    def log_name(self) -> str:
        """The name in the access log: a household member's prefixed as the person's SOP wants."""
        return PARTNER_PREFIX + self.name if self.tier == "household" else self.name


ANONYMOUS = Caller("anonymous", "owner")  # an API with no key at all (loopback only)
LET_THROUGH = Caller("unidentified", "owner")  # no valid key, let through by TWIN_API_AUTH=warn
RESERVED = {OWNER_NAME: "DIGITAL_TWIN_API_KEY's key", ANONYMOUS.name: "every caller of an API without keys",
            LET_THROUGH.name: "a caller without a valid key"}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _blocks(lines: Sequence[str]) -> list[int]:
    """The line index of each `[[key]]` header, in order."""
    return [n for n, line in enumerate(lines) if HEADER.match(line)]


def _field_line(lines: Sequence[str], start: int, end: int, field: str) -> int:
    """The 1-based line of `field = ...` within a block (its header when absent)."""
    pattern = re.compile(rf"^\s*{field}\s*=")
    return next((n + 1 for n in range(start, end) if pattern.match(lines[n])), start + 1)


def parse_keys(text: str, path: Path) -> tuple[Key, ...]:
    """The keys of a keys file's text; KeysFileError naming the line that is wrong."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KeysFileError(f"keys file {path} is not TOML ({exc}): fix it or restore it") from None
    unknown = sorted(set(document) - {"key"})
    entries = document.get("key", [])
    if unknown or not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        what = f"unknown table {unknown[0]!r}" if unknown else "`key` is not a list of [[key]] tables"
        raise KeysFileError(f"keys file {path}: {what}; each key is a [[key]] table with name, tier and sha256")
    lines = text.splitlines()
    headers = _blocks(lines)
    # Line numbers come from the [[key]] headers; an inline array has none to name.
    bounds = list(zip(headers, [*headers[1:], len(lines)])) if len(headers) == len(entries) else None
    keys: list[Key] = []
    for number, entry in enumerate(entries):

        def refuse(field: str, problem: str) -> KeysFileError:
            if bounds is None:
                return KeysFileError(f"keys file {path}, key {number + 1}: {problem}")
            line = _field_line(lines, *bounds[number], field)
            return KeysFileError(f"keys file {path} line {line} ({lines[line - 1].strip()}): {problem}")

        extra = sorted(set(entry) - set(FIELDS))
        if extra:
            raise refuse(extra[0], f"unknown field {extra[0]!r}: a key has {', '.join(FIELDS)}")
        for field in ("name", "tier", "sha256"):
            if not isinstance(entry.get(field), str):
                raise refuse(field, f"{field} missing or not a string")
        name, tier, digest = entry["name"], entry["tier"], entry["sha256"]
        if not NAME.match(name):
            raise refuse("name", f"name {name!r} is not letters, digits, '_', '.' or '-' (at most 64)")
        if name in RESERVED:
            raise refuse("name", f"the name {name!r} stands for {RESERVED[name]} in the logs: choose another")
        if tier not in TIERS:
            raise refuse("tier", f"tier {tier!r} is not one of {', '.join(TIERS)}")
        if not HEX64.match(digest):
            raise refuse("sha256", "sha256 is not 64 lower-case hex characters (the key's SHA-256 digest)")
        if any(k.name == name for k in keys):
            raise refuse("name", f"a second key named {name!r}: names must be unique")
        if any(k.sha256 == digest for k in keys):
            raise refuse("sha256", f"key {name!r} has the same hash as another key: each member needs their own key")
        keys.append(Key(name, tier, digest))
    return tuple(keys)


def read_keys(path: Path) -> tuple[Key, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise KeysFileError(f"keys file {path} unreadable ({reason}): create it with `twin keys add` "
                            "or fix TWIN_API_KEYS_FILE") from None
    return parse_keys(text, path)


def _write(path: Path, text: str) -> None:
    """Replace the file at once, so the API never reads half of it."""
    parse_keys(text, path)  # never write a file the API would refuse
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_key(path: Path, name: str, tier: Tier) -> str:
    """A new random key for `name`, its hash appended to the file; the key is returned, never stored."""
    if not NAME.match(name) or name in RESERVED:
        reason = f"stands for {RESERVED[name]} in the logs" if name in RESERVED else \
            "is not letters, digits, '_', '.' or '-' (at most 64, a letter or digit first)"
        raise KeysFileError(f"the name {name!r} {reason}: choose another")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if any(k.name == name for k in parse_keys(text, path)):
        raise KeysFileError(f"keys file {path} already has a key named {name!r}: revoke it first or choose another name")
    key = secrets.token_urlsafe(32)
    added = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    block = f'[[key]]\nname = "{name}"\ntier = "{tier}"\nsha256 = "{key_hash(key)}"\nadded = "{added}"\n'
    separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    _write(path, text + separator + block)
    return key


def revoke_key(path: Path, name: str) -> Key:
    """The key named `name` removed from the file (its lines only; comments elsewhere stay)."""
    keys = read_keys(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    headers = _blocks(lines)
    found = next((n for n, k in enumerate(keys) if k.name == name), None)
    if found is None:
        raise KeysFileError(f"keys file {path} has no key named {name!r}: `twin keys list` shows the names")
    if len(headers) != len(keys):
        raise KeysFileError(f"keys file {path} does not write each key as a [[key]] table: remove {name!r} by hand")
    start, end = headers[found], ([*headers[1:], len(lines)])[found]
    _write(path, "".join(lines[:start] + lines[end:]))
    return keys[found]


class KeysFile:
    """The keys of TWIN_API_KEYS_FILE, read again when the file changes (looked at most once
    every `recheck_seconds`); a change that cannot be used is logged once and the last good
    keys kept. The first read raises KeysFileError: a bad file stops the API at start."""

    def __init__(self, path: Path, recheck_seconds: float = RECHECK_SECONDS):
        self.path, self._recheck = path, recheck_seconds
        self._signature = self._stat()
        self._keys = read_keys(path)
        self._refused: tuple | None = None
        self._looked = time.monotonic()
        self._lock = threading.Lock()

    def _stat(self) -> tuple | None:
        try:
            found = os.stat(self.path)
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size, found.st_ino

    def keys(self) -> tuple[Key, ...]:
        now = time.monotonic()
        if now - self._looked >= self._recheck and self._lock.acquire(blocking=False):
            try:
                self._looked = now
                signature = self._stat()
                if signature != self._signature:
                    self._reload(signature)
            finally:
                self._lock.release()
        return self._keys

    def _reload(self, signature: tuple | None) -> None:
        try:
            keys = read_keys(self.path)
        except KeysFileError as exc:
            if signature != self._refused:
                keys_log.error("%s; still using the last good keys file (%d keys)", exc, len(self._keys))
                self._refused = signature
            return
        self._signature, self._keys, self._refused = signature, keys, None
        keys_log.warning("keys file %s read again: %s", self.path,
                         ", ".join(f"{k.name} ({k.tier})" for k in keys) or "no keys")


class KeyRing:
    """Every key the API accepts: DIGITAL_TWIN_API_KEY's (the owner) and the keys file's."""

    def __init__(self, owner_key: str | None, keys_file: KeysFile | None = None):
        self._owner = Key(OWNER_NAME, "owner", key_hash(owner_key)) if owner_key else None
        self.keys_file = keys_file

    @property
    def required(self) -> bool:
        """A key is required: there is one at all (none: an API on loopback, open to all)."""
        return self._owner is not None or self.keys_file is not None

    def identify(self, presented: Sequence[str]) -> Caller | None:
        """The caller whose key is among the presented ones; ANONYMOUS without any key
        configured; None when no key matches. Every hash is compared, in constant time."""
        if not self.required:
            return ANONYMOUS
        known = ([self._owner] if self._owner else []) + list(self.keys_file.keys() if self.keys_file else ())
        found = None
        for digest in map(key_hash, presented):
            for key in known:
                if hmac.compare_digest(digest, key.sha256) and found is None:
                    found = key
        return None if found is None else Caller(found.name, found.tier)
