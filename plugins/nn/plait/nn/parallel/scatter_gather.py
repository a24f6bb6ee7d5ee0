"""Splitting inputs across devices and joining outputs back (torch.nn.parallel.scatter_gather).

A tensor is cut with ``chunk`` along ``dim`` and each piece copied to its device with ``Tensor.to``, so
gradients flow back to the whole input; tuples, lists and dicts are split element by element; anything
else is handed to every device as it is."""
import warnings

import plait

from ._devices import as_device


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def scatter(inputs, target_gpus, dim=0):
    """One entry per device of ``target_gpus`` (ids or devices); fewer where a tensor has fewer slices
    than there are devices (torch's ``chunk`` rule)."""
    target_gpus = [as_device(d) for d in target_gpus]

    def scatter_map(obj):
        if isinstance(obj, plait.Tensor):
            return [piece.to(dev) for piece, dev in zip(obj.chunk(len(target_gpus), dim), target_gpus)]
        if _is_namedtuple(obj):
            return [type(obj)(*args) for args in zip(*map(scatter_map, obj))]
        if isinstance(obj, tuple) and len(obj) > 0:
            return list(zip(*map(scatter_map, obj)))
        if isinstance(obj, list) and len(obj) > 0:
            return [list(i) for i in zip(*map(scatter_map, obj))]
        if isinstance(obj, dict) and len(obj) > 0:
            return [type(obj)(i) for i in zip(*map(scatter_map, obj.items()))]
        return [obj for _ in target_gpus]

    return scatter_map(inputs)


def scatter_kwargs(inputs, kwargs, target_gpus, dim=0):
    """Scatter positional and keyword inputs alike; the shorter list is padded with ``()`` / ``{}``."""
    scattered_inputs = scatter(inputs, target_gpus, dim) if inputs else []
    scattered_kwargs = scatter(kwargs, target_gpus, dim) if kwargs else []
    if len(scattered_inputs) < len(scattered_kwargs):
        scattered_inputs.extend(() for _ in range(len(scattered_kwargs) - len(scattered_inputs)))
    elif len(scattered_kwargs) < len(scattered_inputs):
        scattered_kwargs.extend({} for _ in range(len(scattered_inputs) - len(scattered_kwargs)))
    return tuple(scattered_inputs), tuple(scattered_kwargs)


def gather(outputs, target_device, dim=0):
    """Join the per-device ``outputs`` on ``target_device`` (an id, -1 for the CPU, or a device),
    concatenating tensors along ``dim``; 0-d tensors (a loss per device) are stacked into a vector, with
    torch's warning."""
    target_device = as_device(target_device)

    def gather_map(outs):
        out = outs[0]
        if isinstance(out, plait.Tensor):
            moved = [o.to(target_device) for o in outs]
            if all(o.ndim == 0 for o in moved) and dim == 0:
                warnings.warn("Was asked to gather along dimension 0, but all input tensors were scalars; will "
                              "instead unsqueeze and return a vector.", UserWarning, stacklevel=4)
                return plait.stack(moved)
            return plait.cat(moved, dim)
        if out is None:
            return None
        if isinstance(out, dict):
            if not all(len(out) == len(d) for d in outs):
                raise ValueError("All dicts must have the same number of keys")
            return type(out)((k, gather_map([d[k] for d in outs])) for k in out)
        if _is_namedtuple(out):
            return type(out)._make(map(gather_map, zip(*outs)))
        return type(out)(map(gather_map, zip(*outs)))

    return gather_map(outputs)
