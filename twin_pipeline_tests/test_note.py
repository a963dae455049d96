"""The Obsidian note: the twin's block between its markers, everything else untouched."""

from datetime import date

from dagster import DagsterInstance, materialize

from twin_pipeline.core.note_block import END, START, with_twin_block
from twin_pipeline.defs.daily_note import build_daily_note
from twin_pipeline.note_file import write_daily_note
from twin_pipeline_tests.conftest import daily_assets, execute, settings_for_tests


def test_a_new_note_is_just_the_block():
    assert with_twin_block(None, "📊 status") == f"{START}\n📊 status\n{END}\n"


def test_a_note_without_markers_keeps_every_byte_and_gains_them_at_the_end():
    note = "# Monday\n\n- [ ] call mum\n"
    after = with_twin_block(note, "📊 status")
    assert after.startswith(note) and after.endswith(f"{START}\n📊 status\n{END}\n")


def test_only_the_text_between_the_markers_changes():
    note = f"top *stays*\n{START}\nold\nlines\n{END}\nbottom %% stays %%\n"
    assert with_twin_block(note, "new") == f"top *stays*\n{START}\nnew\n{END}\nbottom %% stays %%\n"


def test_a_lone_start_marker_written_by_hand_is_not_a_block():
    note = f"{START} is how the twin marks its block\n\n{START}\nold\n{END}\n"
    assert with_twin_block(note, "new") == f"{START} is how the twin marks its block\n\n{START}\nnew\n{END}\n"


def test_writing_twice_changes_nothing_and_keeps_the_file_mode(tmp_path):
    (tmp_path / "2025-07-01.md").write_text("mine\n")
    (tmp_path / "2025-07-01.md").chmod(0o640)
    assert write_daily_note(tmp_path, "2025-07-01", "📊 a") == "updated"
    first = (tmp_path / "2025-07-01.md").read_bytes()
    assert write_daily_note(tmp_path, "2025-07-01", "📊 a") == "unchanged"
    assert (tmp_path / "2025-07-01.md").read_bytes() == first
    assert oct((tmp_path / "2025-07-01.md").stat().st_mode & 0o777) == "0o640"
    assert write_daily_note(tmp_path, "2025-07-02", "📊 b") == "created"
    assert oct((tmp_path / "2025-07-02.md").stat().st_mode & 0o777) == "0o600"  # the person's alone
    assert not list(tmp_path.glob(".*.tmp"))  # nothing left behind


def test_the_daily_note_asset_writes_each_day_of_a_range(sources, tmp_path):
    execute(sources.finance, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
            "VALUES (2, 'Income', 'Salary', 'Income')")
    execute(sources.finance, "INSERT INTO transactions (transaction_id, transaction_date, type, amount, "
            "merchant_source, category_id) VALUES ('S', '2025-07-01', 'Income', 6000, 'employer', 2)")
    (tmp_path / "2025-07-02.md").write_text("# Wednesday\nmy own words\n")
    note_asset = build_daily_note(settings_for_tests(), tmp_path)
    result = materialize(
        [*daily_assets(), note_asset], resources=sources.resources(), instance=DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": "2025-07-01", "dagster/asset_partition_range_end": "2025-07-03"},
    )
    assert result.success
    written = (tmp_path / "2025-07-02.md").read_text()
    assert written.startswith("# Wednesday\nmy own words\n")
    assert "💰 Finance: +6,000.00 PLN MTD" in written
    assert sorted(p.name for p in tmp_path.glob("*.md")) == ["2025-07-01.md", "2025-07-02.md", "2025-07-03.md"]
    assert date(2025, 7, 3).isoformat() in (tmp_path / "2025-07-03.md").read_text()
