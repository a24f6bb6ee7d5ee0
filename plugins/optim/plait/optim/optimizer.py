"""The ``Optimizer`` base class (torch.optim.Optimizer's contract) and the helpers its subclasses share."""
import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import plait

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks a hyper-parameter that every parameter group must set itself."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_step_pre_hooks = OrderedDict()
_global_step_post_hooks = OrderedDict()


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks_dict):
        self._hooks_dict = hooks_dict
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks_dict, hook, prepend=False):
    handle = RemovableHandle(hooks_dict)
    hooks_dict[handle.id] = hook
    if prepend:
        hooks_dict.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook):
    """Register a pre-step hook common to all optimizers: ``hook(optimizer, args, kwargs) -> None or (args, kwargs)``."""
    return _add_hook(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Register a post-step hook common to all optimizers: ``hook(optimizer, args, kwargs) -> None``."""
    return _add_hook(_global_step_post_hooks, hook)


def _wrap_step(step):
    """Run the step hooks around a subclass's ``step`` and record that it ran (for the schedulers' order check)."""

    @functools.wraps(step)
    def hooked_step(self, *args, **kwargs):
        # A subclass whose step calls super().step() must not run the hooks twice.
        if self.__dict__.get("_in_hooked_step", False):
            return step(self, *args, **kwargs)
        self._in_hooked_step = True
        try:
            for hook in chain(_global_step_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{hook} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
            out = step(self, *args, **kwargs)
            self._opt_called = True
            for hook in chain(self._optimizer_step_post_hooks.values(), _global_step_post_hooks.values()):
                hook(self, args, kwargs)
            return out
        finally:
            self._in_hooked_step = False

    hooked_step._plait_hooked = True
    return hooked_step


def _no_grad_step(step):
    """Parameter and state updates must not be recorded by autograd; the closure re-enables it itself."""

    @functools.wraps(step)
    def step_without_grad(self, *args, **kwargs):
        with plait.no_grad():
            return step(self, *args, **kwargs)

    return step_without_grad


def _typename(obj):
    if isinstance(obj, plait.Tensor):
        return "plait.Tensor"
    return type(obj).__module__ + "." + type(obj).__qualname__


class Optimizer:
    r"""Base class for all optimizers.

    Args:
        params (iterable): an iterable of :class:`plait.Tensor` s, of ``(name, Tensor)`` pairs, or of
            dicts. Dicts define parameter groups: their ``"params"`` entry holds the tensors and any other
            entry overrides the matching value of ``defaults`` for that group.
        defaults (dict): default values of the optimization options, used by groups that don't set them.

    Subclasses implement ``_step_group(group)``, their update rule for one parameter group, and inherit
    ``step(closure=None)``; one whose step has another contract (LBFGS) overrides ``step`` itself. Either
    way the base class runs the registered step hooks around it.
    """

    # Every non-scalar state tensor of these optimizers has its parameter's shape, which lets
    # load_state_dict reject a state dict saved for another parameter layout before touching anything.
    _state_shaped_like_params = True
    # Bookkeeping scalars (step counters and the like) keep their own dtype when loaded, instead of taking
    # the parameter's: torch does this for "step" only, and a subclass with more such scalars names them
    # here so that a resumed run continues bit for bit.
    _scalar_state_keys = ("step",)
    # Whether those scalars live on the parameter's device (always moved there on load) rather than on
    # the host (moved only for capturable or fused groups).
    _scalar_state_on_param_device = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_plait_hooked", False):
            cls.step = _wrap_step(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()

        if isinstance(params, plait.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))

        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]

        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        # Groups saved by an older version lack the options added since; they get today's defaults.
        for group in self.param_groups:
            for key, default in self.defaults.items():
                if default is not required:
                    group.setdefault(key, default)

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ------------------------------------------------------------------ parameter groups
    def add_param_group(self, param_group):
        """Add a param group to the optimizer's ``param_groups``.

        Useful when fine tuning a pre-trained network: frozen layers can be made trainable and added to
        the optimizer as training progresses.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")

        params = param_group["params"]
        if isinstance(params, plait.Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, plait.Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
            if not param.dtype.is_floating_point:
                raise ValueError(f"optimizer can only optimize Tensors of floating point dtype, "
                                 f"but one of the params is of dtype {param.dtype}")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; "
                          "see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)

        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                current = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {current} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ stepping
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): a closure that reevaluates the model and returns the loss.
        """
        loss = None
        if closure is not None:
            with plait.enable_grad():
                loss = closure()

        for group in self.param_groups:
            self._step_group(group)

        return loss

    # __init_subclass__ wraps only the subclasses' own steps, so the shared one is wrapped here.
    step = _wrap_step(_no_grad_step(step))

    def _step_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} must implement _step_group(group) or step(closure)")

    def _state_for(self, p, group):
        """``p``'s state, created by ``_initial_state`` on its first step.

        Creation is lazy so that a group added after construction gets its state on its first step too.
        """
        state = self.state[p]
        if len(state) == 0:
            state.update(self._initial_state(p, group))
        return state

    def _initial_state(self, p, group):
        raise NotImplementedError(f"{type(self).__name__} keeps per-parameter state but defines no _initial_state")

    def _stepped_params(self, group):
        """Yield ``(p, state, step)`` for each parameter of ``group`` that has a gradient, its step
        counter already advanced to this step's number."""
        for p in _params_with_grad(group):
            state = self._state_for(p, group)
            yield p, state, _advance_step(state)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none (bool): instead of filling the gradients with zeros, set them to ``None``
                (the default). Saves memory, and lets an optimizer skip parameters that got no gradient.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    grad = p.grad
                    if grad.grad_fn is not None:
                        grad = grad.detach()
                        p.grad = grad
                    else:
                        grad.requires_grad_(False)
                    grad.zero_()

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, called before each step."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None``, called after each step."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer) -> None``, called before ``state_dict()`` builds its result."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> state_dict or None``, called on ``state_dict()``'s result."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> state_dict or None``, called before ``load_state_dict``."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer) -> None``, called after ``load_state_dict``."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dict
    def state_dict(self):
        """Return the optimizer's state as a dict, in torch's layout.

        ``state`` maps each parameter's index (its position counting through all groups in order) to its
        per-parameter state; ``param_groups`` lists the groups' options, with ``params`` replaced by those
        indices. The tensors are the live state tensors, not copies: save (or clone) them before stepping on.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)

        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start_index):
                param_mappings.setdefault(id(p), i)
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, plait.Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}

        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def _cast_state_value(self, param, value, group, key=None):
        """Move a loaded state tensor to its parameter's device (and floating dtype), as a fresh tensor.

        The result never aliases the loaded tensor: two optimizers loaded from one in-memory state dict
        (or an optimizer and the dict it was loaded from) must not step each other's state.
        """
        if isinstance(value, plait.Tensor):
            if key in self._scalar_state_keys:
                special = group.get("capturable", False) or group.get("fused", False)
                if key == "step" and special:
                    cast = value.to(dtype=plait.float32, device=param.device)
                elif special or self._scalar_state_on_param_device:
                    cast = value.to(device=param.device)
                else:
                    cast = value
            elif param.dtype.is_floating_point and value.dtype.is_floating_point:
                cast = value.to(dtype=param.dtype, device=param.device)
            else:
                cast = value.to(device=param.device)
            return cast.clone() if cast is value else cast
        if isinstance(value, dict):
            return {k: self._cast_state_value(param, v, group, key=k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._cast_state_value(param, v, group) for v in value)
        return value

    def _check_state_layout(self, param, index, param_state):
        if not self._state_shaped_like_params or not isinstance(param_state, dict):
            return
        for key, value in param_state.items():
            if isinstance(value, plait.Tensor) and value.ndim > 0 and tuple(value.shape) != tuple(param.shape):
                raise ValueError(
                    f"loaded state dict has a state entry '{key}' of shape {tuple(value.shape)} for parameter "
                    f"{index}, which doesn't match the parameter's shape {tuple(param.shape)}")

    def load_state_dict(self, state_dict):
        """Load the optimizer state from ``state_dict`` (as returned by :meth:`state_dict`).

        The dict is checked against this optimizer's groups first (number of groups, their sizes, the
        shapes of per-parameter state); on a mismatch a ``ValueError`` is raised and nothing is changed.
        """
        # shallow copy, so that hooks may edit it without touching the caller's dict
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result

        groups = self.param_groups
        # deep copy: group options (e.g. a list of betas) must not be shared with the caller's dict
        saved_groups = deepcopy(state_dict["param_groups"])

        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        param_lens = (len(g["params"]) for g in groups)
        saved_lens = (len(g["params"]) for g in saved_groups)
        if any(p_len != s_len for p_len, s_len in zip(param_lens, saved_lens)):
            raise ValueError("loaded state dict contains a parameter group "
                             "that doesn't match the size of optimizer's group")

        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        group_of_index = {}
        for saved, group in zip(saved_groups, groups):
            for index in saved["params"]:
                group_of_index[index] = group
        for k, v in state_dict["state"].items():
            if k in id_map:
                self._check_state_layout(id_map[k], k, v)

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast_state_value(param, v, group_of_index[k])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


# ---------------------------------------------------------------------- helpers for the subclasses
def _check_hyper_parameters(lr=None, eps=None, weight_decay=None, betas=None, momentum=None):
    """Range checks shared by the optimizers, with torch's messages."""
    if lr is not None and not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if betas is not None:
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if momentum is not None and not 0.0 <= momentum:
        raise ValueError(f"Invalid momentum value: {momentum}")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _check_implementation_flags(differentiable=False, fused=None):
    """plait has one implementation per optimizer: the single-tensor one, with updates outside autograd."""
    if differentiable:
        raise ValueError("differentiable=True is not supported by plait.optim: "
                         "optimizer steps are never recorded by autograd")
    if fused:
        raise RuntimeError("`fused=True` is not supported by plait.optim: it has no fused kernels; "
                           "leave fused unset (the default implementation gives the same results)")


def _scalar_dtype():
    # torch keeps step counters (and NAdam's mu_product) in the default float dtype when that is float64
    return plait.float64 if plait.get_default_dtype() == plait.float64 else plait.float32


def _new_step(param, group):
    """A zero step counter; torch keeps it on the host unless the group is capturable."""
    if group.get("capturable", False):
        return plait.zeros((), dtype=_scalar_dtype(), device=param.device)
    return plait.tensor(0.0, dtype=_scalar_dtype())


def _advance_step(state):
    """Count one more step in ``state['step']`` and return the new count as a Python number."""
    step_t = state["step"]
    if isinstance(step_t, plait.Tensor):
        step_t.add_(1)
        return step_t.item()
    state["step"] = step_t + 1
    return state["step"]


def _effective_grad(param, grad, weight_decay, maximize):
    """The gradient the update rules see: negated to maximize, plus the L2 penalty's gradient."""
    if maximize:
        grad = grad.neg()
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    return grad


def _decay_weights(param, lr, weight_decay):
    """Decoupled weight decay (AdamW): shrink the parameter itself instead of adding to the gradient."""
    if weight_decay != 0:
        param.mul_(1 - lr * weight_decay)


def _maybe_decoupled_grad(param, group):
    """The effective gradient of the Adam family, whose weight decay is decoupled (applied to the
    parameter, AdamW style) when the group says so, and an L2 term in the gradient otherwise."""
    if group["decoupled_weight_decay"]:
        _decay_weights(param, group["lr"], group["weight_decay"])
        return _effective_grad(param, param.grad, 0, group["maximize"])
    return _effective_grad(param, param.grad, group["weight_decay"], group["maximize"])


def _new_moment_state(p, group):
    """The state Adam and RAdam start from: a step counter and zeroed running averages."""
    return {"step": _new_step(p, group), "exp_avg": plait.zeros_like(p), "exp_avg_sq": plait.zeros_like(p)}


def _update_moments(state, grad, beta1, beta2):
    """Adam's running averages of the gradient and of its square; returns both."""
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    return exp_avg, exp_avg_sq


def _params_with_grad(group):
    for p in group["params"]:
        if p.grad is not None:
            yield p
