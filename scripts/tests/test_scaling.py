import numpy as np
import pytest

from flynn import scaling


def test_amdahl_fit_recovers_the_serial_fraction() -> None:
    threads = [1, 2, 4, 8, 16]
    rates = [100.0 * float(s) for s in scaling.amdahl(np.array(threads, dtype=float), 0.1)]
    found = scaling.analyse(threads, rates, "strong", cores=16)
    assert found is not None
    assert found.serial_fraction == pytest.approx(0.1, abs=1e-6)
    assert found.speedup[0] == 1.0
    assert found.efficiency[-1] == pytest.approx(rates[-1] / rates[0] / 16)


def test_gustafson_fit_ignores_oversubscribed_counts() -> None:
    threads = [1, 2, 4, 8]
    rates = [float(s) for s in scaling.gustafson(np.array(threads, dtype=float), 0.25)]
    # 16 threads on 8 cores: time-sliced, far below either law; must not drag the fit
    found = scaling.analyse([*threads, 16], [*rates, 1.0], "weak", cores=8)
    assert found is not None
    assert found.serial_fraction == pytest.approx(0.25, abs=1e-6)
    assert found.threads == [1, 2, 4, 8, 16]


def test_no_one_thread_run_means_no_analysis() -> None:
    assert scaling.analyse([2, 4], [1.0, 2.0], "strong", cores=4) is None


def test_perfect_scaling_has_no_serial_part() -> None:
    found = scaling.analyse([1, 2], [5.0, 10.0], "strong", cores=2)
    assert found is not None and found.serial_fraction == pytest.approx(0.0, abs=1e-3)
    assert found.efficiency == [1.0, 1.0]
