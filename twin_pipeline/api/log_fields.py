"""Log lines a caller cannot forge: every field the API logs (a path, a header, a file's
message) has its control characters escaped, so `/x%0Apartner_anna GET /finance 200` stays
one line and never reads as a partner's request."""

from __future__ import annotations

import logging
import re

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escaped(text: str) -> str:
    """`text` with each control character written as \\xNN (or \\uNNNN)."""
    return CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}" if ord(found[0]) < 0x100
                       else f"\\u{ord(found[0]):04x}", text)


def _field(value: object) -> object:
    """A number as it is (for %d and %.1f); anything else as its escaped text."""
    return value if isinstance(value, (int, float)) else escaped(str(value))


class EscapeControlCharacters(logging.Filter):
    """Escapes the message and every argument of a record before it is formatted (an
    argument's str(), an exception's say, may hold anything)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = escaped(record.msg)
        if isinstance(record.args, dict):
            record.args = {name: _field(value) for name, value in record.args.items()}
        elif record.args:
            record.args = tuple(_field(value) for value in record.args)
        return True


def api_logger(name: str) -> logging.Logger:
    """The logger `name`, escaping what it logs (a logger's filters apply to its own records only,
    so each of the API's loggers gets one)."""
    logger = logging.getLogger(name)
    if not any(isinstance(each, EscapeControlCharacters) for each in logger.filters):
        logger.addFilter(EscapeControlCharacters())
    return logger
