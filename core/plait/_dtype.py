"""plait's dtypes, with PyTorch's names, and torch's type-promotion rules.

A dtype here is a plain Python object; each backend maps it to its own namespace's dtype once, when
the backend is loaded (``Backend.dtype_to_native`` / ``native_to_dtype``).
"""


class dtype:
    __slots__ = ("name", "itemsize", "is_floating_point", "is_signed", "_category", "_rank")

    def __init__(self, name, itemsize, category, rank, is_signed):
        self.name = name
        self.itemsize = itemsize
        self._category = category  # 0 bool, 1 integer, 2 floating
        self._rank = rank
        self.is_floating_point = category == 2
        self.is_signed = is_signed

    @property
    def is_complex(self):
        return False

    def to_real(self):
        return self

    def __repr__(self):
        return "plait." + self.name

    def __reduce__(self):
        return self.name  # pickles as the module-level singleton of the same name


bool_ = dtype("bool", 1, 0, 0, False)
uint8 = dtype("uint8", 1, 1, 1, False)
int8 = dtype("int8", 1, 1, 2, True)
int16 = dtype("int16", 2, 1, 3, True)
int32 = dtype("int32", 4, 1, 4, True)
int64 = dtype("int64", 8, 1, 5, True)
float16 = dtype("float16", 2, 2, 6, True)
float32 = dtype("float32", 4, 2, 7, True)
float64 = dtype("float64", 8, 2, 8, True)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
BY_NAME = {d.name: d for d in ALL}
BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
                "short": int16, "bool_": bool_})
# torch's legacy type strings, for Tensor.type()
LEGACY_NAMES = {float32: "FloatTensor", float64: "DoubleTensor", float16: "HalfTensor", int64: "LongTensor",
                int32: "IntTensor", int16: "ShortTensor", int8: "CharTensor", uint8: "ByteTensor",
                bool_: "BoolTensor"}
FROM_LEGACY = {v: k for k, v in LEGACY_NAMES.items()}


class _DefaultDtype:
    __slots__ = ("value",)


default_float = _DefaultDtype()
default_float.value = float32


def set_default_dtype(d):
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d!r}")
    default_float.value = d


def get_default_dtype():
    return default_float.value


def _promote_pair(a, b):
    """Promotion of two dtypes that both take part fully (torch.promote_types)."""
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    if a._category == 1 and (a is uint8 or b is uint8):
        other = b if a is uint8 else a
        # uint8 with a signed type: the signed type must hold 0..255
        return int16 if other is int8 else other
    return a if a._rank > b._rank else b


promote_types = _promote_pair

_SCALAR_CATEGORY = {bool: 0, int: 1, float: 2}


def scalar_category(value):
    t = type(value)
    c = _SCALAR_CATEGORY.get(t)
    if c is None:
        if isinstance(value, bool):
            return 0
        if isinstance(value, int):
            return 1
        if isinstance(value, float):
            return 2
        raise TypeError(f"expected a Tensor or a Python number, but got {type(value).__name__}")
    return c


def default_for_category(category):
    return (bool_, int64, default_float.value)[category]


def result_type_scalar(d, value):
    """dtype of ``tensor(d) op python_scalar``: the scalar only matters if it is of a higher category."""
    c = scalar_category(value)
    if c > d._category:
        return default_for_category(c)
    return d


def result_type_tensors(da, a_dim0, db, b_dim0):
    """torch's rule for two tensors: a zero-dim tensor only decides the dtype when its category is higher
    than that of a dimensioned one."""
    if da is db:
        return da
    if a_dim0 == b_dim0:
        return _promote_pair(da, db)
    if a_dim0:  # a is the zero-dim one
        return _promote_pair(da, db) if da._category > db._category else db
    return _promote_pair(da, db) if db._category > da._category else da


def infer_python_dtype(data):
    """dtype torch.tensor() infers for (nested) Python data: bool < int64 < default float."""
    category = -1
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        if isinstance(item, bool):
            c = 0
        elif isinstance(item, int):
            c = 1
        elif isinstance(item, float):
            c = 2
        elif hasattr(item, "dtype") and hasattr(item, "shape"):
            return None  # contains arrays/tensors: let the caller decide
        else:
            raise TypeError(f"Could not infer dtype of {type(item).__name__}")
        if c > category:
            category = c
            if c == 2:
                break
    return default_for_category(category) if category >= 0 else default_float.value


class finfo:
    """Machine limits of a floating dtype (torch.finfo)."""
    _TABLE = {"float16": (2, 5, 10, 6.103515625e-05, 65504.0, 0.0009765625, 3),
              "float32": (4, 8, 23, 1.1754943508222875e-38, 3.4028234663852886e38, 1.1920928955078125e-07, 6),
              "float64": (8, 11, 52, 2.2250738585072014e-308, 1.7976931348623157e308, 2.220446049250313e-16, 15)}

    def __init__(self, type=None):
        d = default_float.value if type is None else type
        if not isinstance(d, dtype) or not d.is_floating_point:
            raise TypeError(f"finfo() requires a floating point input type, got {d!r}")
        self.dtype = d.name
        self.bits, _, _, self.tiny, self.max, self.eps, self.precision = (8 * self._TABLE[d.name][0],
                                                                           *self._TABLE[d.name][1:])
        self.smallest_normal = self.tiny
        self.min = -self.max
        self.resolution = 10.0 ** -self.precision

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (torch.iinfo)."""

    def __init__(self, type):
        if not isinstance(type, dtype) or type.is_floating_point:
            raise TypeError(f"iinfo() requires an integer input type, got {type!r}")
        self.dtype = type.name
        self.bits = 8 * type.itemsize
        if type is bool_:
            self.min, self.max = 0, 1
        elif type.is_signed:
            self.min, self.max = -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        else:
            self.min, self.max = 0, (1 << self.bits) - 1

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


CPP_NAMES = {  # torch's C++ type names, as its messages print them
    bool_: "bool", uint8: "unsigned char", int8: "signed char", int16: "short int", int32: "int", int64: "long int",
    float16: "c10::Half", float32: "float", float64: "double"}
SCALAR_NAMES = {  # torch's ScalarType names (Float, Long...)
    bool_: "Bool", uint8: "Byte", int8: "Char", int16: "Short", int32: "Int", int64: "Long", float16: "Half",
    float32: "Float", float64: "Double"}
