"""A last-resort import finder: ``import plait.nn`` without the plait-nn distribution gets an ImportError
that names the distribution to install, instead of a bare "No module named".

Only the distribution's own package (``plait.nn``) is answered here. A submodule that does not exist in an
installed distribution (``plait.nn.parallel_xyz``) reaches this finder too, after its parent imported
fine: it gets Python's plain ``No module named ...``; and a submodule of an absent distribution never
gets here, because importing its parent package fails first."""
import sys
from importlib.abc import MetaPathFinder

FIRST_PARTY = {"nn": "plait-nn", "optim": "plait-optim", "tensorboard": "plait-tensorboard"}


class _MissingPluginFinder(MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if len(parts) == 2 and parts[0] == "plait" and parts[1] in FIRST_PARTY:
            dist = FIRST_PARTY[parts[1]]
            raise ModuleNotFoundError(
                f"No module named '{fullname}': plait.{parts[1]} is provided by the separate distribution "
                f"'{dist}'. Install it with `pip install {dist}` (or install everything with the README's "
                "set-up command).", name=fullname)
        return None


if not any(isinstance(f, _MissingPluginFinder) for f in sys.meta_path):
    sys.meta_path.append(_MissingPluginFinder())  # appended: only consulted after every real finder failed
