"""Turn whatever the user logs (plait tensors, NumPy arrays, Python numbers) into NumPy arrays."""
import numbers

import numpy as np


def _is_plait_tensor(x):
    # plait is imported here, not at module level, so that the writer's proto and file code has no
    # import-order coupling with the core (plait imports its plugins lazily as well).
    import plait

    return plait.is_tensor(x)


def _to_numpy(x):
    """Return ``x`` as a NumPy array; plait tensors on any device are copied to the host."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (numbers.Number, np.generic)):
        return np.asarray(x)
    if isinstance(x, (list, tuple)):
        return np.asarray([_to_numpy(v) for v in x])
    if _is_plait_tensor(x):
        return np.asarray(x.detach().cpu().numpy())
    raise TypeError(
        f"Got {type(x).__name__}, but a plait tensor, a NumPy array or a Python number was expected."
    )


def _to_scalar(x):
    """Return ``x`` as a Python float; it must hold exactly one element."""
    arr = _to_numpy(x)
    if arr.size != 1:
        raise ValueError(f"scalar should be 0D (a single element), got shape {tuple(arr.shape)}")
    return float(arr.reshape(()).item())
