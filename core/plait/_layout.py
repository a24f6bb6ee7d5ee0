"""``plait.strided`` / ``plait.sparse_coo``: the memory layouts a tensor reports as ``tensor.layout``."""


class layout:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "plait." + self.name

    def __reduce__(self):
        return _by_name, (self.name,)


strided = layout("strided")
sparse_coo = layout("sparse_coo")


def _by_name(name):
    return {"strided": strided, "sparse_coo": sparse_coo}[name]
