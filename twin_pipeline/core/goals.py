"""Goals from markdown notes with YAML front matter, as the person writes them: one file a
goal, or a vault of folders where each goal's note sits beside the notes that belong to it."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import PurePosixPath

import yaml

# Free-text statuses, as people write them, to the goal table's five (docs/entities.md, "goals").
STATUS_MAP = {
    "planning": "Planning", "planned": "Planning", "draft": "Planning", "idea": "Planning", "proposed": "Planning",
    "active": "Active", "current": "Active", "in progress": "Active", "in-progress": "Active", "ongoing": "Active",
    "on hold": "On Hold", "on-hold": "On Hold", "paused": "On Hold", "blocked": "On Hold", "waiting": "On Hold",
    "completed": "Completed", "complete": "Completed", "done": "Completed", "achieved": "Completed",
    "archived": "Archived", "cancelled": "Archived", "canceled": "Archived", "abandoned": "Archived", "dropped": "Archived",
}
_CODE = re.compile(r"^(?:goal-)?(g\d+)$", re.IGNORECASE)
# "G01: Reach Target Body Fat" is goal G01, named "Reach Target Body Fat".
_CODE_PREFIX = re.compile(r"^\s*(?:goal-)?g\d+\s*[:\-\u2013\u2014]\s*", re.IGNORECASE)
# A template's unfilled field, such as {{OWNER_NAME}}: unknown, never a value.
_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?(.*)\Z", re.MULTILINE | re.DOTALL)
# libyaml's loader when PyYAML was built with it: a vault of hundreds of notes is read in milliseconds.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class GoalFileError(ValueError):
    """A goal file that cannot be read as a goal; the message says what to fix."""


class NoFrontMatter(GoalFileError):
    """A note without front matter: in a vault, a plain note that claims nothing."""


@dataclass(frozen=True)
class GoalDoc:
    goal_code: str
    name: str
    status: str
    description: str | None = None
    start_date: date | None = None
    target_date: date | None = None
    dependencies: tuple[str, ...] = ()
    progress_metrics: dict = field(default_factory=dict)
    roadmap_link: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Note:
    """One markdown note: its front matter (template placeholders taken out), its body, and
    the front matter keys whose value was a placeholder."""

    front: dict
    body: str
    placeholders: frozenset[str] = frozenset()

    @property
    def kind(self) -> str | None:
        value = str(self.front.get("type") or "").strip().lower()
        return value or None

    @property
    def goal_ids(self) -> list[str]:
        value = self.front.get("goal_id")
        values = value if isinstance(value, list) else [] if value is None else [value]
        return [str(v).strip() for v in values if str(v).strip()]


@dataclass(frozen=True)
class GoalCatalogue:
    """What a set of notes says about goals. Paths are as given (relative to the vault)."""

    goals: dict[str, GoalDoc]
    members: dict[str, tuple[str, ...]]  # goal code -> the notes that belong to that goal
    orphans: dict[str, tuple[str, ...]]  # a goal_id naming no goal -> the notes carrying it
    malformed: list[tuple[str, str]]  # (note, why it is not a goal)
    templates: tuple[str, ...]  # notes whose goal_id is a placeholder
    other_notes: int  # notes that claim no goal: no front matter, or neither type goal nor goal_id

    @property
    def owner(self) -> str | None:
        """The person the goals name as owner (the most frequent name), if any."""
        owners = Counter(goal.owner for goal in self.goals.values() if goal.owner)
        return owners.most_common(1)[0][0] if owners else None


def goal_code(value: object) -> str:
    match = _CODE.match(str(value).strip())
    if not match:
        raise GoalFileError(f"goal_id {value!r} is not like \"goal-g04\" or \"G04\"")
    return match.group(1).upper()


def _known(value: object) -> object:
    if isinstance(value, str):
        return None if _PLACEHOLDER.search(value) else value
    if isinstance(value, list):
        return [item for item in map(_known, value) if item is not None]
    if isinstance(value, dict):
        return {key: item for key, item in ((k, _known(v)) for k, v in value.items()) if item is not None}
    return value


def read_note(text: str) -> Note:
    """A note's front matter (between --- lines at the top) and body."""
    if not text.startswith("---"):
        raise NoFrontMatter("no YAML front matter (the file must start with ---)")
    match = _FRONT_MATTER.match(text)
    if not match:
        raise GoalFileError("front matter is not closed (a line --- must end it)")
    try:
        front = yaml.load(match.group(1), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise GoalFileError(f"front matter is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(front, dict):
        raise GoalFileError("front matter is not a mapping of keys to values")
    known = _known(front)
    return Note(known, match.group(2), frozenset(str(k) for k in front if k not in known and front[k] is not None))


def _date(front: dict, *names: str) -> date | None:
    for name in names:
        value = front.get(name)
        if value in (None, ""):
            continue
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise GoalFileError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from exc
    return None


def _updated(front: dict) -> date | None:
    """A note's `updated` day, or None when it is missing or not a date (never an error)."""
    value = front.get("updated")
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def goal_name(title: str) -> str:
    """The title without its code: "G01: Reach Target Body Fat" -> "Reach Target Body Fat"."""
    return _CODE_PREFIX.sub("", title, count=1).strip() or title.strip()


def goal_from_note(note: Note, roadmap_link: str) -> GoalDoc:
    front, body = note.front, note.body
    if not note.goal_ids:
        raise GoalFileError("front matter lacks goal_id")
    raw_status = str(front.get("status", "")).strip().lower()
    if raw_status not in STATUS_MAP:
        raise GoalFileError(f"status {front.get('status')!r} is not one of: {', '.join(sorted(STATUS_MAP))}")
    heading = next((line[2:].strip() for line in body.splitlines()
                    if line.startswith("# ") and not _PLACEHOLDER.search(line)), None)
    name = goal_name(str(front.get("title") or heading or ""))
    if not name:
        raise GoalFileError("no title (front matter `title` or a `# heading`)")
    dependencies = front.get("dependencies") or []
    if not isinstance(dependencies, list):
        raise GoalFileError("dependencies must be a list of goal codes")
    start, target = _date(front, "start_date", "start"), _date(front, "target_date", "target")
    if start and target and target < start:
        raise GoalFileError(f"target_date {target} is before start_date {start}")
    progress = front.get("progress") or front.get("progress_metrics") or {}
    paragraphs = [p.strip() for p in body.split("\n\n")
                  if p.strip() and not p.strip().startswith("#") and not _PLACEHOLDER.search(p)]
    owner = str(front.get("owner") or "").strip()
    return GoalDoc(
        goal_code=goal_code(note.goal_ids[0]),
        name=name,
        status=STATUS_MAP[raw_status],
        description=str(front.get("description") or (paragraphs[0] if paragraphs else "")) or None,
        start_date=start,
        target_date=target,
        dependencies=tuple(goal_code(d) for d in dependencies),
        progress_metrics=progress if isinstance(progress, dict) else {"progress": progress},
        roadmap_link=roadmap_link,
        owner=owner or None,
    )


def parse_goal(text: str, roadmap_link: str) -> GoalDoc:
    """A goal from one markdown file: front matter between --- lines, then the body."""
    return goal_from_note(read_note(text), roadmap_link)


def _member_key(goal_id: str) -> str:
    try:
        return goal_code(goal_id)
    except GoalFileError:
        return goal_id


def catalogue_goals(notes: Iterable[tuple[str, str]], root: str = "") -> GoalCatalogue:
    """Goals from (path, text) notes. A note is a goal when its front matter says
    `type: goal`; a note without a type and with a goal_id is a goal too (a folder of one
    file a goal), unless a `type: goal` note already defines that code. Every other note
    carrying a goal_id belongs to that goal and is counted in its progress_metrics
    (`documents`, and `last_updated`: the newest `updated` among them)."""
    candidates: list[tuple[bool, str, GoalDoc, date | None]] = []
    belonging: dict[str, list[tuple[str, date | None]]] = defaultdict(list)
    malformed: list[tuple[str, str]] = []
    templates: list[str] = []
    other_notes = 0
    for path, text in notes:
        try:
            note = read_note(text)
        except NoFrontMatter:
            other_notes += 1
            continue
        except GoalFileError as exc:
            malformed.append((path, str(exc)))
            continue
        if "goal_id" in note.placeholders:
            templates.append(path)
        elif note.kind == "goal" or (note.kind is None and note.goal_ids):
            try:
                goal = goal_from_note(note, str(PurePosixPath(root, path)))
                candidates.append((note.kind == "goal", path, goal, _updated(note.front)))
            except GoalFileError as exc:
                malformed.append((path, str(exc)))
        elif note.goal_ids:
            for goal_id in note.goal_ids:
                belonging[_member_key(goal_id)].append((path, _updated(note.front)))
        else:
            other_notes += 1
    goals: dict[str, GoalDoc] = {}
    defined_in: dict[str, tuple[bool, str]] = {}
    # Notes that say `type: goal` first: an untyped note with the same code then belongs to it.
    for typed, path, goal, updated in sorted(candidates, key=lambda c: not c[0]):
        code = goal.goal_code
        if code not in goals:
            goals[code], defined_in[code] = goal, (typed, path)
        elif not typed and defined_in[code][0]:
            belonging[code].append((path, updated))
        else:
            malformed.append((path, f"{code} is also defined in {defined_in[code][1]}"))
    for code, notes_of_goal in belonging.items():
        if code in goals:
            newest = max((day for _, day in notes_of_goal if day), default=None)
            counted = {"documents": len(notes_of_goal)} | ({"last_updated": newest.isoformat()} if newest else {})
            goals[code] = replace(goals[code], progress_metrics={**goals[code].progress_metrics, **counted})
    return GoalCatalogue(
        goals=dict(sorted(goals.items())),
        members={c: tuple(sorted(p for p, _ in n)) for c, n in sorted(belonging.items()) if c in goals},
        orphans={c: tuple(sorted(p for p, _ in n)) for c, n in sorted(belonging.items()) if c not in goals},
        malformed=sorted(malformed),
        templates=tuple(templates),
        other_notes=other_notes,
    )


def dependency_problems(goals: dict[str, GoalDoc]) -> tuple[dict[str, list[str]], list[list[str]]]:
    """(goal -> dependencies that name no known goal, dependency cycles as code paths)."""
    unknown = {code: [d for d in g.dependencies if d not in goals] for code, g in goals.items()}
    unknown = {code: missing for code, missing in unknown.items() if missing}
    cycles, state = [], {}

    def visit(code: str, path: list[str]) -> None:
        state[code] = "visiting"
        for dependency in goals[code].dependencies:
            if dependency not in goals:
                continue
            if state.get(dependency) == "visiting":
                cycles.append(path[path.index(dependency):] + [dependency])
            elif dependency not in state:
                visit(dependency, path + [dependency])
        state[code] = "done"

    for code in sorted(goals):
        if code not in state:
            visit(code, [code])
    return unknown, cycles


def goals_progress(goals: dict[str, GoalDoc], today: date) -> dict:
    """The person's goal progress: counts by status, overdue goals (target date passed, not
    done), blocked goals (waiting on a known goal that is not completed; a dependency on
    an unknown goal is reported by the goals asset instead)."""
    open_statuses = {"Planning", "Active", "On Hold"}
    by_status = {status: 0 for status in ("Planning", "Active", "On Hold", "Completed", "Archived")}
    for goal in goals.values():
        by_status[goal.status] += 1
    overdue = sorted(c for c, g in goals.items() if g.status in open_statuses and g.target_date and g.target_date < today)
    blocked = sorted(
        c for c, g in goals.items()
        if g.status in open_statuses and any(d in goals and goals[d].status != "Completed" for d in g.dependencies)
    )
    return {"total": len(goals), "by_status": by_status, "overdue": overdue, "blocked": blocked}
