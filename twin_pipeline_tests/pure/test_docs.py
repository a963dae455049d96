"""README.md and docs/*.md name only what exists, so a page cannot go stale unnoticed.

Each kind of name a page can hold is read out of the markdown and checked against its
source of truth, without a database:

- repository paths in code spans and fenced shell blocks, and the targets of links and
  images: against the files (a `<placeholder>` or `*` stands for any one name; git-ignored
  places such as `.venv/` are made at run time); a link's `#anchor` against the headings of
  its page; nothing may point outside the repository;
- `twin <command> ... --option value`: against the CLI's own argparse parser (commands,
  choices, options and their choices);
- `dev.py <command>`: against dev.py's COMMANDS;
- every CAPS_WITH_UNDERSCORES name: a TwinSettings variable, or one of the few other names
  listed below, each found where it is said to live;
- API endpoints (a code span starting `/`, `GET /` or `POST /`, or a URL on port 5677):
  against the routes of the API's routers, which the app's own OpenAPI schema shows it serves;
- run tags (`twin/...`, `dagster/...`): against the code that sets them;
- `..._job`, `..._schedule`, `..._sensor`: against the graph's snapshot of the Definitions.

The code's references to a docs page and heading (`docs/deployment.md, "Pointing it at
..."`) are checked against the pages too. The other way round, what exists must be shown:
every asset of the loaded Definitions in the README's diagram and on docs/how-it-works.md
(its graph, its asset table, its counts and its jobs' rows), and every route of the app in
the `twin api` help.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import json
import pkgutil
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import create_engine

import twin_pipeline.api.routers as routers_package
from twin_pipeline.api.app import create_app
from twin_pipeline.cli import build_parser
from twin_pipeline.definitions import defs
from twin_pipeline.defs.daily_note import build_daily_note
from twin_pipeline.migrations import DOCS_SECTION
from twin_pipeline.reader import TwinReader
from twin_pipeline.settings import TwinSettings, current_settings, source_url_variables

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

# CAPS_WITH_UNDERSCORES names a page may use that are not TwinSettings variables, with the
# file that shows each is real (None: another program's own name, nothing of ours to find).
OTHER_NAMES: dict[str, str | None] = {
    "DAGSTER_EVENT_BATCH_SIZE": "twin_pipeline/instance.py",  # Dagster's variable, defaulted by the twin
    "TWIN_UPDATE_SNAPSHOTS": "twin_pipeline_tests/conftest.py",  # the suite's switch for its snapshots
    "TWIN_START": "twin_pipeline/core/note_block.py",  # the daily note's markers
    "TWIN_END": "twin_pipeline/core/note_block.py",
    "ALL_STEPS": "twin_pipeline/defs/schedules.py",  # Dagster's retry strategy the daily job sets
    "OWNER_NAME": "twin_pipeline/core/goals.py",  # a goal template's placeholder
    "ON_ERROR_STOP": None,  # psql's own variable
    "FORWARDED_ALLOW_IPS": None,  # uvicorn's own variable: whose X-Forwarded-For it trusts
    "CHANGE_ME": "deploy/.env.example",  # its placeholder password and key
    # compose's own variables, read from deploy/.env by deploy/compose.yaml (the Caddyfile's too)
    "TWIN_API_KEYS_DIR": "deploy/compose.yaml",
    "TWIN_API_PUBLISH": "deploy/compose.yaml",
    "TWIN_TLS_SITE": "deploy/Caddyfile",
    "TWIN_TLS_ISSUER": "deploy/Caddyfile",
    "TWIN_TLS_PUBLISH": "deploy/compose.yaml",
}
# Code spans with a slash that are not repository paths.
NOT_PATHS = {"text/plain", "Europe/Warsaw"}  # a media type, a time zone
# Endpoints of servers other than the twin's API that a page names, and the file that uses each.
OTHER_ENDPOINTS = {"/server_info": "deploy/compose.yaml"}  # Dagster webserver's health check
# Paths inside the containers and on the Docker host (not the API's endpoints): each must be
# named by a file of the deployment or of its test layer.
FILESYSTEM_ROOTS = ("/usr/", "/var/", "/run/", "/etc/", "/home/", "/tmp/", "/data/", "/config/")
DEPLOY_FILES = ("deploy", "twin_pipeline_tests/deploy")

NAME = re.compile(r"(?<!\w)[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
FENCE = re.compile(r"^[ \t]*```(\w*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.MULTILINE | re.DOTALL)
SPAN = re.compile(r"`([^`]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
FILE_NAME = re.compile(r"^[\w.*<>-]+\.(?:py|sql|md|yaml|yml|toml|json|png|txt|html|js|css|example)$")
TAG = re.compile(r"^(?:twin|dagster)/[a-z_]+(?:=\S+)?$")
ENDPOINT = re.compile(r"^(?:(?:GET|POST)\s+)?(/[^\s`]*)")
DAGSTER_NAME = re.compile(r"^[a-z][a-z0-9_]*_(job|schedule|sensor)$")
PORT_URL = re.compile(r"://[\w.-]+:5677(/[^\s'\"`]*)")
SHELL = {"bash", "sh", "shell", "console"}


@dataclass
class Page:
    """A markdown page split into what is code and what is prose."""

    name: str
    text: str
    spans: list[str] = field(default_factory=list)  # inline code, whitespace folded
    shell_lines: list[str] = field(default_factory=list)  # lines of shell blocks, comments cut
    prose: str = ""

    @classmethod
    def read(cls, name: str, text: str) -> Page:
        page = cls(name, text)
        for language, body in FENCE.findall(text):
            if language in SHELL:
                page.shell_lines += [re.sub(r"(^|\s)#.*$", "", line).strip() for line in body.splitlines()]
            else:  # text blocks (a status text, an error line): only their `spans` are names
                page.spans += [_fold(span) for span in SPAN.findall(body)]
        page.prose = FENCE.sub("", text).replace("\\`", "")  # an escaped backtick is a character
        page.spans += [_fold(span) for span in SPAN.findall(page.prose)]
        return page


def _fold(span: str) -> str:
    """A span as one line; a table's escaped pipe is a pipe."""
    return " ".join(span.replace("\\|", "|").split())


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = heading.replace("`", "").strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def headings(text: str) -> list[str]:
    return [h.replace("`", "") for h in HEADING.findall(FENCE.sub("", text))]


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in headings(text):
        base = slug(heading)
        found.add(base if base not in seen else f"{base}-{seen[base]}")
        seen[base] = seen.get(base, 0) + 1
    return found


def runtime_places() -> list[str]:
    """Git-ignored places without wildcards (`.venv/`, `.twin/`, `deploy/.env`): made at run time."""
    lines = (ROOT / ".gitignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and "*" not in line and not line.startswith("#")]


def path_exists(path: str) -> bool:
    clean = path.removeprefix("./").rstrip("/").rstrip(".,;:")
    if any(clean == place or clean.startswith(place + "/") for place in runtime_places()):
        return True
    pattern = re.sub(r"<[^>]+>", "*", clean)
    if "*" in pattern:
        return any(ROOT.glob(pattern))
    return (ROOT / clean).exists()


def is_path(token: str) -> bool:
    if not token or any(c in token for c in " :$~=@'\"()") or token.startswith(("-", "/", "http")):
        return False
    if token in NOT_PATHS or TAG.match(token):
        return False
    return "/" in token or bool(FILE_NAME.match(token))


@functools.cache
def package_code() -> str:
    """The package's Python and YAML, where run tags are set."""
    return "\n".join(p.read_text() for p in sorted((ROOT / "twin_pipeline").rglob("*")) if p.suffix in (".py", ".yaml"))


def dagster_names() -> dict[str, set[str]]:
    """job, schedule, sensor -> their names, from the graph's snapshot (test_asset_specs.py
    holds it equal to the Definitions)."""
    graph = json.loads((ROOT / "twin_pipeline_tests" / "snapshots" / "asset_specs.json").read_text())
    return {kind: set(graph[f"{kind}s"]) for kind in ("job", "schedule", "sensor")}


def settings_variables() -> set[str]:
    aliases = {info.validation_alias for info in TwinSettings.model_fields.values() if info.validation_alias}
    return aliases | set(source_url_variables().values())


def api_routers() -> list[APIRouter]:
    """Every router of the API's routers package (the app includes each)."""
    found = []
    for module in pkgutil.iter_modules(routers_package.__path__):
        loaded = importlib.import_module(f"{routers_package.__name__}.{module.name}")
        found += [value for value in vars(loaded).values() if isinstance(value, APIRouter)]
    return found


def route_patterns(only: list[str] | None = None) -> list[re.Pattern]:
    """Every path the API's routers serve (and FastAPI's own /docs, /redoc, /openapi.json), or
    the `only` ones; a path parameter typed as a Literal (`/health/domain/{name}`) matches only
    its values, and the path as written matches itself."""
    patterns = set() if only else {re.escape(route.path) for route in FastAPI().routes}
    for route in (route for router in api_routers() for route in router.routes):
        if only and route.path not in only:
            continue
        hints = typing.get_type_hints(route.endpoint)
        patterns.add(re.escape(route.path))
        patterns.add(re.sub(r"\\\{(\w+)(:path)?\\\}", lambda m: _segment(hints.get(m.group(1)), m.group(2)),
                            re.escape(route.path)))
    return [re.compile(f"^{pattern}$") for pattern in patterns]


def _segment(annotation: object, converter: str | None) -> str:
    """A path parameter's pattern: a Literal's values, any one segment, or (`:path`) any path."""
    if typing.get_origin(annotation) is typing.Literal:
        return "(?:" + "|".join(re.escape(str(value)) for value in typing.get_args(annotation)) + ")"
    return ".+" if converter else "[^/]+"


def alternatives(path: str) -> list[str]:
    """`/health/domain/{finance|training}` is two paths; a query string is not the path."""
    path = path.split("?", 1)[0].rstrip(".,;:")
    choice = re.search(r"\{([^}]*\|[^}]*)\}", path)
    return [path.replace(choice.group(0), one) for one in choice.group(1).split("|")] if choice else [path]


@functools.cache
def deploy_texts() -> tuple[str, ...]:
    """The text of every file of the deployment and of its test layer."""
    return tuple(path.read_text(errors="replace") for folder in DEPLOY_FILES
                 for path in sorted((ROOT / folder).rglob("*")) if path.is_file() and "__pycache__" not in path.parts)


def endpoint_exists(path: str, patterns: list[re.Pattern]) -> bool:
    if (other := path.split("?", 1)[0]) in OTHER_ENDPOINTS:
        return other in (ROOT / OTHER_ENDPOINTS[other]).read_text()
    return all(any(p.match(one) for p in patterns) for one in alternatives(path))


def twin_commands(page: Page) -> list[str]:
    """The `twin ...` invocations a page shows: a span that starts with the command, or a
    shell line that runs it (`.venv/bin/twin db migrate`, `... exec code-server twin backfill`)."""
    found = [m.group(1) for span in page.spans if (m := re.match(r"^(?:\S*/)?twin\s+(.+)$", span))]
    for line in page.shell_lines:
        found += [m.group(1) for m in re.finditer(r"(?:^|\s|/)twin\s+([^&;|>]+)", line)]
    return found


def command_problems(invocation: str, parser: argparse.ArgumentParser) -> list[str]:
    """What in `twin <invocation>` the CLI's parser does not know: a command, a choice, an
    option, or an option's value outside its choices."""
    tokens = invocation.replace("[", " ").replace("]", " ").split()
    found: list[str] = []
    words, option = ["twin"], None  # option: the one whose value comes next
    for token in tokens:
        placeholder = re.fullmatch(r"[A-Z]+|.*[<…].*|\.\.\.", token)
        if option is not None:
            values = [] if placeholder or not option.choices else token.split("|")
            unknown = [value for value in values if value not in option.choices]
            if unknown:
                found.append(f"`{' '.join(words)} {option.option_strings[-1]}` takes no {', '.join(unknown)}")
            option = None
            continue
        if token.startswith("-"):
            action = parser._option_string_actions.get(token.split("=", 1)[0])
            if action is None:
                found.append(f"`{' '.join(words)}` has no option {token.split('=', 1)[0]}")
            elif action.nargs != 0 and "=" not in token:
                option = action
            continue
        if placeholder:  # the rest is free
            break
        positional = next((a for a in parser._actions if not a.option_strings and a.choices), None)
        if positional is None:
            break  # a free value (a path, a date)
        choices = token.split("|")
        unknown = [choice for choice in choices if choice not in positional.choices]
        if unknown:
            found.append(f"`{' '.join(words)}` has no {', '.join(unknown)}")
            break
        words.append(token)
        if isinstance(positional, argparse._SubParsersAction):
            parser = positional.choices[choices[0]]
    return found


def dev_commands() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.COMMANDS


def problems(page: Page, patterns: list[re.Pattern], parser: argparse.ArgumentParser) -> list[str]:
    """Every name on the page that does not exist, in words."""
    found: list[str] = []
    where = (ROOT / page.name).parent
    variables = settings_variables()

    # An unclosed fence or code span would hide every name after it from these checks.
    if sum(1 for line in page.text.splitlines() if line.strip().startswith("```")) % 2 or page.prose.count("`") % 2:
        found.append("an unclosed ``` block or ` span")
    if "../" in page.text:
        found.append("a relative path up (`../`): the docs point only inside the repository")
    for match in LINK.finditer(page.prose):
        target = match.group(1) or match.group(2)
        if re.match(r"^[a-z]+:", target):
            continue  # a web address
        file, _, anchor = target.partition("#")
        resolved = (where / file).resolve() if file else ROOT / page.name
        if ROOT not in resolved.parents and resolved != ROOT:
            found.append(f"link {target} leaves the repository")
        elif not resolved.exists():
            found.append(f"link {target}: no such file")
        elif anchor and anchor not in anchors(resolved.read_text()):
            found.append(f"link {target}: no heading #{anchor} on {resolved.relative_to(ROOT)}")

    tokens = list(page.spans) + [t for line in page.shell_lines for t in line.split()]
    for token in tokens:
        if is_path(token) and not path_exists(token):
            found.append(f"path {token} does not exist")
        if TAG.match(token):
            key = token.split("=", 1)[0]
            if f'"{key}"' not in package_code() and f"key: {key}" not in package_code():
                found.append(f"run tag {key} is set nowhere in the code")

    for span in page.spans:
        if (named := DAGSTER_NAME.match(span)) and span not in dagster_names()[named.group(1)]:
            found.append(f"{named.group(1)} {span} is not in the Definitions")
        endpoint = ENDPOINT.match(span)
        if endpoint and f"{endpoint.group(1)}/".startswith(FILESYSTEM_ROOTS):
            if not any(endpoint.group(1).split("$")[0] in text for text in deploy_texts()):
                found.append(f"container path {endpoint.group(1)} is named by no file of the deployment")
        elif endpoint and not endpoint_exists(endpoint.group(1), patterns):
            found.append(f"endpoint {endpoint.group(1)} is not served")
    for line in page.shell_lines:
        for url in PORT_URL.finditer(line):
            if not endpoint_exists(url.group(1), patterns):
                found.append(f"endpoint {url.group(1)} is not served")

    for invocation in twin_commands(page):
        found += command_problems(invocation, parser)
    commands = dev_commands()
    for command in re.findall(r"dev\.py[ \t]+([a-z][\w-]*)", "\n".join(page.spans + page.shell_lines)):
        if command not in commands:
            found.append(f"dev.py has no command {command}")

    for name in sorted(set(NAME.findall(page.text))):
        if name in variables:
            continue
        if name not in OTHER_NAMES:
            found.append(f"variable {name} is not a setting (twin_pipeline/settings.py)")
        elif OTHER_NAMES[name] and name not in (ROOT / OTHER_NAMES[name]).read_text():
            found.append(f"{name} is not in {OTHER_NAMES[name]}")
    return found


@pytest.fixture(scope="module")
def checked():
    return route_patterns(), build_parser()


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_name_on_the_page_exists(path, checked):
    patterns, parser = checked
    page = Page.read(str(path.relative_to(ROOT)), path.read_text())
    assert problems(page, patterns, parser) == []


def test_stale_names_are_caught(checked):
    """The checks find what a page that went stale would hold."""
    patterns, parser = checked
    stale = Page.read("docs/stale.md", "\n".join([
        "The tables are in `sql/twin/005_entities.sql`; see [the contract](../../shared/CONTRACT.md),",
        "[checks](how-it-works.md#no-such-heading) and [a page](missing.md).",
        "Run `twin snapshots --date 2026-01-01`, `twin db migrate --everything` and `twin serve scheduler`,",
        "`twin export --entity sleep --out x.csv`,",
        "then `python3.11 dev.py serve`; set `TWIN_SENSOR_SECONDS`;",
        "ask `GET /statuses` or `/health/domain/{finance|sleep}`.",
        "Runs carry `twin/changed_tables`; `entities_schedule` runs at 06:15.",
        "```bash",
        ".venv/bin/twin pantry-history remove   # gone",
        "curl 'http://127.0.0.1:5677/summary?format=text'",
        "```",
    ]))
    found = problems(stale, patterns, parser)
    expected = [
        "path sql/twin/005_entities.sql", "../../shared/CONTRACT.md leaves the repository", "#no-such-heading",
        "link missing.md", "`twin` has no snapshots", "`twin db migrate` has no option --everything",
        "`twin serve` has no scheduler", "dev.py has no command serve", "variable TWIN_SENSOR_SECONDS",
        "endpoint /statuses", "endpoint /health/domain/{finance|sleep}", "run tag twin/changed_tables",
        "`twin pantry-history` has no remove", "endpoint /summary", "relative path up",
        "`twin export --entity` takes no sleep", "schedule entities_schedule",
    ]
    missed = [e for e in expected if not any(e in problem for problem in found)]
    assert missed == [], found
    assert len(found) == len(expected), found


def test_the_api_page_documents_every_route():
    """The converse of the endpoint check: each route of the API's routers is named on docs/api.md."""
    page = Page.read("docs/api.md", (DOCS / "api.md").read_text())
    expanded = [one for span in page.spans if (m := ENDPOINT.match(span)) for one in alternatives(m.group(1))]
    routes = {route.path for router in api_routers() for route in router.routes}
    undocumented = [route for route in sorted(routes)
                    if not any(pattern.match(path) for pattern in route_patterns([route]) for path in expanded)]
    assert undocumented == []


def dead_app() -> FastAPI:
    """The app, built over an engine it never connects to: enough to list its routes."""
    reader = TwinReader(engine=create_engine("postgresql+psycopg2://nobody@127.0.0.1:9/none"),
                        person_id="00000000-0000-0000-0000-000000000001")
    return create_app(reader, recheck_seconds=0)


def test_the_routers_checked_are_the_apps():
    """The routes the docs are checked against are those the API serves: the app, built over an
    engine it never connects to, documents exactly the routers' routes (less the hidden ones)."""
    served = set(dead_app().openapi()["paths"])
    routed = {route.path for router in api_routers() for route in router.routes if route.include_in_schema}
    assert served == routed


@dataclass(frozen=True)
class Graph:
    """The Dagster graph the pages describe: the loaded Definitions, and the same with the
    assets only some settings add (`daily_note`, with TWIN_NOTES_DIR)."""

    groups: dict[str, str]  # asset -> its group, the optional assets among them
    loaded: frozenset[str]  # the assets of the loaded Definitions (the default settings)
    jobs: dict[str, frozenset[str]]  # job -> the assets it runs as loaded
    jobs_with_optional: dict[str, frozenset[str]]  # ... and with the optional assets in
    checks: int  # asset checks of the loaded Definitions


def job_assets(definitions: dg.Definitions) -> dict[str, frozenset[str]]:
    return {job.name: frozenset(key.to_user_string() for key in job.asset_layer.executable_asset_keys)
            for job in definitions.get_repository_def().get_all_jobs() if not job.name.startswith("__")}


@functools.cache
def loaded_graph() -> Graph:
    loaded = defs()
    optional = dg.Definitions(assets=[build_daily_note(current_settings(), Path("vault"))])
    with_optional = dg.Definitions.merge(loaded, optional)
    graph = with_optional.resolve_asset_graph()
    return Graph(
        groups={key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()},
        loaded=frozenset(key.to_user_string() for key in loaded.resolve_asset_graph().get_all_asset_keys()),
        jobs=job_assets(loaded), jobs_with_optional=job_assets(with_optional),
        checks=len(loaded.resolve_asset_graph().asset_check_keys),
    )


def section(text: str, heading: str) -> str:
    """The text under `## heading`, up to the next heading of that level or above."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^#{{1,2}} |\Z)", text, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def diagram(text: str, heading: str) -> str:
    """The first fenced block under `## heading`."""
    found = FENCE.search(section(text, heading))
    return found.group(2) if found else ""


def names(text: str, wanted: typing.Iterable[str]) -> set[str]:
    """The asset names `text` holds as words (`autonomous_finance` does not name `finance`)."""
    return {name for name in wanted if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)}


NUMBERS = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
COUNTS = re.compile(r"the graph has (\w+) daily assets \((\w+) with `TWIN_NOTES_DIR`\),\s+(\w+) entity assets\s+"
                    r"and\s+(\w+) asset checks")


def number(word: str) -> int | None:
    return int(word) if word.isdigit() else NUMBERS.get(word.lower())


def asset_problems(readme: str, how_it_works: str, graph: Graph) -> list[str]:
    """Every asset the README's diagram or docs/how-it-works.md leaves out, and every count or
    group they give that the graph does not have, in words."""
    found = [f"the README's diagram leaves out {name}"
             for name in sorted(graph.loaded - names(diagram(readme, "How it fits together"), graph.loaded))]
    page = section(how_it_works, "The asset graph")
    found += [f"how-it-works' graph leaves out {name}"
              for name in sorted(set(graph.groups) - names(diagram(how_it_works, "The asset graph"), graph.groups))]

    table: dict[str, str] = {}  # asset -> the group its row gives
    for row in (line for line in page.splitlines() if line.startswith("| `")):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        table.update({name: cells[1] for name in SPAN.findall(cells[0])})
    for name, group in sorted(graph.groups.items()):
        if name not in table:
            found.append(f"how-it-works' asset table leaves out {name}")
        elif table[name] != group:
            found.append(f"how-it-works' asset table puts {name} in {table[name]}, not {group}")

    daily, entities = graph.jobs["twin_daily_job"], graph.jobs["twin_entities_job"]
    expected = (len(daily), len(graph.jobs_with_optional["twin_daily_job"]), len(entities), graph.checks)
    counts = COUNTS.search(" ".join(page.split()))
    if counts is None:
        found.append("how-it-works no longer counts the graph's assets and checks")
    elif tuple(number(word) for word in counts.groups()) != expected:
        found.append(f"how-it-works counts {counts.groups()}, the graph has {expected}")

    jobs = section(how_it_works, "Partitions, jobs and schedules")
    for job, assets in sorted(graph.jobs_with_optional.items()):
        row = next((line for line in jobs.splitlines() if line.startswith(f"| `{job}` |")), None)
        if row is None:
            found.append(f"how-it-works has no row for {job}")
            continue
        # "the sources" stands for the sources group: a new source needs no edit of the row.
        shown = names(row, assets) | ({a for a in assets if graph.groups[a] == "sources"} if "the sources" in row else set())
        found += [f"how-it-works' row of {job} leaves out {name}" for name in sorted(assets - shown)]
    return found


def test_the_readme_and_how_it_works_show_every_asset():
    readme, how_it_works = (ROOT / "README.md").read_text(), (DOCS / "how-it-works.md").read_text()
    graph = loaded_graph()
    assert {"twin_daily_job", "twin_entities_job"} <= set(graph.jobs)
    assert set(graph.groups) > graph.loaded  # the optional daily_note is checked too
    assert asset_problems(readme, how_it_works, graph) == []


def test_an_asset_left_out_of_the_pages_is_caught():
    """The check finds an asset missing from each place, a wrong group and a stale count."""
    readme, how_it_works = (ROOT / "README.md").read_text(), (DOCS / "how-it-works.md").read_text()
    graph = loaded_graph()
    shown = how_it_works.replace("`forecast_review`, `notable`, `daily_summary` (and", "`forecast_review`, `daily_summary` (and")
    stale_readme = re.sub(r"(?<!\w)notable(?!\w)", "n0table", readme)
    stale_page = shown.replace("├─► notable ─►", "├─► n0table ─►").replace("| `notable` | outputs |", "| `n0table` | outputs |")
    assert asset_problems(stale_readme, stale_page, graph) == [
        "the README's diagram leaves out notable", "how-it-works' graph leaves out notable",
        "how-it-works' asset table leaves out notable", "how-it-works' row of twin_daily_job leaves out notable"]
    regrouped = how_it_works.replace("| `goals`, `home`, `person` | entities |", "| `goals`, `home`, `person` | twin |")
    recounted = how_it_works.replace("has eight daily assets", "has seven daily assets")
    assert asset_problems(readme, regrouped, graph) == [
        f"how-it-works' asset table puts {name} in twin, not entities" for name in ("goals", "home", "person")]
    assert [problem.split(",")[0] for problem in asset_problems(readme, recounted, graph)] == [
        "how-it-works counts ('seven'"]


def help_problems(description: str, paths: typing.Iterable[str]) -> list[str]:
    """Every path the help text does not name; a path parameter is written in capitals
    (`/health/domain/NAME`), and `/health` is not named by `/health/live`."""
    found = []
    for path in sorted(set(paths)):
        pattern = re.sub(r"\\\{\w+(?::path)?\\\}", "[A-Z]+", re.escape(path))
        if not re.search(rf"(?<![\w/]){pattern}(?![\w/{{])", description):
            found.append(f"the `twin api` help leaves out {path}")
    return found


def served_paths(app: FastAPI) -> list[str]:
    """Every path the app serves: the twin's routes and FastAPI's schema with its viewers."""
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    return [route.path for route in routes if isinstance(route, APIRoute)] + [
        url for url in (app.openapi_url, app.docs_url, app.redoc_url) if url]


def api_help(parser: argparse.ArgumentParser) -> str:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["api"].description


def test_the_api_help_lists_every_route(checked):
    paths = served_paths(dead_app())
    assert {"/status", "/notable", "/forecasts/review", "/dashboard", "/health/domain/{name}"} <= set(paths)
    assert help_problems(api_help(checked[1]), paths) == []


def test_a_route_left_out_of_the_api_help_is_caught(checked):
    description = api_help(checked[1])
    cut = description.replace(" /notable,", "").replace("/health/domain/NAME and", "and")
    assert help_problems(cut, served_paths(dead_app())) == [
        "the `twin api` help leaves out /health/domain/{name}", "the `twin api` help leaves out /notable"]
    # /health/live and /health/history do not name /health.
    assert help_problems(description.replace(" /health,", ""), ["/health"]) == ["the `twin api` help leaves out /health"]


def command_paths(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command the parser takes, down to its last choice: ("db", "migrate"), ("serve", "api"), ..."""
    positional = next((a for a in parser._actions if not a.option_strings and a.choices), None)
    if positional is None:
        return [words]
    if isinstance(positional, argparse._SubParsersAction):
        return [path for name, sub in positional.choices.items() for path in command_paths(sub, (*words, name))]
    return [(*words, choice) for choice in positional.choices]


def test_the_operations_page_documents_every_command(checked):
    """The converse of the command check: each `twin` command is on docs/operations.md."""
    page = Page.read("docs/operations.md", (DOCS / "operations.md").read_text())
    shown = [invocation.split() for invocation in twin_commands(page)]
    missing = [" ".join(path) for path in command_paths(checked[1])
               if not any(words[:len(path)] == list(path) for words in shown)]
    assert missing == []


def test_the_configuration_page_lists_every_setting():
    table = [line for line in (DOCS / "configuration.md").read_text().splitlines() if line.startswith("| `")]
    documented = {name for row in table for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}
    assert settings_variables() - documented == set()


def test_the_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 250
    assert "python3.11 dev.py up" in readme and "python3.11 dev.py test" in readme
    assert "python3.11 dev.py test" in (ROOT / ".ci" / "run").read_text()
    for path in PAGES:
        assert not re.search(r"\b[Ii]ssues? #?\d+", path.read_text()), path.name


# A reference from the code to a docs page, optionally with a heading: docs/x.md, "Heading".
DOCS_REFERENCE = re.compile(r"(docs/[\w-]+\.md)\\?[\"']?(?:,\s*\\?[\"']([^\"'\\\n]+)\\?[\"'])?")
README_REFERENCE = re.compile(r"README\b,?\s*\(?\\?[\"']([^\"'\\\n]+)\\?[\"']")


def code_files() -> list[Path]:
    folders = ["twin_pipeline", "twin_pipeline_tests", "deploy", "sql", "bench"]
    found = [ROOT / "dev.py"]
    for folder in folders:
        found += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".sql", ".yaml", ".example", ".toml")]
    return [p for p in found if p.name != "test_docs.py" and "vendor" not in p.parts]


def test_the_code_and_the_tests_describe_the_product_not_its_history():
    """Like the pages, a comment or docstring says what the twin does, never which issue made it so."""
    dated = [str(path.relative_to(ROOT)) for path in code_files() if re.search(r"\b[Ii]ssues? #?\d+", path.read_text())]
    assert dated == []


def test_every_docs_page_and_heading_the_code_points_at_exists():
    references = []
    for path in code_files():
        text = path.read_text()
        for page, heading in DOCS_REFERENCE.findall(text):
            references.append((path, page, heading))
        for heading in README_REFERENCE.findall(text):
            references.append((path, "README.md", heading))
    assert (ROOT / "twin_pipeline" / "migrations.py", *DOCS_SECTION) in references
    broken = []
    for path, page, heading in references:
        target = ROOT / page
        if not target.exists():
            broken.append(f"{path.relative_to(ROOT)}: {page} does not exist")
        elif heading and heading not in headings(target.read_text()):
            broken.append(f"{path.relative_to(ROOT)}: {page} has no heading {heading!r}")
    assert broken == []
