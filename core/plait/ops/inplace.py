"""In-place ops (``add_``, ``mul_``, ``copy_``, ``fill_``, random fills, ...).

An in-place op computes its result with the ordinary op (so autograd records it), writes the values into
the tensor's own memory (views and NumPy arrays sharing it see the change), bumps the version counter and,
when recorded, moves the tensor to the new graph node."""
from .. import _dtype
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import trace_state as _trace_state
from ._common import Tensor, check_same_device

LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
LEAF_VIEW_INPLACE = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def check_overlap(x):
    view = x._view
    if view is not None and any(kind == "broadcast" for kind, _ in view[1]):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")


def check_inplace(x):
    check_overlap(x)
    if x._requires_grad and _grad_state.enabled:
        if x.grad_fn is None:
            raise RuntimeError(LEAF_INPLACE)
        view = x._view
        if view is not None and view[0]._requires_grad and view[0].grad_fn is None:
            raise RuntimeError(LEAF_VIEW_INPLACE)


def tracks_view(x):
    """Whether an in-place change of ``x`` must be recorded in the graph of the tensor it is a view of."""
    view = x._view
    return view is not None and _grad_state.enabled and view[0]._requires_grad


def rebase_view(x, out):
    """After ``x`` (a view) received ``out``'s values in place: give its root the history "root with the view's
    elements replaced by ``out``" (torch's CopySlices), and the view a fresh history as a view of that root."""
    from .indexing import index_put_flat
    from .shape import replay_view
    from ..autograd.grad_mode import _Switch
    from ..creation import arange
    root, steps = x._view[:2]
    with _Switch(False):
        pos = replay_view(arange(root.numel(), device=root._device).reshape(root.shape), steps)
    if out.shape != pos.shape:
        out = out.expand(pos.shape)
    new_root = index_put_flat(root.reshape(-1), pos.reshape(-1), out.reshape(-1)).reshape(root.shape)
    new_root.grad_fn.label = "CopySlices"
    root.grad_fn, root._output_nr, root._requires_grad = new_root.grad_fn, 0, True
    refresh_view(x)


def refresh_view(x):
    """Rebuild a view's history from its root's current one (after the root changed in place)."""
    from .shape import replay_view
    from ..autograd.grad_mode import _Switch
    root, steps, _, strides = x._view
    with _Switch(True):
        fresh = replay_view(root, steps)
    x.grad_fn, x._output_nr, x._requires_grad = fresh.grad_fn, 0, True
    x._view = (root, steps, x._vc[0], strides)


def commit_inplace(x, out):
    if out._dtype is not x._dtype:
        if out._dtype._category > x._dtype._category:
            raise RuntimeError(f"result type {_legacy(out._dtype)} can't be cast to the desired output type "
                               f"{_legacy(x._dtype)}")
        out = out.to(x._dtype)
    if out.shape != x.shape:
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                           f"{list(out.shape)}")
    node = out.grad_fn
    if node is not None and node._saved is not None and any(s is x for s in node._saved):
        # the op saved x's old value for its backward (mul_, div_, pow_, clamp_...): keep a copy of it, as
        # torch keeps `original_self`, since x's memory is overwritten just below
        old = x._alias()
        old._data = x._backend.xp.asarray(x._data, copy=True)
        old._vc = [0]
        node._saved = tuple(old if s is x else s for s in node._saved)
        node._saved_versions = tuple(0 if s is old else v for s, v in zip(node._saved, node._saved_versions))
    x._data[...] = out._data
    x._vc[0] += 1
    if _trace_state.active:  # an exporter follows the tensor to the value it now holds
        _trace_state.recorder.record_inplace(x, out)
    if out.grad_fn is not None:
        x.grad_fn = out.grad_fn
        x._output_nr = out._output_nr
        x._requires_grad = True
    if x._view is not None and _grad_state.enabled and (x._view[0]._requires_grad or out._requires_grad):
        rebase_view(x, out)
    return x


def _legacy(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[d.name]


# In-place ops a backend may run directly in the tensor's memory (``Backend.kernels[name]``) when no graph is
# recorded: optimizer updates then cost one pass over memory instead of temporaries plus a copy back.
FAST_KERNELS = {"add_": 1, "sub_": 1, "mul_": 1, "div_": 1, "addcmul_": 2, "addcdiv_": 2, "lerp_": 2}


def _fast_operands(x, args, n_tensors):
    """The raw operands for a fast in-place kernel, or None when the general path is needed (graph,
    promotion, broadcasting of x itself, mixed devices)."""
    if len(args) != n_tensors or not x._dtype.is_floating_point or x._view is not None:
        return None
    out = []
    for a in args:
        if isinstance(a, Tensor):
            if a._dtype is not x._dtype or a._device is not x._device or a._requires_grad:
                return None
            if a._data.shape != x._data.shape and a._data.ndim != 0:
                return None
            out.append(a._data)
        elif a.__class__ is float or a.__class__ is int:
            out.append(a)
        else:
            return None
    return out


def make_inplace(fn, name):
    n_fast = FAST_KERNELS.get(name)

    def method(self, *args, **kwargs):
        if n_fast is not None and not (_grad_state.enabled and self._requires_grad) and not _trace_state.active:
            kernel = self._backend.kernels.get(name)
            if kernel is not None:
                operands = _fast_operands(self, args, n_fast)
                if operands is not None:
                    kernel(self._data, *operands, **kwargs)
                    self._vc[0] += 1
                    return self
        check_inplace(self)
        return commit_inplace(self, fn(self, *args, **kwargs))
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`Tensor.{name[:-1]}`."
    return method


def fill_(x, value):
    check_inplace(x)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        value = value.item()
    if _grad_state.enabled and x._requires_grad:
        # where() saves no inputs, so the overwritten values are not needed by backward (gradient 0)
        return commit_inplace(x, x.masked_fill(x.new_ones((), dtype=_dtype.bool_), value))
    x._data[...] = value
    x._vc[0] += 1
    return x


def zero_(x):
    return fill_(x, 0)


def copy_(x, src, non_blocking=False):
    check_inplace(x)
    if not isinstance(src, Tensor):
        from ..creation import tensor
        src = tensor(src, dtype=x._dtype, device=x.device)
    if src._device != x._device:
        src = src.to(x._device)
    if src._dtype is not x._dtype:
        src = src.to(x._dtype)
    if src.shape != x.shape:
        try:
            src = src.expand(x.shape)
        except RuntimeError:
            raise RuntimeError(f"The size of tensor a ({x.shape[-1] if x.ndim else 1}) must match the size of "
                               f"tensor b ({src.shape[-1] if src.ndim else 1}); cannot copy a tensor of shape "
                               f"{list(src.shape)} into one of shape {list(x.shape)}") from None
    if _grad_state.enabled and (src._requires_grad or tracks_view(x)):
        return commit_inplace(x, src * 1 if src._requires_grad else src)
    x._data[...] = src._data
    x._vc[0] += 1
    if _grad_state.enabled and x.grad_fn is not None:
        # the old history no longer produces these values
        x.grad_fn = None
        x._requires_grad = False
    return x


def _drawing(backend, generator):
    from ..creation import _Drawing
    return _Drawing(backend, generator)


def _random_fill(x, array):
    check_inplace(x)
    x._data[...] = array
    x._vc[0] += 1
    return x


def uniform_(x, a=0.0, b=1.0, *, generator=None):
    be = x._backend
    with _drawing(be, generator):
        return _random_fill(x, be.uniform(x.shape, a, b, x._data.dtype, x._device))


def normal_(x, mean=0.0, std=1.0, *, generator=None):
    be = x._backend
    if x._dtype.is_floating_point:
        with _drawing(be, generator):
            return _random_fill(x, be.normal(x.shape, mean, std, x._data.dtype, x._device))
    raise RuntimeError(f"normal_ expects a floating-point tensor, got {x._dtype}")


def bernoulli_(x, p=0.5, *, generator=None):
    be = x._backend
    xp = be.xp
    if isinstance(p, Tensor):
        probs = p._data
    else:
        probs = xp.full(x.shape, float(p), dtype=be.dtype_to_native[_dtype.default_float.value])
    with _drawing(be, generator):
        return _random_fill(x, be.bernoulli(xp.broadcast_to(probs, x.shape), x._data.dtype))


def random_(x, low=0, high=None, *, generator=None):
    be = x._backend
    if high is None:
        low, high = 0, low if low else (2 ** 24 if x._dtype.is_floating_point else 2 ** 31)
    with _drawing(be, generator):
        return _random_fill(x, be.xp.astype(be.integers(x.shape, low, high, be.dtype_to_native[_dtype.int64],
                                                     x._device), x._data.dtype))


def exponential_(x, lambd=1.0, *, generator=None):
    be = x._backend
    xp = be.xp
    with _drawing(be, generator):
        u = be.uniform(x.shape, 0.0, 1.0, x._data.dtype, x._device)
    return _random_fill(x, -xp.log1p(-u) / lambd)


def check_inplace_device(x, other):
    if isinstance(other, Tensor):
        check_same_device(x, other)


def make_shape_inplace(fn, name):
    """``unsqueeze_``, ``squeeze_``, ``t_``, ``transpose_``: the tensor itself takes the view's shape (same
    memory, version bumped), recorded in autograd as the view op applied to its former self."""

    def method(self, *args, **kwargs):
        check_inplace(self)
        before = self._alias()
        before._view, before._requires_grad = self._view, self._requires_grad
        before.grad_fn, before._output_nr = self.grad_fn, self._output_nr
        if self._view is None and self._requires_grad and self.grad_fn is None:
            before = self  # a leaf (only reachable with grad mode off): no history to carry over
        out = fn(before, *args, **kwargs)
        self._data, self._contig = out._data, out._contig
        self._view = out._view if self._view is not None else None
        if out.grad_fn is not None:
            self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        self._vc[0] += 1
        return self
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`Tensor.{name[:-1]}`."
    return method
