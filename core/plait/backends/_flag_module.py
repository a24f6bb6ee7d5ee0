"""Typed, validated module attributes for torch's flag modules (``plait.backends.cudnn.benchmark = True``):
a module's class is swapped for a ModuleType subclass whose descriptors check what is assigned."""
import types


class Flag:
    """A module attribute holding a value of one type; assigning another type raises torch's error."""

    def __init__(self, default, kind, setter):
        self.default = default
        self.kind = kind
        self.setter = setter  # torch's name for the setter, in the error message

    def __set_name__(self, owner, name):
        self.slot = f"_flag_{name}"

    def __get__(self, module, owner=None):
        if module is None:
            return self
        return module.__dict__.get(self.slot, self.default)

    def __set__(self, module, value):
        if type(value) is not self.kind:  # bool is an int: int flags still refuse True
            raise RuntimeError(f"{self.setter} expects a{'n' if self.kind is int else ''} {self.kind.__name__}, "
                               f"but got {type(value).__name__}")
        module.__dict__[self.slot] = value


def flag_module(name, **flags):
    """Give module ``name`` (already in sys.modules) the descriptors ``flags`` (name -> Flag)."""
    import sys
    module = sys.modules[name]
    module.__class__ = types.new_class(f"{name.rsplit('.', 1)[-1]}_flags", (types.ModuleType,),
                                       exec_body=lambda ns: ns.update(flags))
    for flag_name, flag in flags.items():
        flag.__set_name__(module.__class__, flag_name)
    return module
