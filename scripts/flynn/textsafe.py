"""Text from a result file (benchmark names, error messages, context values) made safe to print:
to a terminal, where an ANSI escape would repaint the screen, and into a markdown table, where a `|`
or a newline would break the row. Everything that prints such text goes through here."""

import re

# C0 controls (ESC, CR, LF, TAB ...), DEL, the C1 controls (0x9b is a one-byte CSI), the Unicode
# line separators and the bidirectional overrides that reorder what a reader sees.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: object) -> str:
    """One line of plain text, every control character written out as its escape."""
    return _UNSAFE.sub(_escape, str(text))


def cell(text: object) -> str:
    """A markdown table cell: terminal(), and `|` escaped so that it stays in its cell."""
    return terminal(text).replace("|", "\\|")
