"""`scripts/fleet DIR [--baseline NODE|median] [--threshold Z] [--min-spread-pct P] [--out OUTDIR]`:
the odd node of a fleet. Every node's result in DIR (scripts/slurm/flynn.sbatch writes one per node)
becomes one column of the machine card, and every headline figure is judged against the fleet.

Per figure and node: the reference is the median of the *other* nodes (or the --baseline node's
value), and the deviation is (value - reference) / spread, where the spread is the largest of
  - the robust spread of the other nodes: their median absolute deviation x 1.4826 (sigma for a
    normal sample), so one odd node does not widen the yardstick it is measured with;
  - the noise within the repetitions: sqrt(noise_node^2 + noise_ref^2), noise = CV x value, so a
    quiet fleet whose nodes agree to 0.1% does not flag a node that only repeats to 3%;
  - --min-spread-pct (default 1%) of the mean of the value and the reference (symmetric, so two
    nodes are each as far from the other), so that figures of one repetition are not judged to a
    precision nobody measured.
Leaving the node out matters for small fleets: with two nodes, the median of both sits midway and
every node would be 0.67 MADs off whatever happened; against its peer alone, a node is judged by
the noise both repeat to (and with two nodes, which of them is the odd one cannot be told: a
difference flags both). A node is an outlier past --threshold (default 3) deviations.

A node is the context's `slurm_node` (flynn.sbatch) or else its `host_name`; two results of one
node are folded into one column (their repetitions pooled). A node whose file cannot be read, that
left a `<node>-<job>.failed` marker, or that a `<job>.nodes` list names without any result, is
reported as failed, and the rest of the fleet is still judged. Results of different min_times,
sweeps or filters are refused, with what differs.

Exit 0: the fleet is uniform; 1: a node is an outlier; 2: bad input (no result, mixed settings,
fewer than two readable nodes). Writes fleet.html and fleet.md (the report's page, one column per
node, with the fleet's verdict first) into --out (default DIR).
"""

import argparse
import html
import math
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flynn import areas, arguments
from flynn import results as flynn_results
from flynn.errors import EXIT_FINDING, ArgumentParser, FlynnError, entry_point
from flynn.findings import Finding, ReadingOptions
from flynn.report import html as report_html
from flynn.report import markdown as report_markdown
from flynn.report import model
from flynn.report.output import write_text_atomic
from flynn.report.text import printable

# Context keys that change the figures: nodes that differ in one are not one fleet's run.
SETTINGS_KEYS = ("flynn_min_time", "flynn_sweeps", "flynn_filter", "flynn_flags")
NODE_KEYS = ("slurm_node", "host_name")
# MAD x this estimates sigma for a normal sample.
MAD_TO_SIGMA = 1.4826
DEFAULT_THRESHOLD = 3.0
DEFAULT_MIN_SPREAD_PCT = 1.0
# Areas whose headlines are counts of rows (failed, unstable): not figures of the machine.
NOT_JUDGED = frozenset({"trust"})
# ... except these: the CPU the benchmarks held (a noisy neighbour on one node shows there, and
# in no figure timed in CPU time).
JUDGED_ANYWAY = frozenset({"trust/cpu_share"})
_NODE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass
class Node:
    name: str
    paths: list[Path] = field(default_factory=list)
    results: list[flynn_results.Result] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    findings: dict[str, Finding] = field(default_factory=dict)
    merged: Path | None = None


@dataclass(frozen=True)
class Judgement:
    key: str  # area/figure
    label: str
    unit: str
    node: str
    value: float
    reference: float
    fleet_median: float
    spread: float
    deviation: float
    noisy: bool


def _non_negative(text: str) -> float:
    if text.strip() in ("0", "0.0"):
        return 0.0
    return arguments.positive_number(text)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = ArgumentParser(prog="scripts/fleet", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path, metavar="DIR", help="one result per node (flynn.sbatch writes them)")
    parser.add_argument("--baseline", default="median", metavar="NODE|median",
                        help="judge every node against this node's figures (default: the median of its peers)")
    parser.add_argument("--threshold", type=arguments.positive_number, default=DEFAULT_THRESHOLD, metavar="Z",
                        help=f"deviations past which a node is an outlier (default {DEFAULT_THRESHOLD:g})")
    parser.add_argument("--min-spread-pct", type=_non_negative, default=DEFAULT_MIN_SPREAD_PCT, metavar="P",
                        help=f"the spread is never below P%% of the reference (default {DEFAULT_MIN_SPREAD_PCT:g})")
    parser.add_argument("--out", type=Path, metavar="OUTDIR", help="where fleet.html and fleet.md go (default: DIR)")
    return parser.parse_args(argv)


def node_name(context: dict[str, Any], fallback: str) -> str:
    for key in NODE_KEYS:
        value = context.get(key)
        if isinstance(value, str) and value.strip():
            return _NODE_NAME.sub("_", value.strip())
    return _NODE_NAME.sub("_", fallback)


def _stem_node(path: Path) -> str:
    """`n1-1234.json` -> `n1`: the node of a file that cannot be read, as flynn.sbatch names it."""
    stem = path.name.split(".")[0]
    match = re.fullmatch(r"(.+)-\d+", stem)
    return _NODE_NAME.sub("_", match.group(1) if match else stem)


def gather(directory: Path) -> dict[str, Node]:
    if not directory.exists():
        raise FlynnError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise FlynnError(f"{directory}: not a directory")
    nodes: dict[str, Node] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            result = flynn_results.load(path)
        except FlynnError as error:
            node = nodes.setdefault(_stem_node(path), Node(_stem_node(path)))
            node.failed.append(f"unreadable result: {error}")
            continue
        if not result.benchmarks:
            node = nodes.setdefault(_stem_node(path), Node(_stem_node(path)))
            node.failed.append(f"{path.name}: holds no benchmarks")
            continue
        name = node_name(result.context, _stem_node(path))
        node = nodes.setdefault(name, Node(name))
        node.paths.append(path)
        node.results.append(result)
    for marker in sorted(directory.glob("*.failed")):
        name = _stem_node(marker)
        try:
            said = marker.read_text(encoding="utf-8", errors="replace").strip()[:300]
        except OSError as error:
            said = f"(cannot read the marker: {error.strerror})"
        nodes.setdefault(name, Node(name)).failed.append(f"its run failed: {printable(said) or marker.name}")
    for listing in sorted(directory.glob("*.nodes")):
        try:
            listed = listing.read_text(encoding="utf-8", errors="replace").split()
        except OSError:
            continue
        for raw in listed:
            name = _NODE_NAME.sub("_", raw)
            if name not in nodes:
                nodes[name] = Node(name, failed=[f"named in {listing.name} but left no result (timed out or died)"])
    if not nodes:
        raise FlynnError(f"{directory}: no result files (*.json) in it")
    return nodes


def check_settings(nodes: dict[str, Node]) -> None:
    """One fleet's run has one min_time, one sweep range and one filter: refuse a mix, saying what differs."""
    seen: dict[str, dict[str, list[str]]] = {key: {} for key in SETTINGS_KEYS}
    for node in nodes.values():
        for path, result in zip(node.paths, node.results):
            for key in SETTINGS_KEYS:
                value = result.context.get(key)
                shown = "(absent)" if value is None else repr(str(value))
                seen[key].setdefault(shown, []).append(f"{node.name} ({path.name})")
    differing = []
    for key, values in seen.items():
        if len(values) > 1:
            differing.append(f"{key}: " + "; ".join(f"{value} in {', '.join(where)}" for value, where in values.items()))
    if differing:
        raise FlynnError("the results in this directory come from different runs, not one fleet's: "
                         + " | ".join(differing))


def fold(node: Node, into: Path) -> Path:
    """One file per node: two results of the node become one, their repetitions pooled (each file
    tagged as its own invocation, as scripts/run --runs does)."""
    if len(node.results) == 1:
        document = {"context": node.results[0].context, "benchmarks": node.results[0].benchmarks}
    else:
        for invocation, result in enumerate(node.results):
            flynn_results.tag_invocation(result, invocation)
        document = flynn_results.merge(node.results)
        document["context"]["flynn_fleet_folded"] = ",".join(path.name for path in node.paths)
    path = into / f"{node.name}.json"
    flynn_results.write_atomic(path, document)
    return path


def _noise(finding: Finding) -> float:
    cv = finding.trust.cv_pct
    if cv is None or finding.value is None or not math.isfinite(cv):
        return 0.0
    return abs(cv / 100.0 * finding.value)


def _usable(finding: Finding | None) -> bool:
    return finding is not None and finding.value is not None and math.isfinite(finding.value)


def judge(nodes: list[Node], baseline: str, threshold: float, min_spread_pct: float,
          unstable_cv_pct: float) -> tuple[list[Judgement], dict[str, list[str]]]:
    """Every node's deviation on every headline figure, and per node the figures it lacks."""
    keys: dict[str, None] = {}
    for node in nodes:
        for key, finding in node.findings.items():
            if finding.headline and (finding.area not in NOT_JUDGED or key in JUDGED_ANYWAY):
                keys[key] = None
    judged: list[Judgement] = []
    lacking: dict[str, list[str]] = {}
    for key in keys:
        having = [node for node in nodes if _usable(node.findings.get(key))]
        for node in nodes:
            if node not in having:
                lacking.setdefault(node.name, []).append(key)
        if len(having) < 2:
            continue
        values = {node.name: node.findings[key].value for node in having}
        fleet_median = statistics.median(values.values())
        base = next((node for node in having if node.name == baseline), None)
        if baseline != "median" and base is None:
            continue
        for node in having:
            if base is not None and node is base:
                continue
            finding = node.findings[key]
            # The yardstick leaves out the node judged, and the baseline it is judged against.
            peers = [other for other in having if other is not node and other is not base]
            peer_values = [values[other.name] for other in peers]
            if base is not None:
                reference = float(base.findings[key].value)
                reference_noise = _noise(base.findings[key])
            else:
                reference = statistics.median(peer_values)
                reference_noise = statistics.median(_noise(other.findings[key]) for other in peers)
            mad = statistics.median(abs(value - statistics.median(peer_values)) for value in peer_values) if peers else 0.0
            spread = max(MAD_TO_SIGMA * mad, math.hypot(_noise(finding), reference_noise),
                         min_spread_pct / 100.0 * (abs(reference) + abs(float(finding.value))) / 2)
            difference = float(finding.value) - reference
            deviation = 0.0 if difference == 0 else difference / spread if spread > 0 else math.copysign(math.inf, difference)
            cv = finding.trust.cv_pct
            # A low CPU share reads "unstable" on the card (its figures were taken on a shared
            # CPU); judged here it is the figure, not noise about one.
            noisy = ((finding.trust.status == "unstable" and key not in JUDGED_ANYWAY)
                     or (cv is not None and cv > unstable_cv_pct))
            judged.append(Judgement(key, finding.label, finding.unit, node.name, float(finding.value), reference,
                                    fleet_median, spread, deviation, noisy))
    judged.sort(key=lambda item: (-abs(item.deviation), item.key, item.node))
    return judged, lacking


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.4g}"


def _deviation(value: float) -> str:
    return f"{value:+.1f}" if math.isfinite(value) else ("+inf" if value > 0 else "-inf")


@dataclass
class Verdict:
    nodes: list[str]
    failed: dict[str, list[str]]
    outliers: list[Judgement]
    noisy: list[Judgement]
    lacking: dict[str, list[str]]
    judged: int
    threshold: float
    baseline: str

    def lines(self) -> list[str]:
        """The verdict as plain lines (the terminal and markdown both show these)."""
        against = "the median of its peers" if self.baseline == "median" else f"node {self.baseline}"
        out = [f"fleet: {len(self.nodes)} node(s) judged ({', '.join(self.nodes)}), {self.judged} figure readings, "
               f"each against {against}; outlier past {self.threshold:g} deviations"]
        for name, why in self.failed.items():
            out.append(f"FAILED {name}: {'; '.join(why)}")
        if self.outliers:
            out.append(f"{len(self.outliers)} outlier(s), worst first:")
            for item in self.outliers:
                out.append(f"OUTLIER {item.node}: {item.key} ({item.label}) {_number(item.value)} {item.unit}, "
                           f"fleet median {_number(item.fleet_median)}, reference {_number(item.reference)}, "
                           f"deviation {_deviation(item.deviation)} (spread {_number(item.spread)})"
                           + (" [noisy]" if item.noisy else ""))
        elif self.failed or self.lacking:
            out.append(f"no outlier among the nodes judged, but the fleet is not uniform: "
                       f"{len(self.failed)} node(s) failed, {len(self.lacking)} lack readings the others have")
        else:
            out.append("the fleet is uniform: no node is an outlier")
        for item in self.noisy:
            out.append(f"noisy {item.node}: {item.key} repeats too loosely to be judged sharply "
                       f"(deviation {_deviation(item.deviation)}, within its own noise)")
        for name, keys in self.lacking.items():
            shown = ", ".join(keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")
            out.append(f"missing {name}: no reading of {shown}")
        return out


def _markdown_section(verdict: Verdict) -> str:
    body = ["## Fleet verdict", ""]
    body += [f"- {report_markdown.cell(line)}" for line in verdict.lines()]
    if verdict.outliers:
        body += ["", "| figure | node | value | fleet median | deviation |", "|---|---|---|---|---|"]
        for item in verdict.outliers:
            body.append(f"| {report_markdown.cell(item.key)} | {report_markdown.cell(item.node)} | "
                        f"{_number(item.value)} {report_markdown.cell(item.unit)} | {_number(item.fleet_median)} | "
                        f"{_deviation(item.deviation)} |")
    return "\n".join(body) + "\n\n"


def _html_section(verdict: Verdict) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in verdict.lines())
    rows = "".join(
        f"<tr><td>{html.escape(item.key)}</td><td>{html.escape(item.node)}</td>"
        f"<td>{html.escape(_number(item.value))} {html.escape(item.unit)}</td>"
        f"<td>{html.escape(_number(item.fleet_median))}</td><td>{html.escape(_deviation(item.deviation))}</td></tr>"
        for item in verdict.outliers)
    table = (f"<table><tr><th>figure</th><th>node</th><th>value</th><th>fleet median</th><th>deviation</th></tr>"
             f"{rows}</table>") if rows else ""
    return f'<section id="fleet"><h2>Fleet verdict</h2><ul>{items}</ul>{table}</section>\n'


def _with_section(page: str, section: str, marker: str) -> str:
    """The fleet's section before the report's first section (or at the end, without one)."""
    at = page.find(marker)
    return page[:at] + section + page[at:] if at >= 0 else page + section


def write_pages(report: model.Report, verdict: Verdict, out_dir: Path) -> list[Path]:
    flynn_results.check_directory(out_dir, "--out")
    markdown = report_markdown.render(report).replace("# flynn report", "# flynn fleet report", 1)
    markdown = _with_section(markdown, _markdown_section(verdict), "\n## ")
    page = _with_section(report_html.render(report), _html_section(verdict), "<h2>")
    written = []
    for name, content in (("fleet.md", markdown), ("fleet.html", page)):
        path = out_dir / name
        try:
            write_text_atomic(path, content)
        except OSError as error:
            raise FlynnError(f"{path}: cannot write it: {error.strerror}") from None
        written.append(path)
    return written


@entry_point
def main(argv: list[str]) -> int:
    args = parse_args(argv)
    nodes = gather(args.directory)
    check_settings(nodes)
    readable = [node for node in nodes.values() if node.results and not node.failed]
    failed = {node.name: node.failed for node in nodes.values() if node.failed}
    if args.baseline != "median" and args.baseline not in {node.name for node in readable}:
        raise FlynnError(f"--baseline {args.baseline}: no readable node of that name "
                         f"(nodes: {', '.join(sorted(nodes)) or 'none'})")
    if len(readable) < 2:
        for name, why in failed.items():
            print(printable(f"FAILED {name}: {'; '.join(why)}"), file=sys.stderr)
        raise FlynnError(f"{args.directory}: {len(readable)} node(s) with a readable result; a fleet needs 2 or more")
    options = ReadingOptions()
    with tempfile.TemporaryDirectory(prefix="flynn-fleet-") as temporary:
        for node in readable:
            node.merged = fold(node, Path(temporary))
            node.findings = {f"{finding.area}/{finding.figure}": finding
                             for finding in areas.read_all(flynn_results.load(node.merged), options)}
        judged, lacking = judge(readable, args.baseline, args.threshold, args.min_spread_pct, options.unstable_cv_pct)
        outliers = [item for item in judged if abs(item.deviation) > args.threshold]
        noisy = [item for item in judged if item.noisy and abs(item.deviation) <= args.threshold
                 and abs(item.value - item.reference) > args.min_spread_pct / 100.0 * abs(item.reference)]
        verdict = Verdict([node.name for node in readable], failed, outliers, noisy, lacking, len(judged),
                          args.threshold, args.baseline)
        report = model.assemble([node.merged for node in readable], options, with_history=False)  # type: ignore[misc]
        written = write_pages(report, verdict, args.out or args.directory)
    for line in verdict.lines():
        print(printable(line))
    print("wrote " + ", ".join(str(path) for path in written))
    # A node that failed, or lacks what its peers measured, is a finding as much as an outlier.
    return EXIT_FINDING if outliers or failed or lacking else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
