"""Whether ops record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` (context managers and
decorators, as in torch). The flag is a plain attribute read on every op."""
import functools
import inspect
import warnings


class _GradState:
    __slots__ = ("enabled",)


state = _GradState()
state.enabled = True


def is_grad_enabled():
    return state.enabled


class _Switch:
    """Sets the grad mode for a ``with`` block and restores it afterwards."""
    __slots__ = ("target", "prev")

    def __init__(self, target):
        self.target = target

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self.target

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False


class _Mode:
    """Base for the grad-mode switches: a context manager, and a decorator when called on a function."""
    _target = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._target

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        return _decorate(self._target, fn)


def _decorate(target, fn):
    """``fn`` run under grad mode ``target``, as torch's ``context_decorator``: a generator function gets the
    mode set each time its body runs (on every resumption) and restored each time it yields."""
    if inspect.isclass(fn):
        warnings.warn("Decorating classes is deprecated and will be disabled in future versions. You should only "
                      "decorate functions or methods. To preserve the current behavior of class decoration, you "
                      "can directly decorate the `__init__` method and nothing else.", FutureWarning, stacklevel=3)
        cls = fn
        fn = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731
    if inspect.isgeneratorfunction(fn):
        return _wrap_generator(target, fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _Switch(target):
            return fn(*args, **kwargs)
    return wrapper


def _wrap_generator(target, fn):
    @functools.wraps(fn)
    def generator_context(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with _Switch(target):
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with _Switch(target):
                        gen.close()
                    raise
                except BaseException as exc:  # thrown in by the caller: pass it on to the generator
                    with _Switch(target):
                        response = gen.throw(exc)
                else:
                    with _Switch(target):
                        response = gen.send(request)
        except StopIteration as e:
            return e.value
    return generator_context


class _NoParamMode(_Mode):
    """Also usable as a bare decorator (``@plait.no_grad``), as in torch 2."""
    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        return self if orig_func is None else self(orig_func)


class no_grad(_NoParamMode):
    _target = False


class enable_grad(_NoParamMode):
    _target = True


class set_grad_enabled(_Mode):
    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self._target = mode
        # like torch, calling it as a plain function switches the mode right away
        self._prev = state.enabled
        state.enabled = mode

    def __enter__(self):
        pass  # already switched in __init__

    def __call__(self, fn):
        state.enabled = self._prev  # used as a decorator: undo the switch made by __init__
        return super().__call__(fn)


class inference_mode(_Mode):
    def __new__(cls, mode=True):
        if mode is None or isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare ``@inference_mode``, as in torch

    def __init__(self, mode=True):
        self._target = not mode
