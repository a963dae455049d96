"""The goals vault as the person keeps it: folders per goal, notes that belong to goals, an
index, templates, and files that cannot be read. Pure: no database, no Dagster."""

import os
import time
from pathlib import Path

import pytest

from twin_pipeline.core.goals import GoalFileError, catalogue_goals, goal_name, parse_goal
from twin_pipeline.goals_vault import load_goals_vault
from twin_pipeline.paths import EXAMPLES


def note(front: dict, body: str = "") -> str:
    lines = [f"{key}: {value}" if isinstance(value, list) else f'{key}: "{value}"'
             for key, value in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body


def goal_note(code: str, title: str, owner: str, status: str = "active", **extra) -> str:
    front = {"title": f"{code}: {title}", "type": "goal", "status": status, "goal_id": f"goal-{code.lower()}",
             "owner": owner, "updated": "2026-03-01", "review_cadence": "weekly", **extra}
    return note(front, f"# {code}: {title}\n\nWhy this goal matters.\n")


def build_vault(root: Path) -> Path:
    """A vault shaped like the person's (see the module docstring); returns its root."""
    files = {
        "README.md": note({"title": "Goals Index", "tags": "[index]"}, "# Goals\n\n- [[G01_Target-Body-Fat/README]]\n"),
        "G01_Target-Body-Fat/README.md": goal_note("G01", "Reach Target Body Fat", "Anna Nowak"),
        "G01_Target-Body-Fat/Measurements-Log.md": note({"type": "log", "goal_id": "goal-g01", "updated": "2026-04-02"}),
        "G01_Target-Body-Fat/Research/Protein.md": note({"type": "research", "goal_id": "goal-g01",
                                                          "updated": "2026-03-15"}),
        "G01_Target-Body-Fat/Research/Untitled.md": note({"type": "note", "goal_id": "goal-g01",
                                                           "updated": "{{DATE}}"}),
        "G02_Emergency-Fund/README.md": goal_note("G02", "Build an Emergency Fund", "{{OWNER_NAME}}", "on hold",
                                                  dependencies=["goal-g01"]),
        "G02_Emergency-Fund/Plan.md": note({"type": "plan", "goal_id": "goal-g02", "updated": "2026-01-10"}),
        "G03_Someday/README.md": goal_note("G03", "Learn the Cello", "Anna Nowak", "someday"),
        "_templates/Goal-Template.md": goal_note("{{CODE}}", "{{TITLE}}", "{{OWNER_NAME}}"),
        "Inbox/Idea.md": "Just a thought, no front matter.\n",
        "Inbox/Orphan.md": note({"type": "note", "goal_id": "goal-g09", "updated": "2026-02-02"}),
        ".trash/G01-old.md": goal_note("G01", "An Old Copy", "Anna Nowak"),
        "unreadable.md": note({"type": "note"}),
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    (root / "G01_Target-Body-Fat/scan.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (root / "G01_Target-Body-Fat/photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    (root / "Inbox/latin2.md").write_bytes("---\ntitle: \"Zażółć\"\n---\n".encode("iso-8859-2"))
    (root / "unreadable.md").chmod(0)
    os.mkfifo(root / "Inbox/pipe.md")
    (root / "Inbox/dangling.md").symlink_to(root / "Inbox/gone.md")
    (root / "Inbox/ping.md").symlink_to(root / "Inbox/pong.md")
    (root / "Inbox/pong.md").symlink_to(root / "Inbox/ping.md")
    (root / "G02_Emergency-Fund/loop").symlink_to(root)
    (root / "Inbox/Plan-link.md").symlink_to(root / "G02_Emergency-Fund/Plan.md")
    return root


def readable_by_us(path: Path) -> bool:
    """chmod 000 does not stop root: then the file is read like any other."""
    try:
        path.read_bytes()
        return True
    except PermissionError:
        return False


def vault_listing(root: Path) -> dict:
    """Every entry under root with what a write would change (size, mode, mtime, link target)."""
    listing = {}
    for folder, folders, names in os.walk(root):
        for name in folders + names:
            path = Path(folder, name)
            info = path.lstat()
            listing[path] = (info.st_size, info.st_mode, info.st_mtime_ns,
                             os.readlink(path) if path.is_symlink() else None)
    return listing


@pytest.fixture
def vault(tmp_path):
    return build_vault(tmp_path / "vault")


def test_the_persons_vault_yields_its_goals_with_their_notes_counted(vault):
    before = vault_listing(vault)
    loaded = load_goals_vault(vault)
    catalogue = loaded.catalogue
    assert vault_listing(vault) == before  # nothing in the vault was written, created or touched
    assert list(catalogue.goals) == ["G01", "G02"]
    g01, g02 = catalogue.goals["G01"], catalogue.goals["G02"]
    assert (g01.name, g01.status, g01.owner) == ("Reach Target Body Fat", "Active", "Anna Nowak")
    assert g01.roadmap_link == str(vault / "G01_Target-Body-Fat/README.md")  # not the .trash copy
    assert g01.progress_metrics == {"documents": 3, "last_updated": "2026-04-02"}  # {{DATE}} is unknown
    assert catalogue.members["G01"] == ("G01_Target-Body-Fat/Measurements-Log.md",
                                        "G01_Target-Body-Fat/Research/Protein.md",
                                        "G01_Target-Body-Fat/Research/Untitled.md")
    assert (g02.name, g02.status, g02.owner, g02.dependencies) == ("Build an Emergency Fund", "On Hold", None, ("G01",))
    assert g02.progress_metrics == {"documents": 1, "last_updated": "2026-01-10"}  # the link to Plan.md counts once
    assert catalogue.owner == "Anna Nowak"
    assert catalogue.orphans == {"G09": ("Inbox/Orphan.md",)}
    assert catalogue.templates == ("_templates/Goal-Template.md",)
    assert [path for path, _ in catalogue.malformed] == ["G03_Someday/README.md"]
    assert "status 'someday' is not one of" in catalogue.malformed[0][1]
    unreadable_counts = not readable_by_us(vault / "unreadable.md")
    assert catalogue.other_notes == 2 + (0 if unreadable_counts else 1)  # the index, Idea.md (and unreadable.md)


def test_files_that_cannot_be_notes_are_skipped_with_a_reason(vault):
    skipped = dict(load_goals_vault(vault).skipped)
    expected = {
        "G01_Target-Body-Fat/scan.md": "binary content (NUL bytes), not a text note",
        "Inbox/latin2.md": "not UTF-8 text (byte 0xbf at offset 14)",
        "Inbox/pipe.md": "not a regular file (a FIFO, socket or device)",
        "Inbox/dangling.md": "broken symbolic link (its target is missing)",
        "Inbox/ping.md": "symbolic link loop (links that point at each other): not followed",
        "Inbox/pong.md": "symbolic link loop (links that point at each other): not followed",
        "G02_Emergency-Fund/loop": f"symbolic link loop: points to {os.path.realpath(vault)}, "
                                   "a folder that contains it; not followed",
        "Inbox/Plan-link.md": "the same file as G02_Emergency-Fund/Plan.md (a link), read there",
    }
    if not readable_by_us(vault / "unreadable.md"):
        expected["unreadable.md"] = "cannot be read: Permission denied"
    assert skipped == expected
    assert load_goals_vault(vault).markdown_files == 19  # every *.md met, read or not (not .trash/)


def test_a_missing_vault_reads_nothing_and_says_so(tmp_path):
    loaded = load_goals_vault(tmp_path / "nowhere")
    assert loaded.catalogue.goals == {} and loaded.markdown_files == 0
    assert loaded.skipped == ((str(tmp_path / "nowhere"), "not a folder (missing, or a file): no goals read"),)


def test_the_flat_examples_folder_still_loads_as_before():
    loaded = load_goals_vault(EXAMPLES / "goals")
    assert list(loaded.catalogue.goals) == ["G01", "G03", "G04", "G05", "G07"]
    assert loaded.skipped == () and loaded.catalogue.malformed == []
    g01 = loaded.catalogue.goals["G01"]
    assert (g01.name, g01.owner, g01.progress_metrics) == ("Consistent Strength Training", "Me",
                                                           {"workouts_per_week_target": 3})
    assert loaded.catalogue.goals["G04"].dependencies == ("G01", "G03", "G05")


def test_goal_notes_by_type_and_by_todays_rules():
    untyped = note({"title": "G01: Old Style", "goal_id": "goal-g01", "status": "active"})
    typed = goal_note("G01", "New Style", "Anna")
    catalogue = catalogue_goals([("a/old.md", untyped), ("b/README.md", typed)])
    # The typed note defines G01 even though it comes later; the untyped one belongs to it.
    assert catalogue.goals["G01"].name == "New Style" and catalogue.members["G01"] == ("a/old.md",)
    twice = catalogue_goals([("a.md", typed), ("b.md", typed)])
    assert twice.malformed == [("b.md", "G01 is also defined in a.md")]
    untyped_twice = catalogue_goals([("a.md", untyped), ("b.md", untyped)])
    assert untyped_twice.malformed == [("b.md", "G01 is also defined in a.md")]
    lacks_id = catalogue_goals([("x.md", note({"type": "goal", "title": "G05: x", "status": "active"}))])
    assert lacks_id.malformed == [("x.md", "front matter lacks goal_id")]


def test_names_placeholders_and_front_matter_edge_cases():
    assert goal_name("G01: Reach Target Body Fat") == "Reach Target Body Fat"
    assert goal_name("goal-g12 - Read 20 Books") == "Read 20 Books"
    assert goal_name("G7 — Run a Marathon") == "Run a Marathon"
    assert goal_name("Gardening") == "Gardening" and goal_name("G04:") == "G04:"
    crlf = '---\r\ngoal_id: "goal-g04"\r\nstatus: "active"\r\ntitle: "G04: Twin"\r\n---\r\nBody\r\n'
    assert parse_goal(crlf, "x").name == "Twin"
    with_placeholders = note({"title": "G06: Sleep", "goal_id": "goal-g06", "status": "active",
                              "owner": "{{OWNER_NAME}}", "description": "{{DESCRIPTION}}",
                              "dependencies": ["goal-g01", "{{DEPENDENCY}}"]},
                             "# G06: Sleep\n\n{{WHY}}\n\nEight hours.\n")
    goal = parse_goal(with_placeholders, "x")
    assert (goal.owner, goal.description, goal.dependencies) == (None, "Eight hours.", ("G01",))
    with pytest.raises(GoalFileError, match="front matter is not closed"):
        parse_goal('---\ngoal_id: "goal-g01"\n', "x")


def test_a_byte_order_mark_from_a_windows_editor_is_not_in_the_way(tmp_path):
    (tmp_path / "G08.md").write_bytes(("\ufeff" + goal_note("G08", "Walk Daily", "Anna")).encode("utf-8"))
    assert load_goals_vault(tmp_path).catalogue.goals["G08"].name == "Walk Daily"


def test_a_vault_of_five_hundred_notes_is_read_in_under_a_second(tmp_path):
    for number in range(1, 101):
        folder = tmp_path / f"G{number:02d}_Goal-{number}" / "Notes"
        folder.mkdir(parents=True)
        (folder.parent / "README.md").write_text(goal_note(f"G{number:02d}", f"Goal {number}", "Anna"))
        for index in range(4):
            (folder / f"note-{index}.md").write_text(note(
                {"type": "log", "goal_id": f"goal-g{number:02d}", "updated": f"2026-01-{index + 10}"},
                "Some text.\n" * 40))
    # This process's CPU seconds, not the wall clock: other work on the machine does not count.
    started = time.process_time()
    loaded = load_goals_vault(tmp_path)
    elapsed = time.process_time() - started
    assert loaded.markdown_files == 500 and len(loaded.catalogue.goals) == 100
    assert loaded.catalogue.goals["G42"].progress_metrics == {"documents": 4, "last_updated": "2026-01-13"}
    assert elapsed < 1.0, f"500 notes took {elapsed:.2f} CPU seconds"
