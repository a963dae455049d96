"""The twin's block in an Obsidian daily note: between its markers, and nowhere else."""

from __future__ import annotations

START, END = "%%TWIN_START%%", "%%TWIN_END%%"


def with_twin_block(note: str | None, block: str) -> str:
    """The note with `block` between the twin's markers.

    Everything outside the markers is kept byte for byte. A note without the markers
    gets them appended at its end (a new note is just the block). Of several marker
    pairs, the first complete one is the twin's; a lone start marker is left alone.
    """
    body = f"{START}\n{block.strip()}\n{END}"
    if not note:
        return body + "\n"
    end = note.find(END)
    start = note.rfind(START, 0, end) if end != -1 else -1
    if start == -1:
        separator = "" if note.endswith("\n\n") else ("\n" if note.endswith("\n") else "\n\n")
        return f"{note}{separator}{body}\n"
    return note[:start] + body + note[end + len(END):]
