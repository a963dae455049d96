"""The goals vault on disk (TWIN_GOALS_DIR): every markdown note in it, read recursively and
never written, with each file or folder that was left out and why."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from twin_pipeline.core.goals import GoalCatalogue, catalogue_goals

# Notes are small; anything bigger is an export or an attachment misnamed .md.
MAX_NOTE_BYTES = 1 << 20


@dataclass(frozen=True)
class GoalsVault:
    root: Path
    markdown_files: int  # *.md files met, read or not
    skipped: tuple[tuple[str, str], ...]  # (path relative to the vault, why it was left out)
    catalogue: GoalCatalogue


def load_goals_vault(root: Path) -> GoalsVault:
    """The goals, and the notes that belong to them, of the vault at `root`."""
    if not root.is_dir():
        why = (str(root), "not a folder (missing, or a file): no goals read")
        return GoalsVault(root, 0, (why,), catalogue_goals([], str(root)))
    notes, markdown_files, skipped = _read_notes(root)
    return GoalsVault(root, markdown_files, tuple(skipped), catalogue_goals(notes, str(root)))


def _read_notes(root: Path) -> tuple[list[tuple[str, str]], int, list[tuple[str, str]]]:
    """(relative path, text) of every readable note in path order, how many *.md files were
    met, and (path, why) for each one left out. Symbolic links to folders are never followed
    (a link to an ancestor would loop; a link elsewhere would read notes from outside the
    vault, or read them twice); dot folders (.obsidian, .trash, .git) belong to the apps, not to the person's notes."""
    notes: list[tuple[str, str]] = []
    markdown_files = 0
    skipped: list[tuple[str, str]] = []
    seen: dict[tuple[int, int], str] = {}
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            skipped.append((_relative(folder, root), f"folder cannot be listed: {exc.strerror}"))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path, is_note = Path(entry.path), entry.name.lower().endswith(".md")
            label = _relative(path, root)
            if entry.is_symlink():
                reason = _link_reason(path, is_note)
            elif entry.is_dir(follow_symlinks=False):
                subfolders.append(path)
                continue
            else:
                reason = None
            markdown_files += is_note
            if reason is not None:
                skipped.append((label, reason))
                continue
            if not is_note:
                continue
            text, reason, identity = _read(path)
            if reason is None and identity in seen:
                reason = f"the same file as {seen[identity]} (a link), read there"
            if reason is not None:
                skipped.append((label, reason))
                continue
            seen[identity] = label
            notes.append((label, text))
        pending.extend(reversed(subfolders))
    return notes, markdown_files, skipped


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else "."


def _link_reason(path: Path, is_note: bool) -> str | None:
    """Why a symbolic link is left out, or None for a link to a file (read like a file)."""
    try:
        target = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop (links that point at each other): not followed"
        return "broken symbolic link (its target is missing)" if is_note else None
    if not stat.S_ISDIR(target.st_mode):
        return None
    real_target, real_folder = os.path.realpath(path), os.path.realpath(path.parent)
    if real_folder == real_target or real_folder.startswith(real_target.rstrip(os.sep) + os.sep):
        return f"symbolic link loop: points to {real_target}, a folder that contains it; not followed"
    return f"symbolic link to the folder {real_target}: not followed (keep the notes in the vault itself)"


def _read(path: Path) -> tuple[str, str | None, tuple[int, int]]:
    """(text, None, file identity), or ("", why it cannot be read, identity)."""
    try:
        # O_NONBLOCK: opening a FIFO named *.md must not wait for a writer forever.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return "", f"cannot be read: {exc.strerror}", (0, 0)
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        identity = (info.st_dev, info.st_ino)
        if not stat.S_ISREG(info.st_mode):
            return "", "not a regular file (a FIFO, socket or device)", identity
        if info.st_size > MAX_NOTE_BYTES:
            return "", f"{info.st_size} bytes: larger than {MAX_NOTE_BYTES} bytes, not a note", identity
        try:
            data = handle.read(MAX_NOTE_BYTES + 1)
        except OSError as exc:
            return "", f"cannot be read: {exc.strerror}", identity
    if b"\x00" in data:
        return "", "binary content (NUL bytes), not a text note", identity
    try:
        return data.decode("utf-8-sig"), None, identity
    except UnicodeDecodeError as exc:
        return "", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", identity
