"""The person's goals and home: their rows in the store, upserted whole by the entity
assets and read back by the reader."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection

from twin_pipeline.store.schema import sql


def goal_rows(conn: Connection, person_id: str) -> list[Mapping]:
    return list(conn.execute(sql("goal_rows"), {"p": person_id}).mappings())


def upsert_goals(conn: Connection, owner: str, goals: Iterable) -> None:
    """Insert or update goals by code, then their dependencies (once every goal exists)."""
    goals = list(goals)
    for goal in goals:
        conn.execute(sql("upsert_goal"), {
            "code": goal.goal_code, "name": goal.name, "description": goal.description, "owner": owner,
            "status": goal.status, "start": goal.start_date, "target": goal.target_date,
            "progress": json.dumps(goal.progress_metrics, default=str), "link": goal.roadmap_link,
        })
    for goal in goals:
        conn.execute(sql("set_goal_dependencies"), {"code": goal.goal_code, "deps": list(goal.dependencies)})


def home_row(conn: Connection, person_id: str) -> Mapping | None:
    return conn.execute(sql("home_row"), {"p": person_id}).mappings().first()


def upsert_home(conn: Connection, person_id: str, snapshot) -> None:
    conn.execute(sql("upsert_home"), {
        "person": person_id, "env": json.dumps(snapshot.environmental_data),
        "devices": json.dumps(snapshot.device_inventory), "operational": snapshot.operational_status,
        "occupancy": snapshot.occupancy_status,
    })
