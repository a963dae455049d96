"""Goals from markdown files with YAML front matter, as the person writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import yaml

# Free-text statuses, as people write them, to the goal table's five (README, "Goals").
STATUS_MAP = {
    "planning": "Planning", "planned": "Planning", "draft": "Planning", "idea": "Planning", "proposed": "Planning",
    "active": "Active", "current": "Active", "in progress": "Active", "in-progress": "Active", "ongoing": "Active",
    "on hold": "On Hold", "on-hold": "On Hold", "paused": "On Hold", "blocked": "On Hold", "waiting": "On Hold",
    "completed": "Completed", "complete": "Completed", "done": "Completed", "achieved": "Completed",
    "archived": "Archived", "cancelled": "Archived", "canceled": "Archived", "abandoned": "Archived", "dropped": "Archived",
}
_CODE = re.compile(r"^(?:goal-)?(g\d+)$", re.IGNORECASE)


class GoalFileError(ValueError):
    """A goal file that cannot be read as a goal; the message says what to fix."""


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


def goal_code(value: object) -> str:
    match = _CODE.match(str(value).strip())
    if not match:
        raise GoalFileError(f"goal_id {value!r} is not like \"goal-g04\" or \"G04\"")
    return match.group(1).upper()


def _date(front: dict, *names: str) -> date | None:
    for name in names:
        value = front.get(name)
        if value in (None, ""):
            continue
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise GoalFileError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from exc
    return None


def parse_goal(text: str, roadmap_link: str) -> GoalDoc:
    """A goal from one markdown file: front matter between --- lines, then the body."""
    if not text.startswith("---"):
        raise GoalFileError("no YAML front matter (the file must start with ---)")
    try:
        _, header, body = text.split("---", 2)
        front = yaml.safe_load(header) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise GoalFileError(f"front matter is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(front, dict):
        raise GoalFileError("front matter is not a mapping of keys to values")
    if "goal_id" not in front:
        raise GoalFileError("front matter lacks goal_id")
    raw_status = str(front.get("status", "")).strip().lower()
    if raw_status not in STATUS_MAP:
        raise GoalFileError(f"status {front.get('status')!r} is not one of: {', '.join(sorted(STATUS_MAP))}")
    heading = next((line[2:].strip() for line in body.splitlines() if line.startswith("# ")), None)
    name = str(front.get("title") or heading or "").strip()
    if not name:
        raise GoalFileError("no title (front matter `title` or a `# heading`)")
    dependencies = front.get("dependencies") or []
    if not isinstance(dependencies, list):
        raise GoalFileError("dependencies must be a list of goal codes")
    start, target = _date(front, "start_date", "start"), _date(front, "target_date", "target")
    if start and target and target < start:
        raise GoalFileError(f"target_date {target} is before start_date {start}")
    progress = front.get("progress") or front.get("progress_metrics") or {}
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip() and not p.strip().startswith("#")]
    return GoalDoc(
        goal_code=goal_code(front["goal_id"]),
        name=name,
        status=STATUS_MAP[raw_status],
        description=str(front.get("description") or (paragraphs[0] if paragraphs else "")) or None,
        start_date=start,
        target_date=target,
        dependencies=tuple(goal_code(d) for d in dependencies),
        progress_metrics=progress if isinstance(progress, dict) else {"progress": progress},
        roadmap_link=roadmap_link,
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
