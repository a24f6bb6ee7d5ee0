"""The pytest plugin of plait's backend conformance suite.

Registered for every pytest run through the ``pytest11`` entry point of the ``plait`` distribution (name
``plait.testing.conformance.plugin``; also loadable with ``-p plait.testing.conformance.plugin``). It stays
inert unless ``--plait-backend`` is given or tests of this package are collected:

- ``--plait-backend=NAME`` points every device type the backend serves at it (``plait.backends.set_backend``)
  before any test runs; ``--plait-device=TYPE`` picks which of its device types the suite creates tensors on
  (default: the first one it declares);
- a backend's known gaps, ``conformance_xfail = {"test id substring": "reason"}`` on its Backend class,
  mark the matching conformance tests ``xfail(strict=True)`` (a gap that starts passing fails the run, so
  the list stays true);
- after the run it prints the report: the backend, a pass/fail table per area, the declared gaps, every
  skip with its reason, and a verdict.
"""
import os

import pytest

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
AREAS = ("hooks", "forward", "gradcheck", "autograd", "dtypes", "devices", "training")
_STATE = pytest.StashKey()


class ConformanceState:
    """What the fixtures and the report need: the backend under test and the results per test."""

    def __init__(self):
        self.backend = None          # plait.backends.Backend
        self.device_type = None      # str: the device type tensors are created on
        self.requested = None        # the --plait-backend value (None: whatever serves the device)
        self.problem = None          # why the backend could not be selected (reported, tests error)
        self.gaps = {}               # substring -> reason (the backend's conformance_xfail)
        self.gap_hits = {}           # substring -> [nodeid]
        self.items = {}              # nodeid -> area
        self.outcomes = {}           # nodeid -> outcome
        self.reasons = {}            # nodeid -> skip / xfail reason
        self.failures = {}           # nodeid -> first line of the failure
        self.deselected = 0          # conformance tests left out with -k / -m


# ---------------------------------------------------------------- options and selection
def pytest_addoption(parser):
    group = parser.getgroup("plait", "plait backend conformance (plait.testing.conformance)")
    group.addoption("--plait-backend", action="store", default=None, metavar="NAME",
                    help="run the tests on the installed plait backend NAME (see plait.backends.available()); "
                         "every device type it serves is pointed at it")
    group.addoption("--plait-device", action="store", default=None, metavar="TYPE",
                    help="device type the conformance suite creates tensors on (default: the backend's first "
                         "device type, or 'cpu' without --plait-backend)")
    group.addoption("--plait-plugin", action="append", default=[], metavar="MODULE[:NAME]",
                    help="register an importable module as a plait plugin before the run, as if its "
                         "distribution declared it in the 'plait' entry-point group (test a backend before "
                         "packaging it); with a single new backend, --plait-backend defaults to it")


def _register_plugins(config, state):
    """--plait-plugin: import each module and register it like an entry point; returns new backend names."""
    import importlib
    from plait.backends import registry
    reg = registry._registry
    reg.load()
    before = set(reg.backends)
    for spec in config.getoption("plait_plugin", None) or []:
        module_name, _, plugin_name = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise pytest.UsageError(f"--plait-plugin={spec}: importing {module_name!r} failed: "
                                    f"{type(exc).__name__}: {exc}") from None
        if reg.manager.has_plugin(plugin_name or module_name):
            continue
        reg.register_plugin(module, plugin_name or module_name)  # warns (naming it) if malformed
    return sorted(set(reg.backends) - before)


@pytest.hookimpl(trylast=True)  # after plugins/conftests that register plait plugins themselves
def pytest_configure(config):
    global _current_state
    state = ConformanceState()
    config.stash[_STATE] = state
    _current_state = state
    name = config.getoption("plait_backend", None)
    if config.getoption("plait_plugin", None):
        added = _register_plugins(config, state)
        if not name:
            if len(added) != 1:
                from plait import backends
                errors = "".join(f"\n  plugin {p!r}: {m}" for p, m in backends.registry_errors())
                raise pytest.UsageError(
                    f"--plait-plugin registered {len(added)} new backend(s) {added}: name the one to test with "
                    f"--plait-backend" + (f"\nPlugins that could not be used:{errors}" if errors else ""))
            name = added[0]
    if not name:
        return
    state.requested = name
    from plait import backends
    reg = backends.registry._registry
    reg.load()  # only the chosen backend is set up below (setting up all would import every array library)
    if name not in reg.backends:
        errors = "".join(f"\n  plugin {p!r}: {m}" for p, m in backends.registry_errors())
        raise pytest.UsageError(
            f"--plait-backend={name}: no plait backend of that name is installed. Installed backends: "
            f"{sorted(reg.backends)}. A backend is found through the 'plait' entry-point group of its "
            f"distribution (see docs/WRITING_A_BACKEND.md); is its distribution installed in this environment?"
            + (f"\nPlugins that could not be used:{errors}" if errors else ""))
    backend = reg.backends[name]
    if not reg.ensure_ready(backend):
        raise pytest.UsageError(f"--plait-backend={name}: the backend is installed but could not be set up: "
                                f"{reg.failed.get(name)}")
    for device_type in backend.device_types:
        backends.set_backend(device_type, name)


def state_of(config):
    """The ConformanceState of this run, resolved on first use (fixtures call this)."""
    state = config.stash.get(_STATE, None)
    if state is None:  # the plugin was registered late (e.g. by pytester); configure now
        pytest_configure(config)
        state = config.stash[_STATE]
    if state.backend is None and state.problem is None:
        _resolve(config, state)
    return state


def _resolve(config, state):
    from plait.backends import registry
    reg = registry._registry
    reg.load()
    wanted = config.getoption("plait_device", None)
    try:
        if state.requested:
            backend = reg.backends[state.requested]
            device_type = wanted or backend.device_types[0]
            if device_type not in backend.device_types:
                raise RuntimeError(f"--plait-device={device_type}: backend {backend.name!r} serves "
                                   f"{list(backend.device_types)}")
            reg.for_device(registry._device(device_type))
        else:
            device_type = wanted or "cpu"
            backend = reg.for_device(registry._device(device_type))
    except Exception as exc:  # reported in the summary; every test errors with it
        state.problem = f"{type(exc).__name__}: {exc}"
        return
    state.backend = backend
    state.device_type = device_type
    gaps = getattr(backend, "conformance_xfail", None) or {}
    if not isinstance(gaps, dict) or not all(isinstance(k, str) and k and isinstance(v, str) and v
                                             for k, v in gaps.items()):
        state.problem = (f"{type(backend).__name__}.conformance_xfail must be a dict of non-empty "
                         f"'test id substring' -> 'reason' strings, got {gaps!r}")
        state.backend = None
        return
    state.gaps = dict(gaps)


def _area(path):
    base = os.path.basename(str(path))
    if base.startswith("test_") and base.endswith(".py"):
        return base[5:-3]
    return base


def _is_conformance(item):
    try:
        path = os.path.abspath(str(item.path))
    except AttributeError:
        return False
    return os.path.dirname(path) == PACKAGE_DIR


# ---------------------------------------------------------------- known gaps
def pytest_collection_modifyitems(session, config, items):
    mine = [item for item in items if _is_conformance(item)]
    if not mine:
        return
    state = state_of(config)
    for item in mine:
        state.items[item.nodeid] = _area(item.path)
        for sub, reason in state.gaps.items():
            if sub in item.nodeid:
                state.gap_hits.setdefault(sub, []).append(item.nodeid)
                item.add_marker(pytest.mark.xfail(
                    strict=True, reason=f"known gap declared by backend {state.backend.name!r}: {reason}"))
                state.reasons[item.nodeid] = reason
                break


def pytest_deselected(items):
    state = _current_state
    if state is None:
        return
    for item in items:
        if state.items.pop(item.nodeid, None) is not None:
            state.deselected += 1
            for hits in state.gap_hits.values():
                if item.nodeid in hits:
                    hits.remove(item.nodeid)


# ---------------------------------------------------------------- results
_RANK = {"passed": 0, "skipped": 1, "xfailed": 1, "xpassed": 2, "failed": 3, "error": 3}


def pytest_runtest_logreport(report):
    state = _current_state
    if state is None or report.nodeid not in state.items:
        return
    outcome = None
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        else:
            outcome = report.outcome
    elif report.failed:
        outcome = "error"
    elif report.skipped:
        outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
    if outcome is None:
        return
    if outcome == "skipped":
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        state.reasons[report.nodeid] = reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
    if outcome in ("failed", "error"):
        state.failures.setdefault(report.nodeid, _first_line(report))
    prev = state.outcomes.get(report.nodeid)
    if prev is None or _RANK[outcome] > _RANK[prev]:
        state.outcomes[report.nodeid] = outcome


def _first_line(report):
    if "XPASS(strict)" in str(report.longrepr):
        return "declared as a known gap but passed: remove it from conformance_xfail"
    try:
        crash = report.longrepr.reprcrash
        return crash.message.splitlines()[0][:160]
    except AttributeError:
        text = str(report.longrepr).strip().splitlines()
        return text[-1][:160] if text else "failed"


_current_state = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    global _current_state
    _current_state = session.config.stash.get(_STATE, None)


def pytest_report_header(config):
    name = config.getoption("plait_backend", None)
    if name:
        return [f"plait conformance: --plait-backend={name}"]
    return None


# ---------------------------------------------------------------- the report
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash.get(_STATE, None)
    if state is None or not state.items:
        return
    tr = terminalreporter
    for line in report_lines(state):
        tr.write_line(line)


def report_lines(state):
    """The conformance report as text lines (printed after pytest's own summary)."""
    import plait
    from plait import backends
    lines = []
    backend = state.backend
    if backend is None:
        title = "plait backend conformance: NO BACKEND"
        lines += ["", "=" * 100, title, "=" * 100, f"  the backend could not be selected: {state.problem}"]
        return lines
    dist = backend.distribution or "?"
    version = _dist_version(backend.distribution)
    lines += ["", "=" * 100,
              f"plait backend conformance report: backend {backend.name!r} ({dist} {version}), "
              f"class {type(backend).__module__}.{type(backend).__qualname__}",
              f"  tested on device type {state.device_type!r}; the backend serves {list(backend.device_types)}; "
              f"plait {getattr(plait, '__version__', '?')}; namespace {getattr(backend.xp, '__name__', backend.xp)!r}",
              "=" * 100]
    counts = {}
    for nodeid, area in state.items.items():
        outcome = state.outcomes.get(nodeid, "not run")
        row = counts.setdefault(area, {})
        row[outcome] = row.get(outcome, 0) + 1
    cols = ("passed", "failed", "error", "xfailed", "xpassed", "skipped", "not run")
    lines.append(f"  {'area':<12}" + "".join(f"{c:>9}" for c in cols) + "   verdict")
    order = [a for a in AREAS if a in counts] + sorted(a for a in counts if a not in AREAS)
    bad_total = 0
    for area in order:
        row = counts[area]
        bad = row.get("failed", 0) + row.get("error", 0) + row.get("xpassed", 0)
        bad_total += bad
        verdict = "FAIL" if bad else ("ok (known gaps)" if row.get("xfailed") else "ok")
        lines.append(f"  {area:<12}" + "".join(f"{row.get(c, 0):>9}" for c in cols) + f"   {verdict}")
    total = {c: sum(r.get(c, 0) for r in counts.values()) for c in cols}
    lines.append(f"  {'total':<12}" + "".join(f"{total[c]:>9}" for c in cols))

    failed = [n for n, o in state.outcomes.items() if o in ("failed", "error", "xpassed")]
    if failed:
        lines += ["", f"failures ({len(failed)}):"]
        for nodeid in failed:
            lines.append(f"  FAIL {_short(nodeid)}: {state.failures.get(nodeid, state.outcomes[nodeid])}")

    lines += ["", f"known gaps declared by the backend ({type(backend).__name__}.conformance_xfail): "
              f"{len(state.gaps)} entr{'y' if len(state.gaps) == 1 else 'ies'}"]
    for sub, reason in state.gaps.items():
        hits = state.gap_hits.get(sub, [])
        outcomes = sorted({state.outcomes.get(n, "not run") for n in hits})
        if not hits:
            lines.append(f"  - {sub!r}: {reason}  [matches no collected test]")
            continue
        lines.append(f"  - {sub!r}: {reason}  [{len(hits)} test(s): {', '.join(outcomes)}]")
        for nodeid in hits[:8]:
            lines.append(f"      {_short(nodeid)}: {state.outcomes.get(nodeid, 'not run')}")
        if len(hits) > 8:
            lines.append(f"      ... and {len(hits) - 8} more")

    skipped = [(n, state.reasons.get(n, "")) for n, o in state.outcomes.items() if o == "skipped"]
    lines += ["", f"skipped ({len(skipped)}), each with its reason:"]
    for nodeid, reason in skipped:
        lines.append(f"  - {_short(nodeid)}: {reason or '(NO REASON GIVEN)'}")

    errors = backends.registry_errors()
    if errors:
        lines += ["", "plugins that could not be used (they do not affect this backend):"]
        for plugin, message in errors:
            lines.append(f"  - {plugin}: {message}")

    not_run = total["not run"]
    partial = f" (partial run: {state.deselected} test(s) deselected)" if state.deselected else ""
    if bad_total:
        verdict = f"DOES NOT CONFORM: {bad_total} failure(s)" + partial
    elif not_run:
        verdict = f"INCOMPLETE: {not_run} test(s) not run (interrupted)" + partial
    else:
        verdict = (f"CONFORMS: {total['passed']} passed, {total['xfailed']} known gap(s), "
                   f"{total['skipped']} skipped with reasons" + partial)
    lines += ["", f"plait conformance of backend {backend.name!r}: {verdict}", "=" * 100]
    return lines


def _short(nodeid):
    marker = "conformance/"
    i = nodeid.rfind(marker)
    return nodeid[i + len(marker):] if i >= 0 else nodeid


def _dist_version(dist):
    if not dist:
        return ""
    from importlib import metadata
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "(not installed as a distribution)"
