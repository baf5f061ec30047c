"""How the renderings write a figure: one formatter for numbers, ratios and trust, so the card, the
markdown and the page never disagree about a value."""

import math
from datetime import datetime

from flynn import textsafe
from flynn.findings import Finding, Trust

# Units that read best with an SI prefix (218 Gflop/s, 25.3 GB/s); bytes take binary ones (48 KiB).
_SI_UNITS = frozenset({"flop/s", "flops/s", "FLOP/s", "B/s", "Hz", "op/s", "ops/s", "/s", "items/s", "updates/s"})
_BINARY_UNITS = frozenset({"B", "bytes"})
_SI = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_BINARY = ((2**40, "Ti"), (2**30, "Gi"), (2**20, "Mi"), (2**10, "Ki"))


def number(value: float | None) -> str:
    """Three significant digits, thousands grouped: 0.0421, 3.52, 8,505."""
    if value is None or not math.isfinite(value):
        return "-"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000 or (value == int(value) and magnitude >= 1):
        return f"{value:,.0f}"
    if magnitude < 1e-3:
        return f"{value:.2e}"
    digits = max(0, 2 - math.floor(math.log10(magnitude)))
    return f"{value:.{digits}f}"


def quantity(value: float | None, unit: str) -> str:
    """The value with its unit, prefixed where the unit is a base one."""
    if value is None or not math.isfinite(value):
        return "-"
    table = _SI if unit in _SI_UNITS else _BINARY if unit in _BINARY_UNITS else ()
    for scale, prefix in table:
        if abs(value) >= scale:
            shown = "B" if unit == "bytes" else unit
            return f"{number(value / scale)} {prefix}{shown}"
    return f"{number(value)} {unit}".rstrip()


def percent(ratio: float | None) -> str:
    """A ratio to a limit as a percentage; whole percents once they are coarse enough to read."""
    if ratio is None or not math.isfinite(ratio):
        return "-"
    shown = ratio * 100
    return f"{shown:.1f}%" if abs(shown) < 10 else f"{shown:,.0f}%"


def times(ratio: float | None) -> str:
    """A ratio between two results: x1.05, x0.50."""
    if ratio is None or not math.isfinite(ratio):
        return "-"
    return f"x{ratio:.2f}" if abs(ratio) < 100 else f"x{ratio:,.0f}"


# Beside a value read otherwise than the first column's (another size, thread count, fallback):
# no ratio, since it would compare the readings, not the machines.
NOT_COMPARABLE = "(≠)"
NOT_COMPARABLE_LEGEND = "(≠): read otherwise than [1] (another working set, or a fallback): no ratio"


def read_differently(finding: Finding) -> str:
    return f"no ratio, read as: {finding.label}"


def relative(value: float | None, first: float | None) -> float | None:
    if value is None or first is None or first == 0 or not math.isfinite(value) or not math.isfinite(first):
        return None
    return value / first


def status(trust: Trust) -> str:
    """The trust in a few words, for a card line or a table cell."""
    if trust.status == "unstable" and trust.cv_pct is not None:
        return f"unstable (CV {trust.cv_pct:.0f}%)"
    return trust.status


def trust_detail(trust: Trust, with_status: bool = True) -> str:
    """Everything a table says about a finding's trust, in one cell."""
    parts = [status(trust)] if with_status else []
    if trust.cv_pct is not None and trust.status != "unstable":
        parts.append(f"CV {trust.cv_pct:.1f}%")
    if trust.repetitions is not None:
        parts.append(f"{trust.repetitions} reps")
    if trust.proof:
        parts.append(f"proof: {trust.proof}")
    if trust.note:
        parts.append(trust.note)
    return "; ".join(parts)


def limit(finding: Finding) -> str:
    return "-" if finding.limit is None else quantity(finding.limit, finding.unit)


def printable(text: object) -> str:
    """Untrusted text on a terminal: no escape sequence or control character gets through."""
    return textsafe.terminal(text)


_NO_HYPERVISOR = {"", "none", "no", "bare_metal", "bare-metal"}


def _float(text: object) -> float | None:
    try:
        value = float(str(text))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def machine_line(context: dict) -> str:
    """What machine a result is from, in one line: host, CPU, topology, ISAs, clock, hypervisor."""
    get = context.get
    parts = [str(get("host_name") or "unknown host"), str(get("cpu_model") or "unknown CPU")]
    cores, pus, nodes = get("topology_cores") or get("num_cpus"), get("topology_pus"), get("topology_numa_nodes")
    if cores:
        parts.append(f"{cores} cores" + (f", {pus} PUs" if pus and str(pus) != str(cores) else ""))
    if nodes:
        parts.append(f"{nodes} NUMA node{'' if str(nodes) == '1' else 's'}")
    if get("simd_isas"):
        parts.append(str(get("simd_isas")).rsplit(",", 1)[-1])
    clock = _float(get("clock_hz_estimate"))
    if clock:
        parts.append(f"{clock / 1e9:.2f} GHz (estimated)")
    hypervisor = str(get("hypervisor") or "").strip()
    if hypervisor.lower() not in _NO_HYPERVISOR:
        parts.append(f"VM ({hypervisor})")
    if get("emulated"):
        parts.append(f"EMULATED ({get('emulated')}): timings mean nothing")
    return " · ".join(parts)


def _date(value: object) -> str:
    try:
        date = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value) if value else "no date"
    zone = " UTC" if date.utcoffset() is not None and not date.utcoffset() else ""
    return f"{date:%Y-%m-%d %H:%M}{zone}"


def run_line(context: dict) -> str:
    """When and from what the result was made."""
    get = context.get
    parts = [_date(get("date"))]
    if get("git_revision"):
        parts.append(f"git {get('git_revision')}")
    if get("compiler"):
        parts.append(str(get("compiler")))
    if get("flynn_min_time"):
        parts.append(f"min_time {get('flynn_min_time')}")
    return ", ".join(parts)
