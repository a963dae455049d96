"""Configuration: URL normalisation in one place, masking, and clear errors."""

from pathlib import Path

import pytest

from twin_pipeline.settings import ConfigurationError, TwinSettings
from twin_pipeline.urls import mask_url, normalise_url


@pytest.mark.parametrize(
    "given",
    ["postgresql://u:p@h:5432/db", "postgres://u:p@h:5432/db", "postgresql+psycopg2://u:p@h:5432/db"],
)
def test_every_postgres_url_spelling_becomes_psycopg2(given):
    assert normalise_url(given) == "postgresql+psycopg2://u:p@h:5432/db"


def test_an_unknown_scheme_is_refused_without_echoing_the_password():
    with pytest.raises(ConfigurationError) as error:
        normalise_url("mysql://root:hunter2@db/x")
    assert "hunter2" not in str(error.value)


def test_masking_hides_the_password_only():
    assert mask_url("postgresql+psycopg2://me:s3cr%40t@db.example:5433/fin") == "postgresql+psycopg2://me:***@db.example:5433/fin"


def test_defaults_and_the_twin_store_defaulting_to_finance(tmp_path):
    settings = TwinSettings.from_env({"TWIN_HOME": str(tmp_path)})
    assert settings.embedded_sources and settings.uses_embedded
    assert settings.timezone == "Europe/Warsaw" and settings.start_date.isoformat() == "2020-01-01"
    configured = TwinSettings.from_env(
        {
            "FINANCE_DATABASE_URL": "postgresql://f@h/autonomous_finance",
            "TRAINING_DATABASE_URL": "postgresql://t@h/autonomous_training",
            "PANTRY_DATABASE_URL": "postgresql://p@h/autonomous_pantry",
            "DAGSTER_PG_URL": "postgresql://d@h/dagster",
        }
    )
    assert configured.twin_url == "postgresql+psycopg2://f@h/autonomous_finance"
    assert configured.twin_url_variable == "FINANCE_DATABASE_URL"
    assert not configured.uses_embedded


@pytest.mark.parametrize(
    "env, names",
    [
        ({"FINANCE_DATABASE_URL": "postgresql://f@h/db"}, "TRAINING_DATABASE_URL, PANTRY_DATABASE_URL"),
        ({"TWIN_TIMEZONE": "Mars/Olympus"}, "TWIN_TIMEZONE"),
        ({"TWIN_START_DATE": "01/01/2020"}, "TWIN_START_DATE"),
        ({"TWIN_PERSON_ID": "bob"}, "TWIN_PERSON_ID"),
    ],
)
def test_bad_settings_name_the_variable(env, names):
    with pytest.raises(ConfigurationError, match=names):
        TwinSettings.from_env(env)


def test_no_secret_shows_in_the_settings_repr():
    settings = TwinSettings.from_env({
        "FINANCE_DATABASE_URL": "postgresql://f:hunter2@h/autonomous_finance",
        "TRAINING_DATABASE_URL": "postgresql://t:hunter2@h/autonomous_training",
        "PANTRY_DATABASE_URL": "postgresql://p:hunter2@h/autonomous_pantry",
        "DIGITAL_TWIN_API_KEY": "sekret-key", "TWIN_HOME_STATES_TOKEN": "ha-token",
    })
    shown = repr(settings) + str(settings)
    assert "hunter2" not in shown and "sekret-key" not in shown and "ha-token" not in shown
    assert settings.api_key == "sekret-key" and settings.finance_url.endswith("@h/autonomous_finance")


PIPELINE_LOGINS = {
    "FINANCE_DATABASE_URL": "postgresql://twin_reader@h/autonomous_finance",
    "TRAINING_DATABASE_URL": "postgresql://twin_reader@h/autonomous_training",
    "PANTRY_DATABASE_URL": "postgresql://twin_reader@h/autonomous_pantry",
    "TWIN_DATABASE_URL": "postgresql://twin_writer@h/autonomous_finance",
    "DAGSTER_PG_URL": "postgresql://dagster@h/dagster",
}


def test_the_api_logs_in_as_its_own_login_or_borrows_the_pipelines_and_says_which_variable_to_set(tmp_path):
    own = TwinSettings.from_env({**PIPELINE_LOGINS, "TWIN_API_DATABASE_URL": "postgres://twin_api@h/autonomous_finance",
                                 "TWIN_API_DAGSTER_URL": "postgresql://twin_api@h/dagster"})
    assert own.api_twin_url == "postgresql+psycopg2://twin_api@h/autonomous_finance"  # normalised like every URL
    assert own.api_dagster_url == "postgresql+psycopg2://twin_api@h/dagster"
    assert own.api_login_fallback() is None
    # An install from before twin_api.sql: the pipeline's logins, and one line naming what to set.
    borrowed = TwinSettings.from_env(PIPELINE_LOGINS)
    assert (borrowed.api_twin_url, borrowed.api_dagster_url) == (borrowed.twin_url, borrowed.dagster_url)
    assert borrowed.api_login_fallback() == (
        "the API reads the twin store as TWIN_DATABASE_URL's login and Dagster's storage as DAGSTER_PG_URL's login, "
        "which may write: apply sql/roles/twin_api.sql and set TWIN_API_DATABASE_URL and TWIN_API_DAGSTER_URL "
        "(docs/deployment.md)"
    )
    half = TwinSettings.from_env({**PIPELINE_LOGINS, "TWIN_DATABASE_URL": "", "TWIN_API_DAGSTER_URL": "postgresql://twin_api@h/dagster"})
    assert half.api_login_fallback() == (
        "the API reads the twin store as FINANCE_DATABASE_URL's login, which may write: apply "
        "sql/roles/twin_api.sql and set TWIN_API_DATABASE_URL (docs/deployment.md)"
    )
    # The embedded server: nothing borrowed, nothing said (any local login is trusted on its socket).
    embedded = TwinSettings.from_env({"TWIN_HOME": str(tmp_path)})
    assert embedded.api_twin_url is None and embedded.api_login_fallback() is None
    with pytest.raises(ConfigurationError, match="unsupported database URL scheme"):
        TwinSettings.from_env({**PIPELINE_LOGINS, "TWIN_API_DATABASE_URL": "mysql://twin_api@h/x"})


CONFIGURED = {
    "FINANCE_DATABASE_URL": "postgresql://twin_reader:s3cret@postgres:5432/autonomous_finance",
    "TRAINING_DATABASE_URL": "postgresql://twin_reader:s3cret@postgres:5432/autonomous_training",
    "PANTRY_DATABASE_URL": "postgresql://twin_reader:s3cret@postgres:5432/autonomous_pantry",
    "DAGSTER_PG_URL": "postgresql://dagster:s3cret@postgres:5432/dagster",
}


@pytest.mark.parametrize("variable", [*CONFIGURED, "HEALTH_DATABASE_URL", "TWIN_DATABASE_URL"])
@pytest.mark.parametrize("password", ["CHANGE_ME", "change-me", "changeme"])
def test_the_placeholder_password_of_the_env_example_is_refused_naming_the_variable(variable, password):
    env = {**CONFIGURED, variable: f"postgresql://twin_writer:{password}@postgres:5432/autonomous_finance"}
    with pytest.raises(ConfigurationError) as error:
        TwinSettings.from_env(env)
    assert str(error.value) == (
        f"{variable} still holds the placeholder password CHANGE_ME of deploy/.env.example: write each login's "
        'own password into its URL (docs/deployment.md, "Pointing it at your existing databases")')


def test_every_url_with_the_placeholder_password_is_named_in_one_line():
    example = (Path(__file__).resolve().parents[2] / "deploy" / ".env.example").read_text()
    env = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    with pytest.raises(ConfigurationError) as error:
        TwinSettings.from_env(env)
    assert str(error.value).startswith(
        "DAGSTER_PG_URL, FINANCE_DATABASE_URL, HEALTH_DATABASE_URL, PANTRY_DATABASE_URL, TRAINING_DATABASE_URL, "
        "TWIN_API_DAGSTER_URL, TWIN_API_DATABASE_URL, TWIN_DATABASE_URL still hold the placeholder password CHANGE_ME")
    assert "\n" not in str(error.value)
    # A password that merely contains the word is the person's own.
    assert TwinSettings.from_env({**CONFIGURED, "TWIN_DATABASE_URL": "postgresql://w:CHANGE_ME_2@h/db"}).twin_url
