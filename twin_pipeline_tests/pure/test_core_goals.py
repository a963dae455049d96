"""Fast tests of goals from markdown: parsing one file, dependency problems, progress. No database."""

from datetime import date

import pytest

from twin_pipeline.core.goals import GoalDoc, GoalFileError, dependency_problems, goals_progress, parse_goal

MARATHON = """---
goal_id: "goal-g04"
status: "In Progress"
title: Run a marathon
start_date: 2026-01-01
target_date: "2026-10-01"
dependencies: [G01, goal-g2]
progress:
  km_per_week: 30
---
# Marathon

Build up to 42 km.

Then race.
"""


def test_a_goal_file_with_front_matter():
    assert parse_goal(MARATHON, "goals/marathon.md") == GoalDoc(
        goal_code="G04", name="Run a marathon", status="Active", description="Build up to 42 km.",
        start_date=date(2026, 1, 1), target_date=date(2026, 10, 1), dependencies=("G01", "G2"),
        progress_metrics={"km_per_week": 30}, roadmap_link="goals/marathon.md",
    )


def test_the_heading_names_a_goal_without_a_title():
    goal = parse_goal('---\ngoal_id: G7\nstatus: done\n---\n# Learn Polish\n', "p.md")
    assert (goal.goal_code, goal.name, goal.status, goal.description, goal.dependencies) == (
        "G7", "Learn Polish", "Completed", None, ())


@pytest.mark.parametrize(("written", "status"), [
    ("idea", "Planning"), (" Active ", "Active"), ("ongoing", "Active"), ("ON HOLD", "On Hold"),
    ("paused", "On Hold"), ("achieved", "Completed"), ("cancelled", "Archived"), ("dropped", "Archived"),
])
def test_free_text_statuses_map_to_the_five(written, status):
    assert parse_goal(f'---\ngoal_id: G1\nstatus: "{written}"\ntitle: T\n---\n', "t.md").status == status


@pytest.mark.parametrize(("text", "message"), [
    ("# Just a note\n", "no YAML front matter"),
    ("---\ngoal_id: [unclosed\n---\n", "front matter is not valid YAML"),
    ("---\n- a list\n---\n", "not a mapping"),
    ("---\nstatus: active\ntitle: T\n---\n", "lacks goal_id"),
    ("---\ngoal_id: G1\nstatus: someday\ntitle: T\n---\n", "status 'someday' is not one of"),
    ("---\ngoal_id: G1\nstatus: active\n---\nno heading\n", "no title"),
    ("---\ngoal_id: week-4\nstatus: active\ntitle: T\n---\n", "goal_id 'week-4'"),
    ("---\ngoal_id: G1\nstatus: active\ntitle: T\ntarget: next spring\n---\n", "target: 'next spring' is not a date"),
    ("---\ngoal_id: G1\nstatus: active\ntitle: T\nstart: 2026-02-01\ntarget: 2026-01-01\n---\n",
     "target_date 2026-01-01 is before start_date 2026-02-01"),
    ("---\ngoal_id: G1\nstatus: active\ntitle: T\ndependencies: G2\n---\n", "dependencies must be a list"),
])
def test_a_bad_goal_file_says_what_to_fix(text, message):
    with pytest.raises(GoalFileError, match=message):
        parse_goal(text, "bad.md")


def goal(code: str, status: str = "Active", target: date | None = None, *dependencies: str) -> GoalDoc:
    return GoalDoc(goal_code=code, name=code, status=status, target_date=target, dependencies=dependencies)


def test_dependency_problems_unknown_goals_and_cycles():
    goals = {g.goal_code: g for g in [
        goal("G1", "Active", None, "G2"), goal("G2", "Active", None, "G3"), goal("G3", "Active", None, "G1"),
        goal("G4", "Active", None, "G9"), goal("G5", "Active", None, "G4"), goal("G6", "Active", None, "G6"),
    ]}
    unknown, cycles = dependency_problems(goals)
    assert unknown == {"G4": ["G9"]}
    assert cycles == [["G1", "G2", "G3", "G1"], ["G6", "G6"]]
    assert dependency_problems({"G4": goals["G4"], "G5": goals["G5"]})[1] == []


def test_progress_counts_overdue_and_blocked_goals():
    today = date(2026, 3, 10)
    goals = {g.goal_code: g for g in [
        goal("G1", "Active", date(2026, 3, 9), "G2"),     # target passed: overdue; its dependency is done
        goal("G2", "Completed", date(2026, 1, 1)),         # done: never overdue
        goal("G3", "Planning", today),                     # due today: not yet overdue
        goal("G4", "On Hold", None, "G5"),                 # waits on an open goal: blocked
        goal("G5", "Active", None, "G99"),                 # an unknown dependency is not "blocked"
        goal("G6", "Archived", date(2020, 1, 1), "G5"),    # archived: neither overdue nor blocked
    ]}
    assert goals_progress(goals, today) == {
        "total": 6,
        "by_status": {"Planning": 1, "Active": 2, "On Hold": 1, "Completed": 1, "Archived": 1},
        "overdue": ["G1"],
        "blocked": ["G4"],
    }
