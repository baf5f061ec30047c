"""The report's sections in the chapter's order, each with the idea a student needs to read it."""

from dataclasses import dataclass

# The chapter goes from one core switching between tasks to many cores sharing state, then to the
# waiting that decides whether threads help at all; the page follows it.
AREAS = ("ctxsw", "simd", "mimd", "mpi", "numa", "sync", "io", "trust")

# Which binary writes an area, to say why an area is missing (flynn_sync writes sync/ and io/).
BINARY_OF = {
    "ctxsw": "flynn_ctxsw",
    "simd": "flynn_simd",
    "mimd": "flynn_mimd",
    "numa": "flynn_numa",
    "sync": "flynn_sync",
    "io": "flynn_sync",
    "mpi": "flynn_mpi",
}


@dataclass(frozen=True)
class Section:
    title: str
    # One or two sentences: the idea of the chapter this area measures, for a student.
    idea: str


SECTIONS = {
    "ctxsw": Section(
        "Context switches and time slicing",
        "One core runs one thread at a time: the kernel gives each runnable thread a time slice and, "
        "to switch, saves one thread's registers and loads another's. Concurrency on one core is this "
        "rapid switching, and every switch costs time plus the caches the next thread finds cold.",
    ),
    "simd": Section(
        "SISD and SIMD: one value or a vector per instruction",
        "A SISD instruction works on one value; a SIMD instruction applies the same operation to every "
        "lane of a vector (4 doubles with AVX2, 8 with AVX-512) in about the same time. The peak grows "
        "with the lanes, but only while the data sits in cache and the loop has enough independent work.",
    ),
    "mimd": Section(
        "MIMD with OpenMP: several cores, several instruction streams",
        "A MIMD machine runs a different instruction stream on each core at once; OpenMP splits a loop "
        "across threads. Work bound by computation speeds up with the cores until its serial part "
        "dominates (Amdahl), while work bound by memory stops once the shared bandwidth is used up.",
    ),
    "numa": Section(
        "Memory levels, UMA and NUMA",
        "In a UMA machine every core reaches all memory in the same time; in a NUMA machine each socket "
        "has memory of its own, and reaching another node's costs more. Within one node, a load takes "
        "longer level by level as the working set outgrows L1, L2 and L3 and goes to DRAM.",
    ),
    "sync": Section(
        "Shared state: races, atomics and locks",
        "Threads that update shared data must synchronise: an unprotected read-modify-write loses "
        "updates (a race). Atomics and mutexes prevent it, at a cost that grows when cores fight over "
        "one cache line, even for different variables that share it (false sharing).",
    ),
    "io": Section(
        "I/O-bound and CPU-bound work",
        "An I/O-bound task spends its time waiting, so many more threads than cores still make it "
        "faster; a CPU-bound task stops gaining once every core is busy.",
    ),
    "mpi": Section(
        "MIMD across machines: message passing with MPI",
        "Processes that share no memory cooperate by sending messages: a small message costs the "
        "latency of the path between them (shared memory on one host, the network between hosts), a "
        "large one its bandwidth, and a collective such as allreduce grows with the number of ranks.",
    ),
    "trust": Section(
        "How far to trust these figures",
        "A figure is only as good as its measurement: these are the rows whose repetitions disagree, "
        "the proofs that failed and the benchmarks that were skipped, with why.",
    ),
}

ROOFLINE = Section(
    "Roofline: compute and memory limits together",
    "A kernel can go no faster than the compute peak (the flat roof) nor than memory bandwidth times "
    "its arithmetic intensity, the flops it does per byte it moves (the slanted roofs). Each point is "
    "a kernel; the roof above it is what limits it.",
)


def section(area: str) -> Section:
    return SECTIONS.get(area, Section(f"Area {area}", f"Benchmarks of the {area} area."))
