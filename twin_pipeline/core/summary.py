"""The daily status text (Telegram, Obsidian), rendered from a day's persisted state documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from twin_pipeline.core.health.biometrics import status_readings

HEADER = "📊 AUTONOMOUS LIVING STATUS"
HOME_MARK = "🏠 Home:"
SECTIONS = ("health", "finance", "pantry")  # the status text's lines, in order


def format_money(amount: float | Decimal, currency: str, places: int = 2) -> str:
    """+2,450.00 PLN / -312.40 PLN; with places=0, +1,980 PLN (half away from zero)."""
    value = Decimal(str(amount)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else "+"
    return f"{sign}{abs(value):,.{places}f} {currency}"


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
    return text + status_readings(section)


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


def planned_expenses_text(section: Mapping | None, shown: int = 3) -> str | None:
    """The bills of the person's expense calendar still to come this month, or None when
    there are none (or the calendar could not be read; the state says why):
    Car insurance 1,650.00 on the 15th, Dentist 300.00 on the 25th (1,950.00 PLN this month)."""
    forecast = (section or {}).get("forecast") or {}
    bills = forecast.get("planned_expenses")
    if not bills:
        return None
    listed = ", ".join(
        f"{literal(bill['name'])} {bill['amount']:,.2f} on the {ordinal(date.fromisoformat(bill['expense_date']).day)}"
        for bill in bills[:shown]
    )
    more = f" +{len(bills) - shown}" if len(bills) > shown else ""
    total = f"{forecast['planned_expenses_remaining']:,.2f} {forecast['currency']}"
    return f"{listed}{more} ({total} this month)"


def planned_line(section: Mapping | None) -> str | None:
    """`/finance`'s line of the bills planned for the rest of the month (None: there are none)."""
    text = planned_expenses_text(section)
    return None if text is None else f"🗓️ Planned: {text}"


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


# A pantry category running low later than this is not worth the person's morning.
FORECAST_HORIZON_DAYS = 14


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def range_text(made: Mapping | None) -> str:
    """ (80 %: -900 to +400): a money range in whole units, or nothing without one."""
    if not made:
        return ""
    low, high = (format_money(made[end], "", places=0).rstrip() for end in ("low", "high"))
    return f" ({made['level_pct']} %: {low} to {high})"


def month_end_text(forecast: Mapping) -> str | None:
    """Month end -165 PLN (80 %: -900 to +400): the finance forecast's projection and its
    range; None without a projection."""
    if forecast.get("month_end_net_projected") is None:
        return None
    return ("Month end " + format_money(forecast["month_end_net_projected"], forecast["currency"], places=0)
            + range_text(forecast.get("month_end_net_range")))


def forecast_line(states: Mapping[str, Mapping]) -> str | None:
    """One short line of the day's most useful forecasts, or None when there is none:
    📈 Month end -165 PLN (80 %: -900 to +400) · Groceries over by the 27th · Coffee low in 9 days."""
    parts = []
    finance = (states.get("finance") or {}).get("forecast") or {}
    if (month_end := month_end_text(finance)) is not None:
        parts.append(month_end)
    running_out = [b for b in finance.get("budgets", ()) if b["status"] == "runs_out"]
    if running_out:
        soonest = min(running_out, key=lambda b: (b["runs_out_on"], b["budget_id"]))
        name = (soonest["category_path"] or soonest["budget_id"]).rsplit(" > ", 1)[-1]
        parts.append(f"{literal(name)} over by the {ordinal(date.fromisoformat(soonest['runs_out_on']).day)}")
    pantry = states.get("pantry") or {}
    running_low = [
        (c["reaches_threshold_on"], c["category"])
        for c in ((pantry.get("forecast") or {}).get("categories") or ())
        if c["reaches_threshold_on"] is not None
    ]
    if running_low:
        on, category = min(running_low)
        days = (date.fromisoformat(on) - date.fromisoformat(pantry["as_of"])).days
        if days <= FORECAST_HORIZON_DAYS:
            parts.append(f"{literal(category)} low in {_plural(days, 'day')}")
    return "📈 " + " · ".join(parts) if parts else None


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
    return HOME_MARK + " " + " · ".join(parts)


def render_summary(
    as_of: str,
    states: Mapping[str, Mapping],
    *,
    weekly_workout_target: int = 3,
    home: Mapping | None = None,
    forecasts: bool = False,
    review: str | None = None,
    sections: Sequence[str] = SECTIONS,
    notable: str | None = None,
) -> str:
    """The status text for one day from its entity documents (finance, health, pantry),
    the forecasts' line when asked for and there is one, last month's forecast review on
    the 1st (core/forecast_review.py review_line), the ⚠️ line of what is newly notable
    (core/notable.py status_line), and the home's line when the home as it is now belongs
    to that day (today). `sections` are the lines shown (a household key's text: the
    pantry's alone)."""
    section_lines = {
        "health": lambda: health_line(states.get("health"), weekly_workout_target),
        "finance": lambda: finance_line(states.get("finance")),
        "pantry": lambda: pantry_line(states.get("pantry")),
    }
    lines = [f"{HEADER} · {as_of}", *(section_lines[name]() for name in SECTIONS if name in sections)]
    if forecasts and (line := forecast_line(states)) is not None:
        lines.append(line)
    if notable is not None:
        lines.append(notable)
    if review is not None:
        lines.append(review)
    if home is not None:
        lines.append(home_line(home))
    degraded = [
        f"{name}: {states[name].get('error')}"
        for name in SECTIONS
        if name in sections and states.get(name, {}).get("status") == "degraded"
    ]
    lines += [f"ℹ️ {note}" for note in degraded]
    return "\n".join(lines)
