"""Probability distributions with torch's ``torch.distributions`` API (so far: ``Categorical``)."""
from .categorical import Categorical
from .distribution import Distribution

__all__ = ["Categorical", "Distribution"]
