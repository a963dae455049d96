"""A day's note file in an Obsidian vault, written atomically with the twin's block (core/note_block.py):
for `twin note` and the daily_note asset (defs/daily_note.py)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from twin_pipeline.core.note_block import with_twin_block


def write_daily_note(vault: Path, as_of: str, summary: str) -> str:
    """Put the summary into <vault>/<as_of>.md; returns 'created', 'updated' or 'unchanged'."""
    vault.mkdir(parents=True, exist_ok=True)
    path = vault / f"{as_of}.md"
    before = path.read_text(encoding="utf-8") if path.exists() else None
    after = with_twin_block(before, summary)
    if after == before:
        return "unchanged"
    # Write beside, then rename: a crash never leaves half a note (Obsidian may be reading it).
    handle, temporary = tempfile.mkstemp(dir=vault, prefix=f".{as_of}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(after)
    # A new note holds the person's money and body: theirs alone (0600); an existing one keeps its mode.
    os.chmod(temporary, stat.S_IMODE(path.stat().st_mode) if before is not None else 0o600)
    os.replace(temporary, path)
    return "created" if before is None else "updated"
