"""The trust section over a whole result: unstable rows, failed proofs, skips with their
reasons, what makes the machine noisy, and the cross-check against `perf bench sched pipe`."""

import statistics
from collections import Counter

from flynn import perf_check
from flynn.areas.common import cv_pct, finding, missing
from flynn.findings import Finding, ReadingOptions, Trust
from flynn.results import Result, Run
from flynn.summary import primary_counter

AREA = "trust"
_NO_HYPERVISOR = {"", "none", "no", "bare_metal", "bare-metal"}
# The unstable rows the note names, worst first.
_NAMED = 5
# Rows that run alone on one CPU and never block: their CPU time is their wall time on a quiet
# machine, so cpu_time / real_time below 1 is time something else held their CPU (another
# process, the hypervisor's steal). Partnered, blocking and team rows are below 1 by design.
_ALONE_ON_A_CPU = ("simd/", "numa/chase/")
# Below this share the figures of the run were taken on a CPU they did not have to themselves.
CPU_SHARE_OK_PCT = 95.0


# The proofs the kernel's own counts give, where the harness opened its perf events: the counter
# and the value it must hold.
_KERNEL_PROOFS = (
    ("minor_faults_per_load", "page faults inside a chase's timed loop (first touch is setup)", 0.0),
    ("cpu_migrations_per_region", "CPU migrations inside a bound OpenMP team", 0.0),
)


def _perf_counters(result: Result, measured: list[Run]) -> Finding:
    """What the harness could count (software events; hardware ones where a PMU exists), and the
    proofs that rest on those counts: a figure nobody can check is worth nothing."""
    said = result.context.get("perf_counters")
    label = "counters from the kernel (perf_event_open)"
    if not said:
        return missing(AREA, "perf_counters", label,
                       "this result records no perf counters: built before the harness opened them", "unknown")
    broken = []
    checked = 0
    # A place of several CPUs (OMP_PLACES=cores on a core with SMT siblings) lets the kernel move a
    # thread between them without leaving its place: a migration count there proves nothing.
    wide_places = _places_span_several_cpus(result.context)
    unchecked = None
    for key, what, expected in _KERNEL_PROOFS:
        if key == "cpu_migrations_per_region" and wide_places:
            # Said only where a row carries the count (flynn_mpi alone records OMP_PLACES unset).
            if any(run.values(key) for run in measured):
                unchecked = f"migrations not checked: {wide_places}"
            continue
        for run in measured:
            values = run.values(key)
            if values:
                checked += 1
                if max(values) > expected:
                    broken.append(f"{run.name}: {key} {max(values):g}, {what} should be {expected:g}")
    meaning = (f"the harness counted {said}; {checked} benchmarks carry a proof from the kernel's counts "
               "(no page fault inside a timed chase, no migration inside a bound team)")
    # The cause first: the note shows the first few broken proofs only.
    cause = _hinting_faults(result.context) if any("minor_faults_per_load" in why for why in broken) else None
    return finding(
        AREA, "perf_counters", label, float(len(broken)), "proofs failed", limit=0.0,
        limit_source="a proof from the kernel's counts holds exactly",
        meaning=meaning,
        trust=Trust("unproven" if broken else "ok",
                    note="; ".join([*([cause] if cause else []), *broken[:3], *([unchecked] if unchecked else [])]) or None),
    )


def _hinting_faults(context: dict) -> str | None:
    """Where a timed chase's page faults come from when it is not first touch: automatic NUMA
    balancing unmaps a task's pages to sample where they are used, and the faults it takes then
    are minor faults, inside the timed loop as well. The figure then holds them: the proof fails,
    with the cause named."""
    try:
        nodes = int(context.get("topology_numa_nodes", 1))
    except (TypeError, ValueError):
        return None
    if nodes > 1 and str(context.get("numa_balancing", "")).strip() not in ("", "0"):
        return (f"likely NUMA hinting faults: kernel.numa_balancing={context.get('numa_balancing')} on {nodes} nodes "
                "samples the chase's pages while it runs (sysctl kernel.numa_balancing=0 for the run)")
    return None


def _places_span_several_cpus(context: dict) -> str | None:
    """Why a bound team's migrations cannot be held to 0, or None where each place is one CPU."""
    places = str(context.get("omp_places", "")).strip().lower()
    try:
        cores, pus = int(context.get("topology_cores", 0)), int(context.get("topology_pus", 0))
    except (TypeError, ValueError):
        return "the context's core and PU counts are unreadable"
    if places in ("threads", ""):
        return None
    if places == "cores" and pus > cores > 0:
        return (f"OMP_PLACES=cores on {pus} PUs in {cores} cores: a place holds a core's SMT siblings, "
                "between which a thread may move")
    if places not in ("cores",):
        return f"OMP_PLACES={places}: a place may hold several CPUs"
    return None


def readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    found: list[Finding] = []
    measured = [run for run in runs if run.repetitions]
    spreads = []
    for run in measured:
        counter = primary_counter(run)
        values = run.values(counter) if counter else []
        spread = cv_pct(values)
        if spread is not None:
            spreads.append((spread, run.name, counter))
    unstable = sorted((item for item in spreads if item[0] > options.unstable_cv_pct), reverse=True)
    named = ", ".join(f"{name} ({spread:.0f}%)" for spread, name, _ in unstable[:_NAMED])
    found.append(finding(
        AREA, "unstable_rows", "unstable rows (CV of the repetitions)", float(len(unstable)), "rows",
        limit=float(len(measured)), limit_source="the measured rows of this result",
        meaning=(f"{len(unstable)} of {len(measured)} rows spread more than {options.unstable_cv_pct:g}% "
                 "between repetitions; read them as a range, not a number"),
        trust=Trust("ok" if not unstable else "unstable", note=f"worst: {named}" if named else None),
        headline=True,
    ))
    found.append(_perf_counters(result, measured))
    failed = [run for run in runs if run.failed]
    found.append(finding(
        AREA, "failed_rows", "failed rows (a proof or a check failed)", float(len(failed)), "rows",
        limit=float(len(runs)), limit_source="all rows of this result",
        meaning=("every failed row's benchmark reported an error instead of a figure: a proof counter "
                 "below its threshold or a validation that did not match"),
        trust=Trust("ok" if not failed else "unproven",
                    note="; ".join(f"{run.name}: {run.error}" for run in failed[:_NAMED]) or None),
        headline=True,
    ))
    reasons = Counter(run.skip_reason for run in runs if run.skip_reason is not None)
    skipped = sum(reasons.values())
    found.append(finding(
        AREA, "skipped_rows", "skipped rows (the machine cannot run them)", float(skipped), "rows",
        limit=float(len(runs)), limit_source="all rows of this result",
        meaning="skipped rows say why: a feature this machine lacks, not a fault",
        trust=Trust("ok", note="; ".join(f"{count} x {reason}" for reason, count in reasons.most_common()) or None),
        headline=True,
    ))
    for index, (reason, count) in enumerate(reasons.most_common()):
        found.append(finding(
            AREA, f"skipped/{index}", f"skipped: {reason}", float(count), "rows",
            meaning=f"{count} rows were not measured here: {reason}",
            trust=Trust("skipped", note=reason),
        ))
    found.append(cpu_share(measured))
    found += _environment(result)
    found.append(_perf_cross_check(result))
    return found


def cpu_share(measured: list[Run]) -> Finding:
    """The share of the wall clock the rows that run alone on one CPU held it (cpu_time /
    real_time, the median over those rows of each row's median): a noisy neighbour on the
    benchmarks' CPU, which no CPU-time figure shows, lowers it. scripts/fleet judges it."""
    label = "CPU held (cpu_time / real_time)"
    shares = []
    for run in measured:
        if not run.name.startswith(_ALONE_ON_A_CPU):
            continue
        ratios = [float(row["cpu_time"]) / float(row["real_time"]) for row in run.repetitions
                  if isinstance(row.get("cpu_time"), (int, float)) and isinstance(row.get("real_time"), (int, float))
                  and row["real_time"] > 0]
        if ratios:
            shares.append(100.0 * statistics.median(ratios))
    if not shares:
        return missing(AREA, "cpu_share", label,
                       f"no row that runs alone on one CPU ({', '.join(_ALONE_ON_A_CPU)}) in this result", "unknown")
    share = statistics.median(shares)
    quiet = share >= CPU_SHARE_OK_PCT
    return finding(
        AREA, "cpu_share", label, share, "%", limit=100.0,
        limit_source="a row alone on its CPU holds it for all of its wall-clock time",
        meaning=(f"the {len(shares)} rows that run alone on one CPU held it for {share:.0f}% of their wall-clock "
                 "time (median row)" + ("" if quiet else
                 f"; something else ran on their CPU for the rest: their CPU-time figures hold, "
                 "anything timed in real time is slowed")),
        trust=Trust("ok" if quiet else "unstable",
                    note=None if quiet else f"below {CPU_SHARE_OK_PCT:g}%: another process or the hypervisor "
                    "took the benchmarks' CPU"),
        headline=True,
    )


def _environment(result: Result) -> list[Finding]:
    """What makes every figure of the run less trustworthy, said once."""
    context = result.context
    found = []
    governor = str(context.get("cpu_governor", "")).strip()
    if governor and governor != "performance":
        found.append(missing(AREA, "environment/governor", f"CPU governor: {governor}",
                             "not 'performance': the clock may ramp during a run", "unknown"))
    hypervisor = str(context.get("hypervisor", "")).strip()
    if hypervisor.lower() not in _NO_HYPERVISOR:
        found.append(missing(AREA, "environment/hypervisor", f"runs under a hypervisor: {hypervisor}",
                             "steal time and vCPU moves add noise; cache sizes reported to the guest "
                             "may be invented", "unknown"))
    if context.get("library_build_type") == "debug":
        found.append(missing(AREA, "environment/library", "Google Benchmark is a debug build",
                             "its own overhead per iteration is larger; flynn's kernels are still "
                             f"built {context.get('build_type', '?')}", "unknown"))
    emulated = context.get("emulated")
    if emulated:
        found.append(missing(AREA, "environment/emulated", f"EMULATED ({emulated})",
                             "software emulation: the timings say nothing about hardware", "unknown"))
    return found


def _perf_cross_check(result: Result) -> Finding:
    label = "flynn's pipe switch vs perf bench sched pipe"
    comparison = perf_check.compare(result)
    if comparison is None:
        return missing(AREA, "perf_crosscheck", label,
                       f"no cross-check in this result: the context lacks {perf_check.CONTEXT_KEY} "
                       f"or the result lacks {perf_check.REFERENCE_RUN}", "unknown")
    agrees = comparison.agrees
    return finding(
        AREA, "perf_crosscheck", label, comparison.flynn_ns, "ns",
        limit=comparison.perf_ns,
        limit_source=f"perf bench sched pipe (context {perf_check.CONTEXT_KEY}), interleaved rounds",
        meaning=(f"flynn's same-CPU pipe hand-off between processes {'agrees' if agrees else 'DISAGREES'} "
                 f"with an independent tool within {perf_check.TOLERANCE:.0%} "
                 f"({comparison.flynn_ns:,.0f} ns vs {comparison.perf_ns:,.0f} ns)"),
        trust=Trust("ok" if agrees else "unproven",
                    note=None if agrees else "the two tools measure the same ping-pong differently here"),
        headline=True,
    )
