"""A seedable random-number generator for sampling (torch.Generator's API for the data utilities).

The core may not depend on an array library, and shuffling needs only integers, so the state is a
pure-Python :class:`random.Random` (Mersenne Twister). Permutations are reproducible across
machines and backends for a given seed; they are not the same draws torch makes.
"""
import random

_DEFAULT_SEED = 67280421310721  # torch.Generator's default seed


class Generator:
    """``plait.Generator(device="cpu")``: ``manual_seed(s)`` makes shuffles and splits reproducible.

    >>> g = Generator().manual_seed(0)
    >>> DataLoader(ds, shuffle=True, generator=g)   # same order for every run seeded with 0
    """

    def __init__(self, device="cpu"):
        from ...device import device as _device
        self.device = device if isinstance(device, _device) else _device(device)
        self._rng = random.Random(_DEFAULT_SEED)
        self._initial_seed = _DEFAULT_SEED

    def manual_seed(self, seed):
        """Reset the state from ``seed`` (an int); returns the generator, as torch does."""
        seed = int(seed)
        self._rng.seed(seed)
        self._initial_seed = seed
        return self

    def seed(self):
        """Reseed from a non-deterministic source and return the new seed."""
        s = random.SystemRandom().getrandbits(63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._initial_seed

    def get_state(self):
        """An opaque snapshot of the state (a tuple, where torch returns a ByteTensor)."""
        return self._rng.getstate()

    def set_state(self, state):
        self._rng.setstate(state)
        return self

    # ---- draws used by the samplers and random_split (plain Python ints)
    def _randperm(self, n):
        perm = list(range(n))
        self._rng.shuffle(perm)
        return perm

    def _randint(self, high, size):
        rand = self._rng.randrange
        return [rand(high) for _ in range(size)]

    def _random_seed(self):
        return self._rng.getrandbits(63)

    def __repr__(self):
        return f"<plait.Generator object (device='{self.device}', initial_seed={self._initial_seed})>"


def _fresh_generator():
    """A generator seeded from plait's global RNG, so ``plait.manual_seed`` governs unseeded shuffles."""
    from ... import creation
    seed = int(creation.randint(0, 2 ** 62, ()).item())
    return Generator().manual_seed(seed)
