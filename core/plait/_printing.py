"""torch-identical tensor printing (``tensor([[1., 2.]], requires_grad=True)``)."""
import math

from . import _dtype


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, math.inf, 3, 80
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def type_name(t):
    return "plait." + _dtype.LEGACY_NAMES[t.dtype]


class _Formatter:
    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        if not floating:
            for v in values:
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = [v for v in values if math.isfinite(v) and v != 0]
        if not finite:  # torch sizes nothing here: zeros, nan and inf print unpadded
            return
        absvals = [abs(v) for v in finite]
        lo, hi = min(absvals), max(absvals)
        self.int_mode = all(v == math.ceil(v) for v in finite)
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if PRINT_OPTS.sci_mode is None \
            else PRINT_OPTS.sci_mode  # a forced mode also decides the widths, as in torch
        if self.sci_mode:
            widths = [len(f"{v:.{p}e}") for v in finite]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in finite]
        else:
            widths = [len(f"{v:.{p}f}") for v in finite]
        self.max_width = max([self.max_width] + widths)
        # as in torch, nan/inf take no part in the width (they are right-aligned to it, or overflow it)

    def _plain(self, v):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.0f}." if v == math.ceil(v) else f"{v:.{PRINT_OPTS.precision}f}"

    def format(self, v):
        p = PRINT_OPTS.precision
        if self.floating:
            if not math.isfinite(v):
                ret = self._plain(v)
            elif self.sci_mode:
                ret = f"{v:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{v:.0f}."
            else:
                ret = f"{v:.{p}f}"
        else:
            ret = str(v)
        return (self.max_width - len(ret)) * " " + ret


def _flatten(nested):
    stack, out = [nested], []
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def _summarize_list(nested, ndim, edge):
    """Keep ``edge`` items at both ends of every dimension (torch's get_summarized_data)."""
    if ndim == 0:
        return nested
    if len(nested) > 2 * edge:
        nested = nested[:edge] + nested[-edge:]
    if ndim == 1:
        return nested
    return [_summarize_list(n, ndim - 1, edge) for n in nested]


def _host_nested(t, summarize):
    """The tensor's values as nested lists; when summarizing, only the edge items (keeps printing cheap)."""
    from .ops.shape import cat
    from .autograd.grad_mode import _Switch
    edge = PRINT_OPTS.edgeitems
    with _Switch(False):
        x = t.detach()
        if summarize:
            for d in range(x.ndim):
                n = x.shape[d]
                if n > 2 * edge:
                    x = cat([x.narrow(d, 0, edge), x.narrow(d, n - edge, edge)], d)
        return x.tolist(), (x.shape if summarize else t.shape)


def _vector_str(values, full_len, indent, summarize, fmt):
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    edge = PRINT_OPTS.edgeitems
    if summarize and full_len > 2 * edge:
        data = [fmt.format(v) for v in values[:edge]] + [" ..."] + [fmt.format(v) for v in values[-edge:]]
    else:
        data = [fmt.format(v) for v in values]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values, shape, indent, summarize, fmt):
    dim = len(shape)
    if dim == 0:
        return fmt.format(values)
    if dim == 1:
        return _vector_str(values, shape[0], indent, summarize, fmt)
    edge = PRINT_OPTS.edgeitems
    if summarize and shape[0] > 2 * edge:
        slices = [_nested_str(v, shape[1:], indent + 1, summarize, fmt) for v in values[:edge]] + ["..."] + \
            [_nested_str(v, shape[1:], indent + 1, summarize, fmt) for v in values[-edge:]]
    else:
        slices = [_nested_str(v, shape[1:], indent + 1, summarize, fmt) for v in values]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(tensor_str, suffixes, indent, force_newline):
    parts = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if force_newline or last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
            force_newline = False
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def autograd_suffixes(t):
    if t.grad_fn is not None:
        return [f"grad_fn=<{t.grad_fn.name()}>"]
    return ["requires_grad=True"] if t.requires_grad else []


def tensor_str(t, prefix="tensor(", inner=False):
    """``inner``: a sparse tensor's indices/values, whose device, dtype and autograd state the outer one prints."""
    indent = len(prefix)
    suffixes = []
    if t._device.type != "cpu" and not inner:
        suffixes.append(f"device='{t._device}'")
    implicit = t.dtype in (_dtype.default_float.value, _dtype.int64, _dtype.bool_)
    if t.numel() == 0:
        body = "[]"
        if t.shape != (0,) or inner:
            suffixes.append(f"size={tuple(t.shape)}")
        if t.dtype is not _dtype.default_float.value and not inner:
            suffixes.append(f"dtype={t.dtype!r}")
    else:
        summarize = t.numel() > PRINT_OPTS.threshold
        nested, _ = _host_nested(t, summarize)
        floating = t.dtype.is_floating_point
        flat = _flatten(nested) if isinstance(nested, list) else [nested]
        fmt = _Formatter(flat, floating)
        body = _nested_str(nested, t.shape, indent, summarize, fmt)
        if not implicit and not inner:
            suffixes.append(f"dtype={t.dtype!r}")
    if not inner:
        suffixes.extend(autograd_suffixes(t))
    return _add_suffixes(prefix + body, suffixes, indent, force_newline=False)
