"""Finite-difference checks of analytical gradients (torch.autograd.gradcheck / gradgradcheck)."""
import itertools


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _unravel(flat, shape):
    idx = []
    for size in reversed(shape):
        idx.append(flat % size)
        flat //= size
    return tuple(reversed(idx))


def _outputs(func, inputs):
    from .. import Tensor
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _numerical_columns(func, inputs, i, eps):
    """Yield, for each element j of input i, d(outputs)/d(x_j) by central differences (flattened)."""
    from .. import no_grad
    x = inputs[i]
    for j in range(x.numel()):
        idx = _unravel(j, x.shape)
        cols = []
        with no_grad():
            base = x.detach()
            orig = base[idx].item()
            plus = base.clone()
            plus[idx] = orig + eps
            minus = base.clone()
            minus[idx] = orig - eps
            out_p = _outputs(func, inputs[:i] + (plus,) + inputs[i + 1:])
            out_m = _outputs(func, inputs[:i] + (minus,) + inputs[i + 1:])
            for op, om in zip(out_p, out_m):
                cols.append(((op.double() - om.double()) / (2 * eps)).reshape(-1).tolist())
        yield cols


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              fast_mode=False, masked=None):
    """Compare the analytical Jacobian (from backward) with central differences for every input that
    requires grad. Inputs should be float64, as in torch."""
    from .. import Tensor, zeros
    from . import grad as autograd_grad
    import warnings
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of "
                         "the them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision "
                          "floating point.", UserWarning)
    outputs = _outputs(func, inputs)
    # analytical: one backward per output element
    analytical = {}  # (out k, input i) -> rows[j_out] = flattened grad of input
    for k, out in enumerate(outputs):
        if not out.dtype.is_floating_point:
            continue
        for e in range(out.numel()):
            go = zeros(out.shape, dtype=out.dtype, device=out.device)
            go[_unravel(e, out.shape)] = 1.0
            grads = autograd_grad(out, [inputs[i] for i in diff], grad_outputs=go, retain_graph=True,
                                  allow_unused=True)
            for i, g in zip(diff, grads):
                row = [0.0] * inputs[i].numel() if g is None else g.double().reshape(-1).tolist()
                analytical.setdefault((k, i), []).append(row)
    for i in diff:
        numerical = {}
        for j, cols in enumerate(_numerical_columns(func, inputs, i, eps)):
            for k, col in enumerate(cols):
                numerical.setdefault(k, []).append(col)
        for k, out in enumerate(outputs):
            if not out.dtype.is_floating_point:
                continue
            rows = analytical.get((k, i), [])
            num_cols = numerical.get(k, [])
            for e, j in itertools.product(range(out.numel()), range(inputs[i].numel())):
                a = rows[e][j]
                n = num_cols[j][e]
                if not abs(a - n) <= atol + rtol * abs(n):
                    msg = (f"Jacobian mismatch for output {k} with respect to input {i},\n"
                           f"at output element {e}, input element {j}: numerical {n!r}, analytical {a!r}\n"
                           f"numerical jacobian: {_fmt(num_cols, transpose=True)}\n"
                           f"analytical jacobian: {_fmt(rows)}")
                    if raise_exception:
                        raise GradcheckError(msg)
                    return False
    return True


def _fmt(rows, transpose=False):
    if transpose and rows:
        rows = [list(r) for r in zip(*rows)]
    return "[" + ", ".join("[" + ", ".join(f"{v:.6g}" for v in r) + "]" for r in rows[:8]) + \
        (" ...]" if len(rows) > 8 else "]")


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **kwargs):
    """Check second derivatives: gradcheck of the function mapping (inputs, grad_outputs) to the
    gradients of ``func`` (computed with create_graph=True)."""
    from .. import randn
    from . import grad as autograd_grad
    inputs = _as_tuple(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        grad_outputs = tuple(randn(o.shape, dtype=o.dtype, device=o.device).requires_grad_() for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    diff = [i for i, x in enumerate(inputs) if getattr(x, "requires_grad", False)]
    n_in = len(inputs)

    def first_grads(*args):
        from .grad_mode import enable_grad
        # the finite differences call this under no_grad with perturbed copies that do not require grad:
        # differentiate with respect to fresh leaves holding those values
        args = tuple(a.detach().requires_grad_() if i in diff and not a.requires_grad else a
                     for i, a in enumerate(args))
        with enable_grad():
            ins, gos = args[:n_in], args[n_in:]
            outs = _outputs(func, ins)
            return autograd_grad(outs, [ins[i] for i in diff], grad_outputs=list(gos), create_graph=True,
                                 allow_unused=True)

    return gradcheck(lambda *a: tuple(g for g in first_grads(*a) if g is not None), inputs + grad_outputs,
                     eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
