"""The twin's entities: goals (markdown files), the home (Home Assistant) and the person.

Not daily partitions but the current picture: materialized by twin_entities_job after the
morning run (and by `twin up`), each writing its own table in the twin store.
"""


import json
import urllib.request
from collections import Counter
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from twin_pipeline.core.goals import GoalDoc, catalogue_goals, dependency_problems, goals_progress
from twin_pipeline.core.home import home_from_states
from twin_pipeline.defs.resources import TwinConfig, TwinStore
from twin_pipeline.goals_vault import load_goals_vault
from twin_pipeline.reader import NoState, TwinReader
from twin_pipeline.settings import TwinSettings, current_settings


def _table(rows: list[tuple], header: tuple[str, ...]) -> MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return MetadataValue.md("\n".join(lines))


@asset(
    group_name="entities",
    kinds={"python", "postgres"},
    owners=["team:twin"],
    description=(
        "The person's goals, read from the markdown vault in TWIN_GOALS_DIR and its folders (a note "
        "with `type: goal`, or without a type but with a goal_id, is a goal; other notes carrying a "
        "goal_id are counted in its progress_metrics) into the goal table. Nothing in the vault is "
        "written. Malformed goal notes, unreadable or binary files and symbolic links to folders are "
        "reported and skipped; unknown dependencies and dependency cycles are reported."
    ),
)
def goals(context: AssetExecutionContext, twin_store: TwinStore, twin_config: TwinConfig) -> MaterializeResult:
    vault = load_goals_vault(Path(twin_config.goals_dir)) if twin_config.goals_dir else None
    catalogue = vault.catalogue if vault else catalogue_goals([])
    parsed = catalogue.goals
    skipped = [*catalogue.malformed, *(vault.skipped if vault else ())]
    unknown, cycles = dependency_problems(parsed)
    twin_store.write_goals(twin_store.person(twin_config.person_id, name=catalogue.owner), parsed.values())
    for name, reason in skipped:
        context.log.warning(f"goals vault: {name} skipped: {reason}")
    metadata = {
        "goals_dir": str(vault.root) if vault else "TWIN_GOALS_DIR not set",
        "files": vault.markdown_files if vault else 0,
        "goals_loaded": len(parsed),
        "files_skipped": len(skipped),
        "dagster/row_count": len(parsed),
        "by_status": MetadataValue.json(dict(Counter(g.status for g in parsed.values()))),
        "unknown_dependencies": MetadataValue.json(unknown),
        "dependency_cycles": MetadataValue.json([" -> ".join(cycle) for cycle in cycles]),
        "notes_counted": sum(len(paths) for paths in catalogue.members.values()),
        "documents_by_goal": MetadataValue.json({code: len(paths) for code, paths in catalogue.members.items()}),
        "notes_for_unknown_goals": MetadataValue.json({gid: len(paths) for gid, paths in catalogue.orphans.items()}),
        "other_notes": catalogue.other_notes,
        "templates": MetadataValue.json(list(catalogue.templates)),
        "owner_named": catalogue.owner or "none",
    }
    if skipped:
        metadata["skipped"] = _table(skipped, ("file", "why"))
    return MaterializeResult(metadata=metadata)


def _home_states(source: str, token: str | None) -> list[dict]:
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"Authorization": f"Bearer {token}"} if token else {})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    return json.loads(Path(source).expanduser().read_text(encoding="utf-8"))


@asset(
    group_name="entities",
    kinds={"python", "postgres"},
    owners=["team:twin"],
    description=(
        "The home, from a Home Assistant states export (TWIN_HOME_STATES: a file, or the URL of "
        "GET /api/states): temperature, humidity and air quality into environmental_data, devices "
        "with state and battery into device_inventory, and the operational status they imply."
    ),
)
def home(context: AssetExecutionContext, twin_store: TwinStore, twin_config: TwinConfig) -> MaterializeResult:
    if not twin_config.home_states:
        return MaterializeResult(metadata={"source": "TWIN_HOME_STATES not set: no home data"})
    try:
        states = _home_states(twin_config.home_states, twin_config.home_states_token)
    except (OSError, ValueError) as exc:
        context.log.warning(f"Home Assistant states at {twin_config.home_states} could not be read: {exc}")
        return MaterializeResult(metadata={"source": twin_config.home_states, "error": str(exc)})
    snapshot = home_from_states(states if isinstance(states, list) else [])
    twin_store.write_home(twin_store.person(twin_config.person_id), snapshot)
    return MaterializeResult(metadata={
        "source": twin_config.home_states,
        "entities": snapshot.entities,
        "entities_not_reporting": snapshot.not_reporting,
        "devices": len(snapshot.device_inventory),
        "operational_status": snapshot.operational_status,
        "temperature_c": snapshot.environmental_data["temperature_c"] or 0.0,
        "environmental_data": MetadataValue.json(snapshot.environmental_data),
    })


@asset(
    deps=["twin_state", goals, home],
    group_name="entities",
    kinds={"python", "postgres"},
    owners=["team:twin"],
    description=(
        "The person: health metrics from the newest health state, goal progress from the goals "
        "(counts by status, overdue, blocked). A person row is appended to digital_twin_updates "
        "when either changes."
    ),
)
def person(context: AssetExecutionContext, twin_store: TwinStore, twin_config: TwinConfig) -> MaterializeResult:
    reader = TwinReader(engine=twin_store.engine(), person_id=twin_config.person_id)
    try:
        health = reader.day().entities.get("health", {})
    except NoState:
        health = {}
    body = health.get("body_composition") or {}
    health_metrics = {
        "as_of": health.get("as_of"),
        "bodyweight_kg": body.get("bodyweight_kg"),
        "bodyfat_pct": body.get("bodyfat_pct"),
        "lean_mass_kg": body.get("lean_mass_kg"),
        "weight_trend": body.get("weight_trend"),
        "last_workout_date": health.get("last_workout_date"),
        "workouts_last_7_days": health.get("workouts_last_7_days"),
    }
    person_id = twin_store.person(twin_config.person_id)
    goal_docs = {
        row["goal_code"]: GoalDoc(row["goal_code"], row["name"], row["status"], target_date=row["target_date"],
                                  dependencies=tuple(row["dependency_codes"]))
        for row in twin_store.goals(person_id)
    }
    today = twin_config.today()
    progress = goals_progress(goal_docs, today)
    changed = twin_store.write_person(person_id, today, health_metrics, progress)
    return MaterializeResult(metadata={
        "person_id": person_id,
        "state_row_written": changed,
        "goals": progress["total"],
        "overdue": ", ".join(progress["overdue"]) or "none",
        "blocked": ", ".join(progress["blocked"]) or "none",
        "health_metrics": MetadataValue.json(health_metrics),
    })


ENTITY_ASSETS = [goals, home, person]


def build_entities_automation(settings: TwinSettings) -> dg.Definitions:
    job = dg.define_asset_job(
        "twin_entities_job",
        selection=dg.AssetSelection.groups("entities"),
        description="Goals, home and person: the current picture of the twin's entities.",
    )
    schedule = dg.ScheduleDefinition(
        job=job,
        cron_schedule="15 6 * * *",
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every day at 06:15 in TWIN_TIMEZONE, after the twin's morning run: goals, home, person.",
    )
    return dg.Definitions(assets=ENTITY_ASSETS, jobs=[job], schedules=[schedule])


@dg.definitions
def defs() -> dg.Definitions:
    return build_entities_automation(current_settings())
