"""plait.device: a device type (``"cpu"``, ``"cuda"``, or any type a backend plugin declares) and an index."""


class device:
    __slots__ = ("type", "index", "_str")

    def __new__(cls, type_or_str, index=None):
        if isinstance(type_or_str, device):
            return type_or_str
        key = (type_or_str, index)
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        if not isinstance(type_or_str, str):
            if isinstance(type_or_str, int) and index is None:  # torch: device(0) is cuda:0
                return cls("cuda", type_or_str)
            raise TypeError(f"device() expects a string like 'cpu' or 'cuda:0', got {type(type_or_str).__name__}")
        text = type_or_str.strip()
        dev_type, sep, idx = text.partition(":")
        if sep:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {text}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{text}'")
            index = int(idx)
        if not dev_type or not dev_type.replace("_", "").isalnum():
            raise RuntimeError(f"Invalid device string: '{text}'")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self = object.__new__(cls)
        self.type = dev_type
        self.index = index
        self._str = dev_type if index is None else f"{dev_type}:{index}"
        _CACHE[key] = self
        return self

    def __str__(self):
        return self._str

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


_CACHE = {}
