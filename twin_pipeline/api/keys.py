"""The household's keys: one per member, each a name, the sha256 of the key (the file never
holds a key), a tier and, when given, the last day it is valid, in the TOML file
TWIN_API_KEYS_FILE. The API reads the file again within a second of a change, so a revoked key
stops working without a restart. It fails closed: while the file is unreadable, invalid or
missing, every key from it is refused (the owner's DIGITAL_TWIN_API_KEY still works), and the
file is taken again as soon as it is usable."""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from twin_pipeline.api.log_fields import api_logger
from twin_pipeline.urls import ConfigurationError

Tier = Literal["owner", "household"]
TIERS: tuple[Tier, ...] = ("owner", "household")
# What the household tier reads of a day: the pantry (and the home, beside the day's sections).
HOUSEHOLD_SECTIONS = ("pantry",)
# The name of DIGITAL_TWIN_API_KEY's key in logs, metrics and X-User-ID.
OWNER_NAME = "owner"
# The SOP's prefix for a partner's activity in the logs.
PARTNER_PREFIX = "partner_"
FIELDS = ("name", "tier", "sha256", "added", "expires")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEADER = re.compile(r"^\s*\[\[\s*key\s*\]\]\s*(#.*)?$")
RECHECK_SECONDS = 1.0
# A keys file is a few lines a member; anything larger is not one (and is never read whole).
MAX_FILE_BYTES = 1 << 20

keys_log = api_logger("twin_pipeline.api.keys")


class KeysFileError(ConfigurationError):
    """The keys file cannot be used; the message names the file, the line and the fix (never
    a value from the file: a key pasted in by mistake must not reach a terminal or a log)."""


@dataclass(frozen=True)
class Key:
    name: str
    tier: Tier
    sha256: str
    expires: date | None = None  # the last day the key is valid, in TWIN_TIMEZONE


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


def _expiry(value: object) -> date | None:
    """`expires` as TOML writes a date (expires = 2027-01-31) or as its ISO text; None when absent."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("expires is not a date (YYYY-MM-DD)")


def parse_keys(text: str, path: Path) -> tuple[Key, ...]:
    """The keys of a keys file's text; KeysFileError naming the line that is wrong."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib names the line and column, never the text there.
        raise KeysFileError(f"keys file {path} is not TOML ({exc}): fix it or restore it") from None
    unknown = sorted(set(document) - {"key"})
    entries = document.get("key", [])
    if unknown or not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        what = f"unknown table {unknown[0]!r}" if unknown and NAME.match(unknown[0]) else (
            "a table other than [[key]]" if unknown else "`key` is not a list of [[key]] tables")
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
            return KeysFileError(f"keys file {path} line {line}: {problem}")

        extra = sorted(set(entry) - set(FIELDS))
        if extra:
            named = repr(extra[0]) if NAME.match(extra[0]) else "a field"
            raise refuse(extra[0], f"unknown field {named}: a key has {', '.join(FIELDS)}")
        for field in ("name", "tier", "sha256"):
            if not isinstance(entry.get(field), str):
                raise refuse(field, f"{field} missing or not a string")
        name, tier, digest = entry["name"], entry["tier"], entry["sha256"]
        if not NAME.match(name):
            raise refuse("name", "the name is not letters, digits, '_', '.' or '-' (at most 64)")
        if name in RESERVED:
            raise refuse("name", f"the name {name!r} stands for {RESERVED[name]} in the logs: choose another")
        if tier not in TIERS:
            raise refuse("tier", f"the tier is not one of {', '.join(TIERS)}")
        if not HEX64.match(digest):
            # Never echoed: a key pasted here instead of its digest must not reach a log.
            raise refuse("sha256", "sha256 is not 64 lower-case hex digits (the key's SHA-256 digest, "
                         "as `twin keys add` writes it)")
        try:
            expires = _expiry(entry.get("expires"))
        except ValueError as exc:
            raise refuse("expires", str(exc)) from None
        if any(k.name == name for k in keys):
            raise refuse("name", f"a second key named {name!r}: names must be unique")
        if any(k.sha256 == digest for k in keys):
            raise refuse("sha256", f"key {name!r} has the same hash as another key: each member needs their own key")
        keys.append(Key(name, tier, digest, expires))
    return tuple(keys)


def _read_text(path: Path) -> str:
    """The keys file's text; KeysFileError saying why it cannot be read."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise KeysFileError(f"keys file {path} unreadable ({reason}): create it with `twin keys add` "
                            "or fix TWIN_API_KEYS_FILE") from None
    if len(data) > MAX_FILE_BYTES:
        raise KeysFileError(f"keys file {path} is over {MAX_FILE_BYTES // 1024} KiB: it is not a keys file; "
                            "fix TWIN_API_KEYS_FILE")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeysFileError(f"keys file {path} is not UTF-8 text: restore it or fix TWIN_API_KEYS_FILE") from None


def read_keys(path: Path) -> tuple[Key, ...]:
    return parse_keys(_read_text(path), path)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """The keys file's folder locked against another `twin keys add|revoke` (the file itself
    is replaced by each write, so its folder is what both hold)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the lock


def _write(path: Path, text: str) -> None:
    """Replace the file at once, so the API never reads half of it, keeping its owner, group
    and mode (a new file: yours, 0600), so the API can read it as before."""
    parse_keys(text, path)  # never write a file the API would refuse
    try:
        before = os.stat(path)
    except FileNotFoundError:
        before = None
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if before is None:
            os.chmod(temporary, 0o600)
        else:
            try:
                os.chown(temporary, before.st_uid, before.st_gid)
            except PermissionError:
                raise KeysFileError(
                    f"keys file {path} belongs to uid {before.st_uid}, gid {before.st_gid}, and this user "
                    f"(uid {os.getuid()}) cannot write it as theirs: run `twin keys` as its owner (or root), "
                    "so the API can still read it; nothing was changed") from None
            os.chmod(temporary, stat.S_IMODE(before.st_mode))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_key(path: Path, name: str, tier: Tier, expires: date | None = None) -> str:
    """A new random key for `name`, its hash appended to the file; the key is returned, never stored."""
    if not NAME.match(name) or name in RESERVED:
        reason = f"stands for {RESERVED[name]} in the logs" if name in RESERVED else \
            "is not letters, digits, '_', '.' or '-' (at most 64, a letter or digit first)"
        raise KeysFileError(f"the name {name!r} {reason}: choose another")
    with _locked(path):
        text = _read_text(path) if path.exists() else ""
        if any(k.name == name for k in parse_keys(text, path)):
            raise KeysFileError(f"keys file {path} already has a key named {name!r}: revoke it first or choose another name")
        key = secrets.token_urlsafe(32)
        added = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        block = f'[[key]]\nname = "{name}"\ntier = "{tier}"\nsha256 = "{key_hash(key)}"\nadded = "{added}"\n'
        if expires is not None:
            block += f"expires = {expires.isoformat()}\n"
        separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        _write(path, text + separator + block)
    return key


def revoke_key(path: Path, name: str) -> Key:
    """The key named `name` removed from the file (its lines only; comments elsewhere stay)."""
    with _locked(path):
        text = _read_text(path)
        keys = parse_keys(text, path)
        lines = text.splitlines(keepends=True)
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
    """The keys of TWIN_API_KEYS_FILE, read again at most once every `recheck_seconds`. While
    the file is unreadable, invalid or missing, it has no keys (`problem` says why, logged once
    per problem); the first usable read takes it again. The first read raises KeysFileError: a
    bad file stops the API at start. `expired` is judged on the day in `timezone`."""

    def __init__(self, path: Path, recheck_seconds: float = RECHECK_SECONDS, timezone: str = "UTC"):
        self.path, self._recheck, self._zone = path, recheck_seconds, ZoneInfo(timezone)
        self._text = _read_text(path)
        self._keys = parse_keys(self._text, path)
        self._withheld: tuple[Key, ...] = ()  # the last good keys, refused while the file is not usable
        self._problem: str | None = None
        self._looked = time.monotonic()
        self._lock = threading.Lock()

    def _look(self) -> None:
        now = time.monotonic()
        if now - self._looked >= self._recheck and self._lock.acquire(blocking=False):
            try:
                self._looked = now
                self._reload()
            finally:
                self._lock.release()

    def keys(self) -> tuple[Key, ...]:
        """The keys in force: none while the file is not usable."""
        self._look()
        return self._keys

    @property
    def problem(self) -> str | None:
        """Why the file's keys are refused now (None: the file is usable)."""
        self._look()
        return self._problem

    def withheld(self, digest: str) -> bool:
        """Whether `digest` is a key of the last good file, refused because the file is not usable."""
        return self._problem is not None and any(hmac.compare_digest(digest, key.sha256) for key in self._withheld)

    def expired(self, key: Key) -> bool:
        return key.expires is not None and datetime.now(self._zone).date() > key.expires

    def _reload(self) -> None:
        try:
            text = _read_text(self.path)
            if text == self._text and self._problem is None:
                return
            keys = parse_keys(text, self.path)
        except KeysFileError as exc:
            if self._problem is None:
                self._withheld, self._keys = self._keys, ()
            if str(exc) != self._problem:
                keys_log.error("%s; every key from it is refused until it is usable again "
                               "(DIGITAL_TWIN_API_KEY still works)", exc)
            self._problem = str(exc)
            return
        if self._problem is not None:
            keys_log.warning("keys file %s usable again", self.path)
        self._text, self._keys, self._withheld, self._problem = text, keys, (), None
        keys_log.warning("keys file %s read again: %s", self.path,
                         ", ".join(f"{k.name} ({k.tier})" for k in keys) or "no keys")


@dataclass(frozen=True)
class Refusal:
    """Why a key that was once good is refused now (401): expired, or its file not usable."""

    reason: str


class KeyRing:
    """Every key the API accepts: DIGITAL_TWIN_API_KEY's (the owner) and the keys file's."""

    def __init__(self, owner_key: str | None, keys_file: KeysFile | None = None):
        self._owner = Key(OWNER_NAME, "owner", key_hash(owner_key)) if owner_key else None
        self.keys_file = keys_file

    @property
    def required(self) -> bool:
        """A key is required: there is one at all (none: an API on loopback, open to all)."""
        return self._owner is not None or self.keys_file is not None

    def identify(self, presented: Sequence[str]) -> Caller | Refusal | None:
        """The caller whose key is among the presented ones; ANONYMOUS without any key
        configured; a Refusal for a key of the file that has expired, or that the file held
        when it was last usable; None when no key matches. Every hash is compared, in
        constant time."""
        if not self.required:
            return ANONYMOUS
        known = ([self._owner] if self._owner else []) + list(self.keys_file.keys() if self.keys_file else ())
        found = None
        digests = [key_hash(key) for key in presented]
        for digest in digests:
            for key in known:
                if hmac.compare_digest(digest, key.sha256) and found is None:
                    found = key
        if found is not None and self.keys_file is not None and self.keys_file.expired(found):
            return Refusal(f"the key {found.name!r} expired after {found.expires}: ask the owner for a new one")
        if found is not None:
            return Caller(found.name, found.tier)
        if self.keys_file is not None and any(self.keys_file.withheld(digest) for digest in digests):
            return Refusal("the household's keys file cannot be used right now, so its keys are refused: "
                           "the owner can see why in /health/ready")
        return None
