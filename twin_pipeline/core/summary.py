"""The daily status text (Telegram, Obsidian), rendered from a day's persisted state documents."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

HEADER = "📊 AUTONOMOUS LIVING STATUS"


def format_money(amount: float | Decimal, currency: str) -> str:
    """+2,450.00 PLN / -312.40 PLN."""
    value = Decimal(str(amount))
    sign = "-" if value < 0 else "+"
    return f"{sign}{abs(value):,.2f} {currency}"


MARKUP = set("\\`*_[]()~<#|&!{}")


def literal(name: str) -> str:
    """A name from the sources, shown as written: the characters that start markup in
    Telegram's Markdown or Obsidian's (CommonMark: emphasis, links, code, HTML tags and
    entities, tables) get a backslash, which both read as "this character, literally".
    So `*Rice*` or `<b>Eggs</b>` can neither format the status text nor inject into it."""
    return "".join("\\" + ch if ch in MARKUP else ch for ch in name)


def _some(names: list[str], shown: int = 3) -> str:
    listed = ", ".join(literal(name) for name in names[:shown])
    return listed + (f" +{len(names) - shown}" if len(names) > shown else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _unavailable(label: str, section: Mapping | None) -> str | None:
    if section is None:
        return f"⚠️ {label}: unavailable (no state for this day)"
    if section.get("status") == "unavailable":
        return f"⚠️ {label}: unavailable ({section.get('error') or 'no reason given'})"
    return None


def health_line(section: Mapping | None, weekly_target: int) -> str:
    if (line := _unavailable("Health", section)) is not None:
        return line
    text = f"💪 Health: {section['workouts_last_7_days']}/{weekly_target} workouts this week"
    body = section.get("body_composition")
    if body and body.get("bodyweight_kg") is not None:
        trend = f", {body['weight_trend'].lower()}" if body.get("weight_trend") else ""
        text += f" · {body['bodyweight_kg']:.1f} kg{trend}"
    return text


def finance_line(section: Mapping | None) -> str:
    if (line := _unavailable("Finance", section)) is not None:
        return line
    by_currency = section.get("by_currency")
    if by_currency:
        nets = [format_money(t["mtd_net"], c) for c, t in by_currency.items()]
        nets.sort(key=lambda text: not text.endswith(section["currency"]))
        money = ", ".join(nets)
    else:
        money = format_money(section["mtd_net"], section["currency"])
    text = f"💰 Finance: {money} MTD"
    if section["active_budget_alerts"]:
        paths = [alert["category_path"] or alert["alert_id"] for alert in section.get("alerts", [])]
        text += f" · {_plural(section['active_budget_alerts'], 'budget alert')} ({_some(paths, 2)})"
    return text


def pantry_line(section: Mapping | None) -> str:
    if (line := _unavailable("Pantry", section)) is not None:
        return line
    text = f"🛒 Pantry: {_plural(section['low_stock_count'], 'item')} low stock"
    if section["low_stock_count"]:
        text += f" ({_some(section.get('low_stock', []))})"
    if section["expiring_soon_count"]:
        text += f" · {section['expiring_soon_count']} expiring soon"
    if section["expired_count"]:
        text += f" · {section['expired_count']} expired"
    return text


def home_line(home: Mapping) -> str:
    environment = home.get("environmental_data") or {}
    parts = []
    if environment.get("temperature_c") is not None:
        parts.append(f"{environment['temperature_c']:.1f} °C")
    if environment.get("humidity_pct") is not None:
        parts.append(f"{environment['humidity_pct']:.0f} % humidity")
    devices = home.get("device_inventory") or []
    silent = sum(1 for d in devices if d.get("state") in ("unavailable", "unknown"))
    status = home.get("operational_status") or "unknown"
    parts.append(status + (f" ({silent} of {len(devices)} devices not reporting)" if silent else ""))
    return "🏠 Home: " + " · ".join(parts)


def render_summary(
    as_of: str, states: Mapping[str, Mapping], *, weekly_workout_target: int = 3, home: Mapping | None = None
) -> str:
    """The status text for one day from its entity documents (finance, health, pantry),
    and the home's line when the home as it is now belongs to that day (today)."""
    lines = [
        f"{HEADER} · {as_of}",
        health_line(states.get("health"), weekly_workout_target),
        finance_line(states.get("finance")),
        pantry_line(states.get("pantry")),
    ]
    if home is not None:
        lines.append(home_line(home))
    degraded = [
        f"{name}: {states[name].get('error')}"
        for name in ("health", "finance", "pantry")
        if states.get(name, {}).get("status") == "degraded"
    ]
    lines += [f"ℹ️ {note}" for note in degraded]
    return "\n".join(lines)
