"""``plait.Tensor``: a backend array plus autograd metadata.

The tensor keeps a reference to its Backend (resolved once, at creation), so every op reaches the Array
API namespace as ``t._backend.xp`` without any lookup or plugin hook."""
import warnings
import weakref

from . import _dtype, _layout
from .autograd import graph as _graph
from .autograd.grad_mode import state as _grad_state
from .device import device as _device_cls
from .ops import _common
from .ops import elementwise as E, reduction as R, shape as S, indexing as I, linalg as L, inplace as IP
from .ops import search


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")

_DETACH_VIEW = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for "
    "training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() "
    "cannot be called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution.")

# torch's names in the messages of the .grad setter: C++ type names for the gradient, ScalarType names for the tensor
_CPP_NAMES, _SCALAR_NAMES = _dtype.CPP_NAMES, _dtype.SCALAR_NAMES


def _warn_non_leaf_grad():
    """torch's warning on reading the (unset) .grad of a non-leaf (plait's own code reads ``_grad``)."""
    warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=3)


def _check_assigned_grad(t, g):
    """``t.grad = g`` validated as torch's setter does (same checks, same order, same messages)."""
    if g is t:
        raise RuntimeError("can't assign Variable as its own grad")
    if not isinstance(g, Tensor):
        raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                        f"{_graph.type_name_of(g)}")
    if g._dtype is not t._dtype:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{_CPP_NAMES[g._dtype]}' to a tensor with grad_dtype "
            f"'{_SCALAR_NAMES[t._dtype]}'. The gradient must match the tensor's grad_dtype (defaults to the tensor's "
            "dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. "
            "Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break downstream "
            "systems that assume they match.")
    gd, td = g._device, t._device
    if gd.type != td.type:
        raise RuntimeError(f"attempting to assign a gradient with device type '{gd.type}' to a tensor with device "
                           f"type '{td.type}'. Please ensure that the gradient and the tensor are on the same device")
    if g._backend is not t._backend:
        raise RuntimeError("attempting to assign a gradient to a tensor that has data of a different type")
    if gd != td:
        raise RuntimeError(f"attempting to assign a gradient located on device with index '{g.get_device()}' to a "
                           f"tensor located on device with index '{t.get_device()}'. Please ensure that the gradient "
                           "and the tensor are on the same device")
    if g._data.shape != t._data.shape:
        raise RuntimeError(f"attempting to assign a gradient of size '{list(g._data.shape)}' to a tensor of size "
                           f"'{list(t._data.shape)}'. Please ensure that the gradient and the tensor are the same size")


class Size(tuple):
    """``tensor.shape``: a tuple that prints like torch.Size."""
    __slots__ = ()

    def __repr__(self):
        return f"plait.Size([{', '.join(map(str, self))}])"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out


_new = object.__new__


def _make(data, backend, device, dtype=None):
    if not data.shape:  # NumPy gives scalars, not 0-d arrays, from ops on 0-d arrays: keep a writable array
        data = backend.xp.asarray(data)
    t = _new(Tensor)
    t._data = data
    t._backend = backend
    t._device = device
    t._dtype = dtype if dtype is not None else backend.native_to_dtype[data.dtype]
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._vc = [0]
    t._contig = True
    t._hooks = None
    t._grad_acc = None
    t._retains_grad = False
    t._view = None
    return t


class Tensor:
    """A multi-dimensional array on a device, with autograd. Create with ``plait.tensor`` and friends;
    ``plait.Tensor(2, 3)`` / ``plait.Tensor([1, 2])`` behave as torch's legacy constructor (float32)."""
    # _post_acc_hooks is left unset (so _make pays nothing for it) until a post-accumulate-grad hook is registered
    __slots__ = ("_data", "_backend", "_device", "_dtype", "_requires_grad", "_grad", "grad_fn", "_output_nr",
                 "_vc", "_contig", "_hooks", "_grad_acc", "_retains_grad", "_view", "_post_acc_hooks", "__weakref__")
    __array_priority__ = 1000  # NumPy defers binary ops with a tensor to Tensor's reflected methods

    def __new__(cls, *args, device=None, dtype=None):
        from . import creation
        d = dtype or _dtype.default_float.value
        if len(args) == 1 and not isinstance(args[0], (int, Size)):
            data = args[0]
            src = creation.tensor(data, dtype=d, device=device)
        else:
            src = creation.zeros(*(args or (0,)), dtype=d, device=device)
        if cls is Tensor:
            return src
        return Tensor._make_subclass(cls, src, False)

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def _make_subclass(cls, data, require_grad=False):
        """An instance of ``cls`` (a Tensor subclass such as Parameter) sharing ``data``'s memory and version
        counter, as a fresh leaf."""
        t = _new(cls)
        t._data = data._data
        t._backend = data._backend
        t._device = data._device
        t._dtype = data._dtype
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._vc = data._vc
        t._contig = data._contig
        t._hooks = None
        t._grad_acc = None
        t._retains_grad = False
        t._view = None
        if require_grad:
            t.requires_grad_(True)
        return t

    def _alias(self):
        """A new tensor object over the same memory (no history)."""
        t = _make(self._data, self._backend, self._device, self._dtype)
        t._vc = self._vc
        t._contig = self._contig
        return t

    # ------------------------------------------------------------ metadata
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[R.normalize_dims(dim, self._data.ndim)[0]] if self._data.ndim else \
            self._raise_dim(dim)

    def _raise_dim(self, dim):
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")

    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    @property
    def is_xpu(self):
        return self._device.type == "xpu"

    @property
    def is_mps(self):
        return self._device.type == "mps"

    # sparse COO tensors are plait.sparse.SparseCOOTensor, which overrides layout and is_sparse; otherwise plait
    # has only dense, strided tensors holding real values: no meta, sparse CSR, quantized, oneDNN-layout,
    # nested or conjugate/negative-view tensors, and no XLA/IPU/Vulkan/MTIA/MAIA devices
    layout = _layout.strided
    is_meta = is_sparse = is_sparse_csr = is_quantized = is_mkldnn = is_nested = property(lambda self: False)
    is_xla = is_ipu = is_vulkan = is_mtia = is_maia = property(lambda self: False)

    def is_conj(self):
        return False

    def is_neg(self):
        return False

    def is_signed(self):
        return self._dtype.is_signed

    def is_nonzero(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'no values' if n == 0 else 'more than one value'} "
                               "is ambiguous")
        return self.item() != 0

    def is_same_size(self, other):
        return self.shape == other.shape

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        n = 1
        for s in self._data.shape:
            n *= s
        return n

    nelement = numel

    def element_size(self):
        return self._dtype.itemsize

    @property
    def itemsize(self):
        return self._dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self._dtype.itemsize

    def is_floating_point(self):
        return self._dtype.is_floating_point

    def is_complex(self):
        return False

    def is_contiguous(self, memory_format=None):
        return S.is_row_major(self)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    @property
    def data(self):
        """The same memory without history and with its own version counter (torch's ``.data``: in-place
        changes made through it are invisible to autograd's checks)."""
        t = self._alias()
        t._vc = [self._vc[0]]
        return t

    @data.setter
    def data(self, value):
        self._data = value._data
        self._dtype = value._dtype
        self._device = value._device
        self._backend = value._backend
        self._vc = value._vc
        self._contig = value._contig
        self._view = None

    @property
    def _version(self):
        return self._vc[0]

    # ------------------------------------------------------------ autograd
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if requires_grad and not self._dtype.is_floating_point:
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients (got {self._dtype})")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self):
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            _warn_non_leaf_grad()
        return g

    @grad.setter
    def grad(self, g):
        if g is not None:
            _check_assigned_grad(self, g)
        self._grad = g

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        node = self.grad_fn
        if node._pre_hooks is None:
            node._pre_hooks = {}
        node._pre_hooks[("retain", self._output_nr)] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook):
        """``hook(grad) -> None | new grad``, called when this tensor's gradient is computed."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            return _graph._Handle(self._hooks, hook)
        node = self.grad_fn
        if node._pre_hooks is None:
            node._pre_hooks = {}
        return _graph._Handle(node._pre_hooks.setdefault(self._output_nr, []), hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor) -> None``, called on this leaf after its ``.grad`` has been accumulated in a backward
        pass. Returns a handle whose ``remove()`` unregisters the hook."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = getattr(self, "_post_acc_hooks", None)
        if hooks is None:
            hooks = self._post_acc_hooks = []
        return _graph._Handle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from . import autograd
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        return self._alias()

    def detach_(self):
        if self._view is not None:
            raise RuntimeError(_DETACH_VIEW)
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ------------------------------------------------------------ conversion
    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; returns self when nothing changes."""
        dev = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dev, dtype = a._device, a._dtype
            elif isinstance(a, (str, _device_cls)):
                dev = a
            elif a is None:
                continue
            elif isinstance(a, bool):
                continue
            else:
                raise TypeError(f"to() received an invalid combination of arguments: {type(a).__name__}")
        out = self
        if dev is not None:
            from .creation import resolve
            backend, target = resolve(dev)
            if target != self._device:
                out = ToDevice.apply(out, backend, target)
        if dtype is not None and dtype is not out._dtype:
            from .creation import _native
            out = E.Cast.apply(out, _native(out._backend, dtype), out._dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return "plait." + _dtype.LEGACY_NAMES[self._dtype]
        if not isinstance(dtype, _dtype.dtype):  # "plait.FloatTensor", or the class plait.FloatTensor
            name = dtype.split(".")[-1] if isinstance(dtype, str) else getattr(dtype, "__name__", repr(dtype))
            dtype = _dtype.FROM_LEGACY.get(name) or (_dtype.BY_NAME.get(name) if isinstance(dtype, str) else None)
            if dtype is None:
                raise ValueError(f"invalid type: '{name}'")
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other._dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def char(self):
        return self.to(_dtype.int8)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool_)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        if device is None:
            return self.to("cuda")
        return self.to(device if isinstance(device, (str, _device_cls)) else f"cuda:{int(device)}")

    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        if not self._backend.host_accessible:
            if not force:
                raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use Tensor.cpu() to "
                                "copy the tensor to host memory first.")
            return self._backend.to_host(self._data)
        return self._backend.to_host(self._data)

    def __array__(self, dtype=None, copy=None):
        host = self.detach().cpu()._backend.to_host(self.detach().cpu()._data)
        return host if dtype is None else host.astype(dtype)

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def tolist(self):
        if self._data.ndim == 0:
            return self.item()
        return self._backend.to_host(self._data).tolist()

    def item(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
        a = self._data
        if a.ndim:
            a = self._backend.xp.reshape(a, ())
        d = self._dtype
        if d.is_floating_point:
            return float(a)
        if d is _dtype.bool_:
            return bool(a)
        return int(a)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._dtype.is_floating_point or self._dtype is _dtype.bool_:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __repr__(self):
        from ._printing import tensor_str
        return tensor_str(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:  # as torch: a format spec applies to one number only
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __reduce_ex__(self, protocol):
        # host bytes + dtype + shape + device + requires_grad: unpickling needs no array library's pickle support;
        # a tensor in shared memory (share_memory_) pickles as its segment's name, so the receiver maps it
        from .serialization import _tensor_from_bytes, _tensor_from_shared, _tensor_subclass, _tensor_bytes
        meta = (self._dtype.name, tuple(self._data.shape), str(self._device), self._requires_grad)
        handle = self._shared_handle()
        rebuild, args = ((_tensor_from_bytes, (_tensor_bytes(self), *meta)) if handle is None else
                         (_tensor_from_shared, (self._backend.name, handle, *meta)))
        if type(self) is Tensor:
            return rebuild, args
        return _tensor_subclass, (type(self), dict(getattr(self, "__dict__", {})), rebuild, *args)

    def _shared_handle(self):
        handle = getattr(self._backend, "shared_handle", None)
        return None if handle is None else handle(self._data)

    def share_memory_(self):
        """Move this tensor's memory into shared memory (torch's ``share_memory_``): a process it is sent to
        (``plait.multiprocessing``, any start method) maps the same memory, so in-place updates there, e.g.
        a Hogwild optimizer step, are seen here. Tensors already shared and tensors on accelerators are left
        as they are (torch: a no-op for CUDA). Views of the old memory keep the old memory."""
        if self._device.type != "cpu" or self._shared_handle() is not None:
            return self
        share = getattr(self._backend, "share_memory", None)
        if share is None:
            raise RuntimeError(f"share_memory_: backend {self._backend.name!r} cannot place tensors in shared "
                               f"memory (it has no share_memory hook)")
        self._data = share(self._data)
        return self

    def is_shared(self):
        """Whether this tensor's memory is shared with other processes (see ``share_memory_``)."""
        return self._shared_handle() is not None

    def __deepcopy__(self, memo):
        out = self.detach().clone()
        out._requires_grad = self._requires_grad
        if self._grad is not None:
            out._grad = self._grad.detach().clone()
        if type(self) is not Tensor:
            out = Tensor._make_subclass(type(self), out, self._requires_grad)
            attributes = getattr(self, "__dict__", None)
            if attributes:  # a subclass's Python attributes, as torch copies them
                import copy
                out.__dict__.update(copy.deepcopy(attributes, memo))
        memo[id(self)] = out
        return out

    def clone(self, *, memory_format=None):
        return Clone.apply(self)

    def contiguous(self, memory_format=None):
        return S.contiguous(self)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        from .creation import tensor
        return tensor(data, dtype=dtype or self._dtype, device=device or self._device, requires_grad=requires_grad)

    def new(self, *args, device=None):
        """torch's legacy ``Tensor.new``: ``new(data)`` copies data, ``new(*sizes)`` makes a tensor of that
        shape (zero-filled here, uninitialised in torch), ``new()`` an empty one; always of ``self``'s dtype."""
        from .creation import tensor, zeros
        device = device or self._device
        if len(args) == 1 and not isinstance(args[0], (int, Size)):
            return tensor(args[0], dtype=self._dtype, device=device)
        return zeros(*(args or (0,)), dtype=self._dtype, device=device)

    def new_zeros(self, *shape, size=None, dtype=None, device=None, requires_grad=False):
        from .creation import _size_arg, zeros
        return zeros(_size_arg("new_zeros", shape, size), dtype=dtype or self._dtype, device=device or self._device,
                     requires_grad=requires_grad)

    def new_ones(self, *shape, size=None, dtype=None, device=None, requires_grad=False):
        from .creation import _size_arg, ones
        return ones(_size_arg("new_ones", shape, size), dtype=dtype or self._dtype, device=device or self._device,
                   requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        from .creation import full
        return full(size, fill_value, dtype=dtype or self._dtype, device=device or self._device,
                    requires_grad=requires_grad)

    def new_empty(self, *shape, size=None, dtype=None, device=None, requires_grad=False):
        from .creation import _size_arg
        return self.new_zeros(_size_arg("new_empty", shape, size), dtype=dtype, device=device,
                              requires_grad=requires_grad)

    # ------------------------------------------------------------ operators
    def __add__(self, other):
        return E.add(self, other)

    def __radd__(self, other):
        return E.add(self, other)

    def __sub__(self, other):
        return E.sub(self, other)

    def __rsub__(self, other):
        return E.rsub(self, other)

    def __mul__(self, other):
        return E.mul(self, other)

    def __rmul__(self, other):
        return E.mul(self, other)

    def __truediv__(self, other):
        return E.div(self, other)

    def __rtruediv__(self, other):
        return E.div(other, self)

    def __floordiv__(self, other):
        return E.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return E.floor_divide(other, self)

    def __mod__(self, other):
        return E.remainder(self, other)

    def __rmod__(self, other):
        return E.remainder(other, self)

    def __pow__(self, other):
        return E.pow(self, other)

    def __rpow__(self, other):
        return E.pow(other, self)

    def __matmul__(self, other):
        return L.matmul(self, other)

    def __rmatmul__(self, other):
        return L.matmul(other, self)

    def __neg__(self):
        return E.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return E.abs(self)

    def __invert__(self):
        if self._dtype is _dtype.bool_:
            return E.logical_not(self)
        return E.bitwise_not(self)

    def __and__(self, other):
        return E.logical_and(self, other) if self._dtype is _dtype.bool_ else E.bitwise_and(self, other)

    def __or__(self, other):
        return E.logical_or(self, other) if self._dtype is _dtype.bool_ else E.bitwise_or(self, other)

    def __xor__(self, other):
        return E.logical_xor(self, other) if self._dtype is _dtype.bool_ else E.bitwise_xor(self, other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __lshift__(self, other):
        return E.bitwise_left_shift(self, other)

    def __rshift__(self, other):
        return E.bitwise_right_shift(self, other)

    def __rlshift__(self, other):
        return E.bitwise_left_shift(other, self)

    def __rrshift__(self, other):
        return E.bitwise_right_shift(other, self)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    def __eq__(self, other):
        return E.eq(self, other)

    def __ne__(self, other):
        return E.ne(self, other)

    def __lt__(self, other):
        return E.lt(self, other)

    def __le__(self, other):
        return E.le(self, other)

    def __gt__(self, other):
        return E.gt(self, other)

    def __ge__(self, other):
        return E.ge(self, other)

    def __getitem__(self, key):
        return I.getitem(self, key)

    def __setitem__(self, key, value):
        I.setitem(self, key, value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # ------------------------------------------------------------ properties
    @property
    def T(self):
        return self.permute(tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                               f"{self.ndim}-D tensor.")
        return S.transpose(self, -2, -1)

    @property
    def H(self):
        return self.T

    @property
    def mH(self):
        return self.mT

    def get_device(self):
        return -1 if self._device.index is None else self._device.index


class Clone(_graph.Op):
    def forward(self, x):
        return self.xp.asarray(x, copy=True)

    def backward(self, g):
        return g


class ToDevice(_graph.Op):
    """A copy to another device (possibly another backend); the gradient travels back."""
    def forward(self, x, backend, target):
        self.src_device = None
        host = self.backend.to_host(x)
        if self.backend.shares_host_memory:
            # to_host gave a view of x's memory, which the target (a CPU backend) may keep: copy, so the new
            # tensor never aliases the old one (found by plait-torch: numpy <-> torch transfers shared memory)
            host = host.copy()
        return backend.from_host(host, target)

    def backward(self, g):
        return g.to(self.src), None, None

    @classmethod
    def apply(cls, x, backend, target):
        node = object.__new__(cls)
        node.xp = x._backend.xp
        node.backend = x._backend
        node.src = x._device
        data = node.forward(x._data, backend, target)
        out = _make(data, backend, target, x._dtype)
        if _grad_state.enabled and x._requires_grad:
            node.next_functions = (_graph.edge_of(x),)
            node._grad_positions = (0,)
            node._shapes = (data.shape,)
            node._saved = None
            node._saved_out = None
            out._requires_grad = True
            out.grad_fn = node
        return out

    def _name(self):
        return "ToCopyBackward0"


# ---------------------------------------------------------------- methods from the op modules
def _method(fn):
    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    m.__name__ = fn.__name__ if hasattr(fn, "__name__") else "method"
    m.__doc__ = getattr(fn, "__doc__", None)
    return m


_METHODS = {
    # elementwise
    "add": E.add, "sub": E.sub, "subtract": E.sub, "mul": E.mul, "multiply": E.mul, "div": E.div,
    "divide": E.div, "true_divide": E.div, "floor_divide": E.floor_divide, "remainder": E.remainder,
    "fmod": E.fmod, "pow": E.pow, "maximum": E.maximum, "minimum": E.minimum, "atan2": E.atan2, "lerp": E.lerp,
    "clamp": E.clamp, "clip": E.clamp, "exp": E.exp, "expm1": E.expm1, "log": E.log, "log2": E.log2,
    "log10": E.log10, "log1p": E.log1p, "sqrt": E.sqrt, "rsqrt": E.rsqrt, "sin": E.sin, "cos": E.cos,
    "tan": E.tan, "asin": E.asin, "acos": E.acos, "atan": E.atan, "arcsin": E.asin, "arccos": E.acos,
    "arctan": E.atan, "sinh": E.sinh, "cosh": E.cosh, "tanh": E.tanh, "sigmoid": E.sigmoid, "relu": E.relu,
    "reciprocal": E.reciprocal, "erf": E.erf, "neg": E.neg, "negative": E.neg, "abs": E.abs,
    "absolute": E.abs, "square": E.square, "sign": E.sign, "floor": E.floor, "ceil": E.ceil, "round": E.round,
    "trunc": E.trunc, "fix": E.trunc, "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt, "ge": E.ge,
    "greater": E.gt, "greater_equal": E.ge, "less": E.lt, "less_equal": E.le, "not_equal": E.ne,
    "logical_and": E.logical_and, "logical_or": E.logical_or, "logical_xor": E.logical_xor,
    "logical_not": E.logical_not, "bitwise_not": E.bitwise_not, "bitwise_left_shift": E.bitwise_left_shift,
    "bitwise_right_shift": E.bitwise_right_shift, "isnan": E.isnan, "isinf": E.isinf,
    "isfinite": E.isfinite, "addcmul": E.addcmul, "addcdiv": E.addcdiv, "nan_to_num": E.nan_to_num,
    "where": lambda self, cond, other: E.where(cond, self, other),
    # reductions
    "sum": R.sum, "nansum": R.nansum, "mean": R.mean, "nanmean": R.nanmean, "prod": R.prod, "max": R.max,
    "min": R.min, "amax": R.amax, "amin": R.amin, "aminmax": R.aminmax, "argmax": R.argmax, "argmin": R.argmin,
    "all": R.all, "any": R.any, "std": R.std, "var": R.var, "norm": R.norm, "logsumexp": R.logsumexp,
    "cumsum": R.cumsum, "cumprod": R.cumprod, "count_nonzero": R.count_nonzero,
    # shape
    "view": S.view, "reshape": S.reshape, "flatten": S.flatten, "unflatten": S.unflatten, "permute": S.permute,
    "transpose": S.transpose, "swapaxes": S.transpose, "swapdims": S.transpose, "t": S.t, "movedim": S.movedim,
    "moveaxis": S.movedim, "unsqueeze": S.unsqueeze, "squeeze": S.squeeze, "expand": S.expand,
    "expand_as": S.expand_as, "broadcast_to": S.broadcast_to, "narrow": S.narrow, "select": S.select,
    "unbind": S.unbind, "split": S.split, "chunk": S.chunk, "tensor_split": S.tensor_split, "flip": S.flip,
    "fliplr": S.fliplr, "flipud": S.flipud, "roll": S.roll, "repeat": S.repeat, "tile": S.tile,
    "repeat_interleave": S.repeat_interleave, "tril": S.tril, "triu": S.triu,
    "view_as": lambda self, other: S.view(self, other.shape),
    "reshape_as": lambda self, other: S.reshape(self, other.shape),
    # indexing
    "gather": I.gather, "scatter": I.scatter, "scatter_add": I.scatter_add, "scatter_reduce": I.scatter_reduce,
    "index_select": I.index_select, "index_add": I.index_add, "index_fill": I.index_fill,
    "masked_fill": I.masked_fill, "masked_select": I.masked_select, "masked_scatter": I.masked_scatter,
    "nonzero": I.nonzero, "argwhere": I.argwhere, "take_along_dim": I.take_along_dim, "index_put": I.index_put,
    "index_copy": I.index_copy, "diff": search.diff,
    "take": lambda self, index: I.take(self.reshape(-1), index, 0),
    # linalg
    "matmul": L.matmul, "mm": L.mm, "bmm": L.bmm, "mv": L.mv, "dot": L.dot, "inner": L.dot, "outer": L.outer,
    "ger": L.outer, "addmm": L.addmm, "addmv": L.addmv, "baddbmm": L.baddbmm,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _method(_fn))

_INPLACE = {
    "add_": E.add, "sub_": E.sub, "subtract_": E.sub, "mul_": E.mul, "multiply_": E.mul, "div_": E.div,
    "divide_": E.div, "true_divide_": E.div, "floor_divide_": E.floor_divide, "remainder_": E.remainder,
    "fmod_": E.fmod, "pow_": E.pow, "clamp_": E.clamp, "clip_": E.clamp, "lerp_": E.lerp, "exp_": E.exp,
    "expm1_": E.expm1, "log_": E.log, "log2_": E.log2, "log10_": E.log10, "log1p_": E.log1p, "sqrt_": E.sqrt,
    "rsqrt_": E.rsqrt, "sin_": E.sin, "cos_": E.cos, "tan_": E.tan, "tanh_": E.tanh, "sigmoid_": E.sigmoid,
    "relu_": E.relu, "reciprocal_": E.reciprocal, "neg_": E.neg, "negative_": E.neg, "abs_": E.abs,
    "square_": E.square, "sign_": E.sign, "floor_": E.floor, "ceil_": E.ceil, "round_": E.round,
    "trunc_": E.trunc, "addcmul_": E.addcmul, "addcdiv_": E.addcdiv, "masked_fill_": I.masked_fill,
    "scatter_": I.scatter, "scatter_add_": I.scatter_add, "index_add_": I.index_add, "index_fill_": I.index_fill,
    "masked_scatter_": I.masked_scatter, "index_put_": I.index_put, "index_copy_": I.index_copy,
    "nan_to_num_": E.nan_to_num, "erf_": E.erf, "atan2_": E.atan2,
    "maximum_": E.maximum, "minimum_": E.minimum, "tril_": S.tril, "triu_": S.triu,
    "logical_not_": E.logical_not, "bitwise_left_shift_": E.bitwise_left_shift,
    "bitwise_right_shift_": E.bitwise_right_shift, "eq_": E.eq, "ne_": E.ne, "lt_": E.lt, "le_": E.le, "gt_": E.gt,
    "ge_": E.ge,
}
for _name, _fn in _INPLACE.items():
    setattr(Tensor, _name, IP.make_inplace(_fn, _name))

def _t_for_inplace(x):
    if x.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return S.t(x)


for _name, _fn in {"unsqueeze_": S.unsqueeze, "squeeze_": S.squeeze, "t_": _t_for_inplace, "transpose_": S.transpose,
                   "swapaxes_": S.transpose, "swapdims_": S.transpose}.items():
    setattr(Tensor, _name, IP.make_shape_inplace(_fn, _name))

def _multinomial(self, num_samples, replacement=False, *, generator=None):
    from .creation import multinomial
    return multinomial(self, num_samples, replacement, generator=generator)


Tensor.multinomial = _multinomial

for _name in ("fill_", "zero_", "copy_", "uniform_", "normal_", "bernoulli_", "random_", "exponential_"):
    setattr(Tensor, _name, getattr(IP, _name))


def _clamp_min(self, min):
    return E.clamp(self, min=min)


def _clamp_max(self, max):
    return E.clamp(self, max=max)


Tensor.clamp_min = _clamp_min
Tensor.clamp_max = _clamp_max
Tensor.clamp_min_ = IP.make_inplace(_clamp_min, "clamp_min_")
Tensor.clamp_max_ = IP.make_inplace(_clamp_max, "clamp_max_")

_graph._make = _make
_graph.Tensor = Tensor
_graph.refresh_view = IP.refresh_view
_common._install(Tensor)
E.Tensor = R.Tensor = S.Tensor = I.Tensor = L.Tensor = IP.Tensor = search.Tensor = Tensor
