"""plait.testing: tools for people who write plait backends and plugins.

``plait.testing.conformance`` is the backend conformance suite, shipped inside the ``plait`` distribution
as a pytest plugin, so the author of a backend installed from anywhere runs::

    pytest --pyargs plait.testing.conformance --plait-backend=NAME

(or ``python -m plait.testing.conformance --plait-backend=NAME``, which passes the same arguments and also
works where pytest's plugin auto-loading is turned off) and gets a report: one line per area (backend hooks,
op forward results, gradients, autograd semantics, dtype promotion, devices, nn/optim training), the known
gaps the backend declares, every skip with its reason, and a verdict. See ``docs/WRITING_A_BACKEND.md``.

This package is test code: it needs ``pytest`` and ``numpy`` (the reference results are computed with
NumPy), which plait's core itself never imports. Both are imported inside functions only, so that
``import plait`` and the core's "no array library" rule are untouched.
"""

__all__ = ["conformance"]
