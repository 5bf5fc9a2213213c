"""The soak tests (`make soak`, run by `make bench`; never by `make test`): the
scale cases of docs/performance.md that take minutes. They use the end-to-end
suite's fixtures and helpers (tests/e2e/conftest.py), loaded here under the name
`e2e_conftest` and re-exported, so that `harness`, `pg_db` and the rest work the
same in both folders."""

import importlib.util
import sys
from pathlib import Path

_path = Path(__file__).resolve().parent.parent / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("e2e_conftest", _path)
_e2e = importlib.util.module_from_spec(_spec)
sys.modules["e2e_conftest"] = _e2e
_spec.loader.exec_module(_e2e)

globals().update({k: v for k, v in vars(_e2e).items() if not k.startswith("__")})
