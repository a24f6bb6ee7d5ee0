"""default_collate / default_convert: turn a list of samples into a batch (torch's rules)."""
import collections.abc
import copy

from ..._dtype import float64
from ...tensor import Tensor


def _is_array(x):
    """A NumPy (or other ``__array_interface__``) array or scalar, recognised without importing NumPy."""
    return hasattr(x, "__array_interface__") and not isinstance(x, Tensor)


def _check_array(x):
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    if kind in ("U", "S", "O"):
        raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                        f"found array of dtype {x.dtype}")


def default_collate(batch):
    """Stack a list of samples into a batch, recursing into tuples, lists and dicts.

    tensors -> ``plait.stack``; NumPy arrays -> tensors, then stacked; Python floats -> float64 tensor;
    ints (bools) -> int64 (bool) tensor; strings -> left as a list; a tuple of fields -> a list of
    batched fields (namedtuples keep their type); a dict -> a dict of batched values.
    """
    from ... import creation
    from ...ops.shape import stack
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if _is_array(elem):
        _check_array(elem)
        if getattr(elem, "shape", None) == ():  # a NumPy scalar such as np.float32(1.0)
            return creation.as_tensor([b.item() for b in batch], dtype=creation.as_tensor(elem).dtype)
        return default_collate([creation.as_tensor(b) for b in batch])
    if isinstance(elem, float):
        return creation.tensor(batch, dtype=float64)
    if isinstance(elem, int):  # bool included: tensor([True, False]) is a bool tensor
        return creation.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                out = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    out[i] = default_collate(samples)
                return out
            return type(elem)([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem)}")


def default_convert(data):
    """Per-sample conversion used when automatic batching is off (``batch_size=None``): NumPy arrays
    become tensors, containers are converted recursively, everything else is left alone."""
    from ... import creation
    if isinstance(data, Tensor):
        return data
    if _is_array(data):
        kind = getattr(getattr(data, "dtype", None), "kind", None)
        return data if kind in ("U", "S", "O") else creation.as_tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
