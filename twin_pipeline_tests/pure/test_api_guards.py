"""The API's guards that need no server: the throttle on guessed keys, by a clock the test
moves, and the escaping of what the API logs."""

from __future__ import annotations

import logging

from twin_pipeline.api.log_fields import api_logger, escaped
from twin_pipeline.api.throttle import KeyGuessing


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_twenty_wrong_keys_within_a_minute_block_the_address_for_a_minute():
    clock = Clock()
    guessing = KeyGuessing(clock=clock)
    assert not any(guessing.failed("10.0.0.9", 2) for _ in range(9))  # 18
    clock.now += 59
    assert not guessing.failed("10.0.0.9", 1)  # 19 within the minute
    assert guessing.failed("10.0.0.9", 1)  # the 20th
    assert guessing.blocked("10.0.0.9") and not guessing.blocked("10.0.0.10")
    clock.now += 59.9
    assert guessing.blocked("10.0.0.9")
    clock.now += 0.2
    assert not guessing.blocked("10.0.0.9")  # a minute later


def test_a_slow_guesser_is_counted_per_minute():
    clock = Clock()
    guessing = KeyGuessing(clock=clock)
    for _ in range(5):
        assert not guessing.failed("10.0.0.9", 19)
        clock.now += 61  # a new minute: the count starts again
    assert not guessing.blocked("10.0.0.9")


def test_a_flood_of_addresses_stays_bounded():
    guessing = KeyGuessing(addresses=100)
    for n in range(10_000):
        guessing.failed(f"2001:db8::{n:x}", 1)
    assert len(guessing._failures) <= 100


def test_control_characters_are_escaped_in_every_logged_field(caplog):
    assert escaped("/x\npartner_anna GET /finance 200\r\x1b[2J\u2028") == \
        "/x\\x0apartner_anna GET /finance 200\\x0d\\x1b[2J\\u2028"
    log = api_logger("twin_pipeline.api.test_guards")
    assert api_logger("twin_pipeline.api.test_guards") is log and len(log.filters) == 1
    with caplog.at_level(logging.INFO, logger="twin_pipeline.api.test_guards"):
        log.info("%s %s %d %.1f ms", "a\nb", ValueError("c\nd"), 200, 1.25)
    assert caplog.records[0].getMessage() == "a\\x0ab c\\x0ad 200 1.2 ms"
