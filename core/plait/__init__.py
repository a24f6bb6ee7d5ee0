"""plait: a PyTorch-style deep-learning framework on the Python Array API standard.

``import plait`` gives the Tensor, autograd and the creation/math functions with PyTorch's names.
Compute backends (``plait-numpy``, ``plait-cupy``, third-party ones) and the ``plait.nn``,
``plait.optim`` and ``plait.tensorboard`` packages are separate distributions found through the
``plait`` entry-point group (see :mod:`plait.hookspecs`).
"""
import builtins as _builtins  # this module rebinds bool/float/int/sum/max/... to plait's
import pkgutil as _pkgutil

# plait.nn, plait.optim, ... are installed by other distributions into this package; in development
# (editable installs) they live in other source folders, which extend_path adds.
__path__ = _pkgutil.extend_path(__path__, __name__)

from . import _missing  # noqa: E402,F401  (clear ImportError for absent plugin distributions)
from ._dtype import (dtype, bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64,  # noqa: E402
                     set_default_dtype, get_default_dtype, promote_types, finfo, iinfo)
from .device import device  # noqa: E402
from .hookspecs import hookimpl, hookspec  # noqa: E402
from .tensor import Tensor, Size  # noqa: E402
from . import autograd, backends  # noqa: E402
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode  # noqa: E402
from .creation import (tensor, as_tensor, asarray, from_numpy, from_dlpack, zeros, ones, empty, full,  # noqa: E402
                       zeros_like, ones_like, empty_like, full_like, arange, linspace, logspace, eye, rand,
                       randn, randint, randperm, rand_like, randn_like, randint_like, normal, bernoulli, multinomial,
                       manual_seed, seed, initial_seed, set_default_device, get_default_device)
from .ops.elementwise import (add, sub, subtract, mul, multiply, div, divide, true_divide, floor_divide,  # noqa: E402
                              remainder, fmod, pow, maximum, minimum, atan2, lerp, where, clamp, clip, exp, expm1,
                              log, log2, log10, log1p, sqrt, rsqrt, sin, cos, tan, asin, acos, atan, arcsin, arccos,
                              arctan, sinh, cosh, tanh, sigmoid, reciprocal, erf, neg, negative, abs, relu, square,
                              sign, floor, ceil, round, trunc, fix, eq, ne, lt, le, gt, ge, greater, greater_equal,
                              less, less_equal, not_equal, logical_and, logical_or, logical_xor, logical_not,
                              bitwise_and, bitwise_or, bitwise_xor, bitwise_not, bitwise_left_shift,
                              bitwise_right_shift, isnan, isinf, isfinite, addcmul, addcdiv, nan_to_num, rsub)
from .ops.reduction import (sum, nansum, mean, nanmean, prod, max, min, amax, amin, aminmax, argmax,  # noqa: E402
                            argmin, all, any, var, std, var_mean, std_mean, norm, logsumexp, cumsum, cumprod,
                            count_nonzero)
from .ops.shape import (view, reshape, flatten, unflatten, permute, transpose, swapaxes, swapdims, t,  # noqa: E402
                        movedim, moveaxis, unsqueeze, squeeze, expand_as, broadcast_to, broadcast_shapes,
                        broadcast_tensors, cat, concat, concatenate, stack, hstack, vstack, narrow, select, unbind,
                        split, chunk, tensor_split, flip, fliplr, flipud, roll, tile, repeat_interleave, tril, triu,
                        atleast_1d, atleast_2d, meshgrid)
from .ops.indexing import (gather, scatter, scatter_add, scatter_reduce, index_select, index_add,  # noqa: E402
                           index_fill, masked_fill, masked_select, masked_scatter, nonzero, argwhere, take_along_dim,
                           index_put, index_copy)
from .ops.linalg import (matmul, mm, bmm, mv, dot, inner, vdot, outer, ger, addmm, addmv, baddbmm,  # noqa: E402
                         tensordot, einsum, linear, cdist)
from .ops.activation import softmax, log_softmax, diagonal, diag, trace  # noqa: E402
from .ops.search import searchsorted, bucketize, isin, diff  # noqa: E402
from .creation import tril_indices, triu_indices  # noqa: E402
from . import linalg, random  # noqa: E402
from .random import get_rng_state, set_rng_state  # noqa: E402
from ._printing import set_printoptions  # noqa: E402
from .autograd.gradcheck import gradcheck, gradgradcheck  # noqa: E402
from . import cuda, xpu, mps, accelerator  # noqa: E402
from ._settings import (use_deterministic_algorithms, are_deterministic_algorithms_enabled,  # noqa: E402
                        is_deterministic_algorithms_warn_only_enabled, set_deterministic_debug_mode,
                        get_deterministic_debug_mode, set_float32_matmul_precision, get_float32_matmul_precision,
                        set_num_threads, get_num_threads)
from .serialization import save, load  # noqa: E402
from ._layout import layout, strided, sparse_coo  # noqa: E402
from . import sparse  # noqa: E402  (sparse COO tensors; torch.sparse's functions)
from .sparse import sparse_coo_tensor, spmm  # noqa: E402
from . import utils  # noqa: E402,F401  (plait.utils.data, as torch.utils.data)
from . import distributed  # noqa: E402,F401  (collectives over MPI; mpi4py is imported on init_process_group)
from . import multiprocessing  # noqa: E402,F401  (Python's multiprocessing with shared-memory tensors)
from .utils.data._generator import Generator  # noqa: E402

# torch's aliases for dtypes
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
uint8 = uint8


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return t.is_floating_point()


def is_complex(input):
    return input.is_complex()


def is_signed(input):
    return input.is_signed()


def is_nonzero(input):
    return input.is_nonzero()


def is_same_size(input, other):
    return input.is_same_size(other)


def numel(t):
    return t.numel()


def clone(t):
    return t.clone()


def detach(t):
    return t.detach()


def take(input, index):
    return input.take(index)


def sort(input, dim=-1, descending=False, stable=False):
    from .ops.sorting import sort as _sort
    return _sort(input, dim, descending, stable)


def median(input, dim=None, keepdim=False):
    return _sorting.median(input, dim, keepdim)


def argsort(input, dim=-1, descending=False, stable=False):
    from .ops.sorting import argsort as _argsort
    return _argsort(input, dim, descending, stable)


def topk(input, k, dim=-1, largest=True, sorted=True):
    from .ops.sorting import topk as _topk
    return _topk(input, k, dim, largest, sorted)


def kthvalue(input, k, dim=-1, keepdim=False):
    from .ops.sorting import kthvalue as _kth
    return _kth(input, k, dim, keepdim)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    from .ops.sorting import unique as _unique
    return _unique(input, sorted, return_inverse, return_counts, dim)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _builtins.bool(isclose(input, other, rtol, atol, equal_nan).all().item())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    close = (input - other).abs() <= atol + rtol * (other.abs() if isinstance(other, Tensor) else builtins_abs(other))
    if equal_nan:
        close = close | (input.isnan() & (other.isnan() if isinstance(other, Tensor) else False))
    return close


def equal(input, other):
    return input.shape == other.shape and _builtins.bool((input == other).all().item())


def builtins_abs(x):
    import builtins  # this module's `abs` is plait.abs
    return builtins.abs(x)


def extensions():
    """The plait.<name> packages installed by plugin distributions."""
    return backends.extensions()


FloatTensor = DoubleTensor = HalfTensor = LongTensor = IntTensor = ShortTensor = CharTensor = ByteTensor = \
    BoolTensor = None


class _LegacyTensorType(type):
    """torch's typed tensor classes: ``FloatTensor(2, 3)`` / ``FloatTensor([1, 2])`` construct,
    ``isinstance(t, FloatTensor)`` checks the dtype and ``t.type(FloatTensor)`` converts."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, device=None):
        if len(args) == 1 and not isinstance(args[0], (_builtins.int, Size)):
            return tensor(args[0], dtype=cls.dtype, device=device)
        return zeros(*(args or (0,)), dtype=cls.dtype, device=device)

    def __repr__(cls):
        return f"<class 'plait.{cls.__name__}'>"


def _legacy_constructor(d):
    return _LegacyTensorType(_dtype.LEGACY_NAMES[d], (), {"dtype": d, "__module__": "plait"})


FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor = (
    _legacy_constructor(d) for d in (float32, float64, float16, int64, int32, int16, int8, uint8, bool))

from .ops import sorting as _sorting  # noqa: E402

Tensor.sort = lambda self, dim=-1, descending=False, stable=False: _sorting.sort(self, dim, descending, stable)
Tensor.argsort = lambda self, dim=-1, descending=False, stable=False: _sorting.argsort(self, dim, descending, stable)
Tensor.topk = lambda self, k, dim=-1, largest=True, sorted=True: _sorting.topk(self, k, dim, largest, sorted)
Tensor.kthvalue = lambda self, k, dim=-1, keepdim=False: _sorting.kthvalue(self, k, dim, keepdim)
Tensor.median = lambda self, dim=None, keepdim=False: _sorting.median(self, dim, keepdim)
Tensor.unique = lambda self, sorted=True, return_inverse=False, return_counts=False, dim=None: _sorting.unique(
    self, sorted, return_inverse, return_counts, dim)
Tensor.softmax = lambda self, dim=None, dtype=None: softmax(self, dim, dtype)
Tensor.log_softmax = lambda self, dim=None, dtype=None: log_softmax(self, dim, dtype)
Tensor.diagonal = lambda self, offset=0, dim1=0, dim2=1: diagonal(self, offset, dim1, dim2)
Tensor.diag = lambda self, diagonal=0: diag(self, diagonal)
Tensor.trace = lambda self: trace(self)
Tensor.allclose = lambda self, other, rtol=1e-05, atol=1e-08, equal_nan=False: allclose(self, other, rtol, atol,
                                                                                           equal_nan)
Tensor.isclose = lambda self, other, rtol=1e-05, atol=1e-08, equal_nan=False: isclose(self, other, rtol, atol,
                                                                                         equal_nan)
Tensor.equal = lambda self, other: equal(self, other)
Tensor.to_sparse = sparse.dense_to_sparse
Tensor.to_sparse_coo = lambda self: sparse.dense_to_sparse(self)
Tensor.sparse_mask = sparse.sparse_mask
Tensor.to_dense = lambda self, dtype=None: self if dtype is None else self.to(dtype)

__version__ = "0.1.0"


def __getattr__(name):
    """``plait.nn`` / ``plait.optim`` / ``plait.tensorboard`` (and any plugin's ``plait.<name>``) after a
    bare ``import plait``, as ``torch.nn`` works after ``import torch``: imported on first access, so
    ``import plait`` stays light. ``plait.onnx`` (core, but rarely needed) is found the same way."""
    if name.startswith("__"):
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
    import importlib
    from ._missing import FIRST_PARTY
    if name in ("distributions", "onnx"):  # core subpackages, loaded on first use like torch's
        return importlib.import_module(f"{__name__}.{name}")
    if name in FIRST_PARTY or _builtins.any(ext.get("name") == name for ext in backends.extensions()):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(str(exc)) from exc
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
