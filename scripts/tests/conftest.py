import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1]
# The flynn package lives in scripts/, which is not installed anywhere.
sys.path.insert(0, str(SCRIPTS))

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
