"""Person, Home and Goal: constraints, goals from markdown, person aggregation, Home Assistant."""

import json
import uuid
from datetime import timedelta

import pytest
from dagster import DagsterInstance, materialize
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from twin_pipeline.api import create_app
from twin_pipeline.core.goals import GoalFileError, dependency_problems, parse_goal
from twin_pipeline.core.home import home_from_states
from twin_pipeline.defs.entities import ENTITY_ASSETS
from twin_pipeline.reader import TwinReader
from twin_pipeline.paths import EXAMPLES
from twin_pipeline_tests.conftest import LocalClient, execute, materialize_days, today
from twin_pipeline_tests.pure.test_goals_vault import build_vault, vault_listing

TODAY = today()


def goal_file(code: str, status: str = "active", deps: list[str] | None = None, extra: str = "") -> str:
    return (f'---\ntitle: "{code}: a goal"\ngoal_id: "goal-{code.lower()}"\nstatus: "{status}"\n'
            f"dependencies: {json.dumps(deps or [])}\n{extra}---\n\n# {code}\n\nWhy it matters.\n")


@pytest.mark.parametrize(
    "sql, constraint",
    [
        ("UPDATE person SET contact_email = 'not-an-email'", "person_contact_email_valid"),
        ("UPDATE person SET gender = 'Robot'", "person_gender_valid"),
        ("UPDATE person SET activity_level = 'Extreme'", "person_activity_level_valid"),
        ("UPDATE person SET timezone = 'Mars/Olympus'", "'Mars/Olympus' is not an IANA time zone"),
        ("INSERT INTO goal (goal_code, name, status) VALUES ('G99', 'x', 'Someday')", "goal_status_valid"),
        ("INSERT INTO home (name, occupancy_status) VALUES ('x', 'Partying')", "home_occupancy_status_valid"),
        ("INSERT INTO home (name, latitude) VALUES ('x', 123)", "home_latitude_in_range"),
        ("INSERT INTO home (name, address) VALUES ('x', '{\"city\": \"Kraków\"}')",
         "home_address_has_street_city_postal_code_country"),
    ],
)
def test_constraints_refuse_bad_values_with_a_clear_message(sources, sql, constraint):
    execute(sources.twin, "INSERT INTO person (name) SELECT 'Me' WHERE NOT EXISTS (SELECT 1 FROM person)")
    with pytest.raises(IntegrityError, match=constraint.replace("(", r"\(")):
        execute(sources.twin, sql)


def test_an_email_is_unique_and_last_updated_is_managed(sources):
    execute(sources.twin, "INSERT INTO person (name) SELECT 'Me' WHERE NOT EXISTS (SELECT 1 FROM person)")
    with sources.twin.begin() as conn:
        before = conn.execute(text("SELECT last_updated FROM person")).scalar()
    execute(sources.twin, "UPDATE person SET contact_email = 'me@example.org', timezone = 'Europe/Warsaw'")
    with sources.twin.begin() as conn:
        assert conn.execute(text("SELECT last_updated FROM person")).scalar() > before
    with pytest.raises(IntegrityError, match="person_contact_email_unique"):
        execute(sources.twin, "INSERT INTO person (name, contact_email) VALUES ('Twin', 'me@example.org')")


def test_statuses_are_mapped_and_bad_files_explained():
    assert parse_goal(goal_file("G01", "in progress"), "x").status == "Active"
    assert parse_goal(goal_file("G02", "Done"), "x").status == "Completed"
    assert parse_goal(goal_file("G03", "paused"), "x").status == "On Hold"
    with pytest.raises(GoalFileError, match="status 'someday' is not one of"):
        parse_goal(goal_file("G04", "someday"), "x")
    with pytest.raises(GoalFileError, match="no YAML front matter"):
        parse_goal("# just a heading\n", "x")
    with pytest.raises(GoalFileError, match="target_date 2026-01-01 is before start_date 2026-06-01"):
        parse_goal(goal_file("G05", extra='start_date: "2026-06-01"\ntarget_date: "2026-01-01"\n'), "x")


def test_unknown_dependencies_and_cycles_are_found():
    goals = {c: parse_goal(goal_file(c, deps=d), "x") for c, d in
             {"G01": ["G02"], "G02": ["G03"], "G03": ["G01"], "G04": ["G42"]}.items()}
    unknown, cycles = dependency_problems(goals)
    assert unknown == {"G04": ["G42"]}
    assert cycles == [["G01", "G02", "G03", "G01"]]


def test_home_assistant_export_with_unavailable_entities_and_fahrenheit():
    states = json.loads((EXAMPLES / "home_assistant_states.json").read_text())
    home = home_from_states(states)
    assert home.environmental_data["temperature_c"] == round((21.6 + 19.0) / 2, 1)  # 66.2 °F is 19.0 °C
    assert home.environmental_data["humidity_pct"] == 44.0  # the unavailable kitchen sensor is left out
    assert home.environmental_data["air_quality"] == {"pm25": 8.3, "carbon_dioxide": 640.0}
    assert home.not_reporting == 2 and home.entities == len(states)
    window = next(d for d in home.device_inventory if d["entity_id"] == "binary_sensor.window_bedroom")
    assert (window["state"], window["battery"]) == ("unknown", 11.0)  # battery from its own sensor
    assert home.operational_status == "Degraded" and home.occupancy_status == "Occupied"
    assert home_from_states([{"entity_id": "light.a", "state": "unavailable"}]).operational_status == "Alert"
    assert home_from_states([{"bad": "entity"}, {}]).operational_status == "Optimal"


@pytest.fixture(scope="module")
def entities(sources, tmp_path_factory):
    folder = tmp_path_factory.mktemp("goals")
    (folder / "G01.md").write_text(goal_file("G01", "completed"))
    (folder / "G02.md").write_text(goal_file("G02", "active", ["G01"], f'target_date: "{TODAY - timedelta(days=1)}"\n'))
    (folder / "G03.md").write_text(goal_file("G03", "active", ["G02"]))
    (folder / "G04.md").write_text(goal_file("G04", "planning", ["G99"]))
    (folder / "broken.md").write_text("---\ngoal_id: [unclosed\n---\n")
    execute(sources.training, "INSERT INTO measurements (measurement_date, bodyweight_kg, bodyfat_pct) VALUES (:d, 77.7, 15)",
            {"d": TODAY - timedelta(days=1)})
    materialize_days(sources, TODAY - timedelta(days=1), TODAY)
    config = {"goals_dir": str(folder), "home_states": str(EXAMPLES / "home_assistant_states.json")}
    result = materialize(ENTITY_ASSETS, resources=sources.resources(**config), instance=DagsterInstance.ephemeral())
    return sources, result


def test_goals_load_skipping_the_malformed_file_and_reporting_the_rest(entities):
    _, result = entities
    (materialization,) = result.asset_materializations_for_node("goals")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert (metadata["files"], metadata["goals_loaded"], metadata["files_skipped"]) == (5, 4, 1)
    assert "front matter is not valid YAML" in metadata["skipped"]
    assert metadata["unknown_dependencies"] == {"G04": ["G99"]}


def test_the_person_aggregates_health_and_goal_progress(entities):
    sources, _ = entities
    person = TwinReader(sources.finance_url).person()
    assert person["health_metrics"]["bodyweight_kg"] == 77.7
    assert person["goals_progress"]["by_status"] == {"Planning": 1, "Active": 2, "On Hold": 0, "Completed": 1, "Archived": 0}
    assert person["goals_progress"]["overdue"] == ["G02"]
    assert person["goals_progress"]["blocked"] == ["G03"]  # G02 is not done (G04's G99 is only reported)
    with sources.twin.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM digital_twin_updates WHERE entity_type = 'person'")).scalar()
    assert rows == 1


def test_an_unchanged_person_adds_no_row_and_the_api_serves_the_entities(entities):
    sources, _ = entities
    materialize(ENTITY_ASSETS, resources=sources.resources(goals_dir=None, home_states=None),
                instance=DagsterInstance.ephemeral(), selection=[ENTITY_ASSETS[2].key])
    with sources.twin.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM digital_twin_updates WHERE entity_type = 'person'")).scalar() == 1
    client = LocalClient(create_app(TwinReader(sources.finance_url), recheck_seconds=0))
    assert client.get("/person").json()["goals_progress"]["total"] == 4
    assert [g["goal_code"] for g in client.get("/goals").json()] == ["G01", "G02", "G03", "G04"]
    assert client.get("/goals").json()[2]["dependency_codes"] == ["G02"]
    assert client.get("/home").json()["operational_status"] == "Degraded"


def test_todays_summary_has_a_home_line_and_a_past_day_does_not(entities):
    sources, _ = entities
    materialize_days(sources, TODAY - timedelta(days=1), TODAY)
    with sources.twin.connect() as conn:
        texts = dict(conn.execute(text("SELECT as_of, summary_text FROM twin_daily_summary")).all())
    assert "🏠 Home: 20.3 °C · 44 % humidity · Degraded (1 of 6 devices not reporting)" in texts[TODAY]
    assert "🏠" not in texts[TODAY - timedelta(days=1)]


OLD_ENGINE_PERSON = "5b1f2c3d-0000-4000-8000-00000000a11e"


@pytest.fixture
def own_store(own_sources):
    """A twin store as the person's old engine left it: states for their UUID, no person row
    (each test its own: the goals' first run changes it)."""
    execute(own_sources.twin, "INSERT INTO digital_twin_updates (entity_type, entity_id, update_data, source_system, "
            "update_type) VALUES ('health', :p, '{\"as_of\": \"2026-01-10\"}', 'g04_engine', 'status_sync'), "
            "('finance', :p, '{\"as_of\": \"2026-01-10\"}', 'g04_engine', 'status_sync')", {"p": OLD_ENGINE_PERSON})
    return own_sources


def materialize_goals(store, **config):
    result = materialize([ENTITY_ASSETS[0]], resources=store.resources(**config), instance=DagsterInstance.ephemeral())
    assert result.success
    (materialization,) = result.asset_materializations_for_node("goals")
    return {k: v.value for k, v in materialization.metadata.items()}


def test_goals_first_adopt_the_old_engines_uuid_and_read_the_persons_vault(own_store, tmp_path):
    vault = build_vault(tmp_path / "vault")
    before = vault_listing(vault)
    metadata = materialize_goals(own_store, goals_dir=str(vault))  # before any twin_state run
    assert vault_listing(vault) == before
    with own_store.twin.connect() as conn:
        people = conn.execute(text("SELECT person_id::text, name FROM person")).all()
        goals = {row.goal_code: row for row in conn.execute(text(
            "SELECT goal_code, name, owner_person_id::text AS owner, status, progress_metrics FROM goal"))}
    assert people == [(OLD_ENGINE_PERSON, "Anna Nowak")]  # the owner the goal notes name
    assert sorted(goals) == ["G01", "G02"]
    assert {goal.owner for goal in goals.values()} == {OLD_ENGINE_PERSON}
    assert (goals["G01"].name, goals["G01"].status) == ("Reach Target Body Fat", "Active")
    assert goals["G01"].progress_metrics == {"documents": 3, "last_updated": "2026-04-02"}
    assert (metadata["goals_loaded"], metadata["notes_counted"], metadata["owner_named"]) == (2, 4, "Anna Nowak")
    assert metadata["documents_by_goal"] == {"G01": 3, "G02": 1}
    assert metadata["notes_for_unknown_goals"] == {"G09": 1}
    assert metadata["templates"] == ["_templates/Goal-Template.md"]
    assert "binary content (NUL bytes)" in metadata["skipped"] and "symbolic link loop" in metadata["skipped"]
    assert "status 'someday'" in metadata["skipped"] and "Measurements-Log" not in metadata["skipped"]


def test_a_configured_uuid_without_a_person_row_owns_the_goals_and_keeps_its_name(own_store, tmp_path):
    materialize_goals(own_store, goals_dir=str(build_vault(tmp_path / "first")))  # adopts the old engine's UUID
    configured = str(uuid.uuid4())
    execute(own_store.twin, "INSERT INTO digital_twin_updates (entity_type, entity_id, update_data, source_system, "
            "update_type) VALUES ('pantry', :p, '{}', 'g04_engine', 'status_sync')", {"p": configured})
    materialize_goals(own_store, goals_dir=str(build_vault(tmp_path / "vault")), person_id=configured)
    metadata = materialize_goals(own_store, goals_dir=str(EXAMPLES / "goals"), person_id=configured)  # owner "Me"
    assert metadata["goals_loaded"] == 5 and metadata["files_skipped"] == 0
    with own_store.twin.connect() as conn:
        people = dict(conn.execute(text("SELECT person_id::text, name FROM person")).all())
        owners = dict(conn.execute(text("SELECT goal_code, owner_person_id::text FROM goal")).all())
        g01 = conn.execute(text("SELECT name, progress_metrics FROM goal WHERE goal_code = 'G01'")).one()
    assert people == {OLD_ENGINE_PERSON: "Anna Nowak", configured: "Anna Nowak"}  # created once, never renamed
    assert set(owners.values()) == {configured} and sorted(owners) == ["G01", "G02", "G03", "G04", "G05", "G07"]
    assert tuple(g01) == ("Consistent Strength Training", {"workouts_per_week_target": 3})
