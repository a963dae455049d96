"""The read API stays bounded and answers while its databases stall, measured on a real uvicorn
process (served_api.py): a body is refused before it is read (a 48 MiB one without a key grows
the process < 30 MiB), junk parameter names do not grow the answer cache (1,500 grow the
process < 60 MiB), the cache is an LRU bounded by answers and bytes, /health/live answers while
requests wait on a locked store, and /pantry stays quick while another source is slow."""

import http.client
import json
import socket
import threading
from datetime import date, timedelta

import pytest

from twin_pipeline.api import create_app
from twin_pipeline.api.bodies import MAX_BODY_BYTES
from twin_pipeline.api.context import AnswerCache
from twin_pipeline.reader import TwinReader
from twin_pipeline_tests.conftest import LocalClient, Sources, today
from twin_pipeline_tests.decade import insert_states
from twin_pipeline_tests.served_api import ServedApi, served_api
from twin_pipeline_tests.stalls import (
    CALLS, WAITING, call, live_while_the_store_is_locked, pantry_while_a_source_is_slow,
)
from twin_pipeline_tests.test_freshness import fill

KEY = "a-long-bounded-api-key"
MIB = 1024 * 1024
TODAY = today()
# Oil from plenty to none, or back: low stock or not, either way a different pantry.
PANTRY_CHANGE = ("UPDATE pantry_inventory SET current_quantity = CASE WHEN current_quantity > 1 THEN 0 ELSE 5 END "
                 "WHERE category = 'Oil'")


def environment(sources: Sources) -> dict[str, str]:
    return {"FINANCE_DATABASE_URL": sources.finance_url, "TRAINING_DATABASE_URL": sources.training_url,
            "PANTRY_DATABASE_URL": sources.pantry_url, "HEALTH_DATABASE_URL": sources.health_url,
            "DIGITAL_TWIN_API_KEY": KEY, "TWIN_SOURCE_RETRIES": "0", "TWIN_CONNECT_TIMEOUT_SECONDS": "2"}


@pytest.fixture(scope="module")
def store(sources) -> Sources:
    """Yesterday and today stored, the sources read live for today (test_freshness's fill)."""
    return fill(sources, TODAY)


@pytest.fixture(scope="module")
def api(store, tmp_path_factory):
    with served_api(environment(store), tmp_path_factory.mktemp("served") / "api.log") as served:
        yield served


def posted(api: ServedApi, head: str, chunks) -> int:
    """The status answered to `head` followed by a body from `chunks`, sent from another thread
    (the API may answer before it has all of it, or any of it)."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=120) as connection:
        connection.sendall(head.encode())

        def send_body() -> None:
            try:
                for chunk in chunks:
                    connection.sendall(chunk)
            except OSError:
                pass  # answered before the whole body: the connection is shut, the rest never sent

        sender = threading.Thread(target=send_body)
        sender.start()
        answer = b""
        while b"\r\n" not in answer:
            received = connection.recv(65536)
            assert received, f"the API closed the connection without answering {head.splitlines()[0]}"
            answer += received
        connection.shutdown(socket.SHUT_RDWR)
        sender.join(120)
    return int(answer.split()[1])


def megabytes(total: int, chunked: bool = False):
    """`total` bytes a MiB at a time, as they are (Content-Length) or in chunked encoding."""
    piece = b"x" * MIB
    for _ in range(total // MIB):
        yield b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def test_a_48_mib_body_without_a_key_is_never_read(api):
    warm = [call(api.url("/health/history?target_date=1999-01-01"), KEY)[0],
            call(api.url("/health/history"))[0]]
    assert warm == [404, 401]
    peak = api.kib("VmHWM")
    size = 48 * MIB
    declared = posted(api, f"POST /health/history HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {size}\r\n\r\n", megabytes(size))
    chunked = posted(api, "POST /health/history HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n", megabytes(size, chunked=True))
    grown_mib = (api.kib("VmHWM") - peak) / 1024
    assert grown_mib < 30, f"the API process grew {grown_mib:.1f} MiB reading 2 x 48 MiB bodies without a key"
    # Declared too large: refused unread; streamed: the gate refuses it first, unread too.
    assert (declared, chunked) == (413, 401)


def test_bodies_over_64_kib_are_413_on_every_route(store):
    client = LocalClient(create_app(TwinReader(store.finance_url), token=KEY, recheck_seconds=0))
    owner = {"X-API-KEY": KEY}
    day = (TODAY - timedelta(days=1)).isoformat()
    fits = client.post("/health/history", headers=owner, json={"target_date": day, "padding": "x" * 60_000})
    assert (fits.status_code, fits.json()["as_of"]) == (200, day)
    over = json.dumps({"target_date": day, "padding": "x" * MAX_BODY_BYTES}).encode()
    for path in ("/health/history", "/status", "/pantry", "/dashboard/data", "/health/live"):
        refused = client.post(path, headers=owner, content=over)
        assert refused.status_code == 413, path
        assert refused.json()["report"].startswith("❌ Error: request body over 65536 bytes (64 KiB)"), path
    streamed = client.post("/health/history", headers=owner, content=iter([over[:40_000], over[40_000:]]))
    assert streamed.status_code == 413 and "the API reads no more" in streamed.json()["detail"]
    assert client.post("/health/history", headers=owner, content=b"{").status_code == 422


def test_junk_parameter_names_do_not_grow_the_process(own_sources, tmp_path):
    insert_states(own_sources.twin, date(2026, 3, 31))
    with served_api(environment(own_sources), tmp_path / "api.log") as api:
        status, _, first = call(api.url("/dashboard/data?range=all"), KEY)
        # 1,500 answers this size, cached once per junk name, would be over 200 MiB.
        assert status == 200 and len(first) * 1500 > 200 * MIB
        peak = api.kib("VmHWM")
        connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=60)  # kept alive: the test's time
        for n in range(1500):
            connection.request("GET", f"/dashboard/data?range=all&junk{n:04d}=1", headers={"X-API-KEY": KEY})
            response = connection.getresponse()
            answer = response.read()
            assert response.status == 200, answer[:300]
            grown_mib = (api.kib("VmHWM") - peak) / 1024
            assert grown_mib < 60, f"{n + 1} junk parameter names grew the API process {grown_mib:.1f} MiB"
        connection.close()
    assert json.loads(answer)["missing"][0].startswith("unknown parameters ignored: junk1499 ")


def test_the_answer_cache_drops_the_least_recently_used_beyond_its_answers_and_bytes():
    computed = []

    def answer(key: str, size: int) -> bytes:
        computed.append(key)
        return b"x" * size

    cache = AnswerCache(lambda: ("v1",), 0, max_entries=3, max_bytes=1000)
    for key in ("a", "b", "c"):
        cache.get((key,), lambda key=key: answer(key, 100))
    cache.get(("a",), lambda: answer("a", 100))  # a used again: b is now the least recent
    cache.get(("d",), lambda: answer("d", 100))  # a fourth answer: b dropped
    cache.get(("a",), lambda: answer("a", 100))
    cache.get(("b",), lambda: answer("b", 100))
    assert computed == ["a", "b", "c", "d", "b"]
    computed.clear()
    cache.get(("big",), lambda: answer("big", 900))  # with the others' 300 bytes over 1000: d and a dropped
    cache.get(("b",), lambda: answer("b", 100))  # the most recent of the three, kept
    cache.get(("a",), lambda: answer("a", 100))
    assert computed == ["big", "a"]
    computed.clear()
    cache.get(("huge",), lambda: answer("huge", 5000))  # over the whole budget: served, never kept
    cache.get(("huge",), lambda: answer("huge", 5000))
    assert computed == ["huge", "huge"]


def test_health_live_answers_while_requests_wait_on_the_locked_store(api, store):
    days = [date(2001, 1, 1) + timedelta(days=n) for n in range(WAITING)]  # never asked: not cached
    stall = live_while_the_store_is_locked(api.url(""), KEY, store.finance_url, days)
    assert stall.waiting >= WAITING
    assert stall.live_seconds < 0.5, f"/health/live took {stall.live_seconds:.2f} s behind the locked store"
    assert stall.domain[0] == 200 and stall.domain[1] < 0.5, f"/health/domain/pantry: {stall.domain}"
    assert stall.statuses == [404] * WAITING  # answered once the lock went: no state on those days


def test_pantry_stays_quick_while_another_source_is_slow(api, store):
    before = json.loads(call(api.url("/pantry"), KEY)[2])
    call(api.url("/status"), KEY)
    stall = pantry_while_a_source_is_slow(api.url(""), KEY, store.finance_url, "transactions",
                                          store.pantry_url, PANTRY_CHANGE)
    # The pantry read again at once, not after the locked source's 2 s; then the rest from that view.
    assert stall.first_ms < 1000, f"the first /pantry after the change took {stall.first_ms:.0f} ms"
    assert stall.p99_ms < 100, f"{CALLS} concurrent /pantry calls: p99 {stall.p99_ms:.0f} ms behind a slow source"
    was_low = "Oil" in before["low_stock"]
    # The change seen by every one: the pantry read again, not the view from before.
    assert [("Oil" in json.loads(body)["low_stock"]) != was_low for body in stall.pantry_bodies] == [True] * (CALLS + 1)
    assert stall.whole_day_status == 200 and stall.whole_day_seconds >= 1.9  # its caller waited for the source
