"""``Categorical``: one of K categories per batch element, from ``probs`` (normalised along the last dim) or
``logits`` (unnormalised log-probabilities)."""
import math

from .. import _dtype
from ..autograd.grad_mode import no_grad
from ..tensor import Size, Tensor
from .distribution import Distribution, float_eps


class IntegerInterval:
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound) & (value <= self.upper_bound)

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class Categorical(Distribution):
    arg_constraints = {"probs": "Simplex()", "logits": "IndependentConstraint(Real(), 1)"}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given, name = (probs, "probs") if probs is not None else (logits, "logits")
        if given.ndim < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)
        if self._validate_args:
            if probs is not None:
                self._check_parameter("probs", self.probs, (self.probs >= 0) & (
                    (self.probs.sum(-1) - 1).abs() < 1e-6).unsqueeze(-1), self.arg_constraints["probs"])
            else:
                self._check_parameter("logits", self.logits, self.logits.isfinite() | self.logits.isinf(),
                                      self.arg_constraints["logits"])

    def __getattr__(self, name):
        # the parameter not given is derived on first use (torch's lazy_property) and then kept
        if name == "probs":
            value = self.logits.softmax(-1)
        elif name == "logits":
            eps = float_eps(self.probs)
            value = self.probs.clamp(min=eps, max=1 - eps).log()
        else:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        self.__dict__[name] = value
        return value

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def support(self):
        return IntegerInterval(0, self._num_events - 1)

    @property
    def mean(self):
        return self.probs.new_full(self._extended_shape(), math.nan)

    @property
    def variance(self):
        return self.probs.new_full(self._extended_shape(), math.nan)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    def sample(self, sample_shape=Size()):
        from ..creation import multinomial
        sample_shape = Size(sample_shape) if not isinstance(sample_shape, int) else Size((sample_shape,))
        with no_grad():
            flat = self.probs.reshape(-1, self._num_events)
            draws = multinomial(flat, max(sample_shape.numel(), 1), True).t()
        return draws.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            if not isinstance(value, Tensor):
                raise ValueError("The value argument to log_prob must be a Tensor")
            self._check_sample(value, self.support.check(value))
        from ..ops.shape import broadcast_tensors
        index, log_pmf = broadcast_tensors(value.long().unsqueeze(-1), self.logits)
        return log_pmf.gather(-1, index[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=_dtype.finfo(self.logits._dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        from ..creation import arange
        values = arange(self._num_events, dtype=_dtype.int64, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
