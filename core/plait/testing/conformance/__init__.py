"""plait's backend conformance suite (a pytest plugin plus test modules).

Run it on an installed backend::

    pytest --pyargs plait.testing.conformance --plait-backend=NAME [-q] [-x] [-k EXPR]
    python -m plait.testing.conformance --plait-backend=NAME [pytest options]

The plugin (``plait.testing.conformance.plugin``, registered through pytest's ``pytest11`` entry point by the
``plait`` distribution) adds ``--plait-backend`` / ``--plait-device``, points the device type(s) the backend
serves at it (``plait.backends.set_backend``), marks the known gaps the backend declares in its
``conformance_xfail`` dict as strict expected failures, and prints the report after the run.

Areas (one test module each):

===============  ===========================================================================================
``hooks``        the Backend methods themselves: seeded random numbers, scatter-add with duplicate indices,
                 index-put, host / bytes / DLPack transfer, dtype mapping, optional kernels vs fallbacks
``forward``      every Tensor op's forward result (values and dtype) against NumPy
``gradcheck``    every differentiable op's gradient against central finite differences (float64)
``autograd``     retain_graph, create_graph (double backward), hooks, in-place version checks, grad modes
``dtypes``       torch's type promotion and casts, as the backend's arrays actually report them
``devices``      device placement of every creation function, transfers, mixed-device and bad-device errors
``training``     plait.nn + plait.optim training a few steps (an MLP against a NumPy reference, a small CNN)
===============  ===========================================================================================
"""
