"""The morning briefing and the planner's dashboard text, rendered from a day's persisted
documents, the home and the goal rows. Only what the twin knows: no sleep, HRV or tasks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from twin_pipeline.core.health.biometrics import briefing_lines
from twin_pipeline.core.summary import (
    HEADER,
    format_money,
    home_line,
    literal,
    month_end_text,
    pantry_line,
    planned_expenses_text,
)

BRIEFING_HEADER = "🌅 MORNING BRIEFING"
DASHBOARD_HEADER = "📱 Today's Dashboard"
DUE_SOON_DAYS = 7
OPEN_GOAL_STATUSES = ("Planning", "Active", "On Hold")


def _days(count: int) -> str:
    return f"{count} day" if abs(count) == 1 else f"{count} days"


def _unavailable(label: str, section: Mapping | None) -> list[str] | None:
    """A source the twin could not read that day is said so; a missing one is left out."""
    if section is None:
        return []
    if section.get("status") == "unavailable":
        return [f"⚠️ {label}: unavailable ({section.get('error') or 'no reason given'})"]
    return None


def health_lines(section: Mapping | None, weekly_workout_target: int) -> list[str]:
    if (lines := _unavailable("Health", section)) is not None:
        return lines
    lines = ["💪 Health"]
    done = f"{section['workouts_last_7_days']}/{weekly_workout_target} workouts in the last 7 days"
    if section.get("last_workout_date"):
        since = section["days_since_last_workout"]
        ago = "today" if since == 0 else f"{_days(since)} ago"
        lines.append(f"  • Training: {done}, last on {section['last_workout_date']} ({ago})")
    else:
        lines.append(f"  • Training: {done}, no workout recorded yet")
    body = section.get("body_composition")
    if body and body.get("bodyweight_kg") is not None:
        figures = [f"{body['bodyweight_kg']:.1f} kg"]
        if body.get("bodyfat_pct") is not None:
            figures.append(f"{body['bodyfat_pct']:.1f} % body fat")
        if body.get("weight_trend"):
            figures.append(body["weight_trend"].lower())
        lines.append(f"  • Body: {' · '.join(figures)} (measured {body['measurement_date']})")
    return lines + briefing_lines(section)


def finance_lines(section: Mapping | None) -> list[str]:
    if (lines := _unavailable("Finance", section)) is not None:
        return lines
    totals = section.get("by_currency") or {section["currency"]: section}
    lines = ["💰 Finance"]
    # The main currency first, as in the status text.
    for currency, t in sorted(totals.items(), key=lambda pair: pair[0] != section["currency"]):
        lines.append(
            f"  • Month to date: {format_money(t['mtd_net'], currency)} "
            f"(income {t['mtd_income']:,.2f}, expenses {t['mtd_expense']:,.2f})"
        )
    if (month_end := month_end_text(section.get("forecast") or {})) is not None:
        lines.append(f"  • {month_end}")
    alerts = section.get("alerts") or []
    if not alerts:
        lines.append("  • Budget: no alerts")
    for alert in alerts:
        where = literal(alert.get("category_path") or alert["alert_id"])
        lines.append(
            f"  • Budget: {where} at {alert['utilization_pct']:.2f} % of {alert['budget_amount']:,.2f} "
            f"{section['currency']} ({alert['alert_severity']}, {_days(alert['days_remaining'])} left)"
        )
    if (planned := planned_expenses_text(section)) is not None:
        lines.append(f"  • Planned: {planned}")
    return lines


def pantry_lines(section: Mapping | None) -> list[str]:
    if (lines := _unavailable("Pantry", section)) is not None:
        return lines
    return [pantry_line(section)]


def goals_due(goals: Iterable[Mapping], as_of: date, within_days: int = DUE_SOON_DAYS) -> list[tuple[Mapping, int]]:
    """Open goals whose target date has passed or comes within `within_days` of as_of,
    soonest first, each with its days left (negative when overdue)."""
    due = []
    for goal in goals:
        target = goal.get("target_date")
        if goal.get("status") not in OPEN_GOAL_STATUSES or not target:
            continue
        left = (date.fromisoformat(str(target)[:10]) - as_of).days
        if left <= within_days:
            due.append((goal, left))
    return sorted(due, key=lambda pair: (pair[1], pair[0]["goal_code"]))


def goals_lines(goals: Sequence[Mapping], as_of: date) -> list[str]:
    due = goals_due(goals, as_of)
    if not due:
        return []
    lines = ["🎯 Goals due"]
    for goal, left in due:
        when = (f"overdue by {_days(-left)}" if left < 0 else "due today" if left == 0 else f"due in {_days(left)}")
        lines.append(f"  • {goal['goal_code']} {literal(goal['name'])}: {when} (target {str(goal['target_date'])[:10]})")
    return lines


def notable_lines(items: Sequence[Mapping]) -> list[str]:
    """Every current notable item, the new ones marked, with the day an older one started."""
    if not items:
        return []
    lines = ["⚠️ Notable"]
    for item in items:
        since = "new" if item["new"] else f"since {item['started_on']}"
        lines.append(f"  • {item['text'].removeprefix('⚠️ ')} ({since})")
    return lines


def morning_briefing(
    as_of: str,
    sections: Mapping[str, Mapping],
    *,
    weekly_workout_target: int,
    home: Mapping | None = None,
    goals: Sequence[Mapping] = (),
    notable: Sequence[Mapping] = (),
) -> str:
    """The `🌅 MORNING BRIEFING` for a day: what is notable (every current item, new or
    not: core/notable.py), health, finance, pantry, home and goals due, in that order; a
    section the twin holds nothing for is left out."""
    blocks = [
        notable_lines(notable),
        health_lines(sections.get("health"), weekly_workout_target),
        finance_lines(sections.get("finance")),
        pantry_lines(sections.get("pantry")),
        [home_line(home)] if home else [],
        goals_lines(goals, date.fromisoformat(as_of)),
    ]
    return "\n\n".join([f"{BRIEFING_HEADER} · {as_of}", *("\n".join(block) for block in blocks if block)])


def today_dashboard(as_of: str, status_text: str) -> str:
    """The planner's text: the day's status lines under `📱 Today's Dashboard`."""
    lines = status_text.splitlines()
    if lines and lines[0].startswith(HEADER):
        lines = lines[1:]
    return "\n".join([f"{DASHBOARD_HEADER} · {as_of}", *lines])


def everything_text(status_text: str, goals: Sequence[Mapping], as_of: str) -> str:
    """The status text followed by the goals due: `/all`'s text."""
    return "\n".join([status_text, *goals_lines(goals, date.fromisoformat(as_of))])


def person_line(person: Mapping) -> str:
    """`/person`'s text: who, and how their goals stand."""
    progress = person.get("goals_progress") or {}
    parts = [f"{progress.get('total', 0)} goals"]
    for key in ("overdue", "blocked"):
        if progress.get(key):
            parts.append(f"{key} {', '.join(progress[key])}")
    weight = (person.get("health_metrics") or {}).get("bodyweight_kg")
    if weight is not None:
        parts.append(f"{weight:.1f} kg")
    return f"👤 {literal(person.get('name') or 'the person')}: " + " · ".join(parts)
