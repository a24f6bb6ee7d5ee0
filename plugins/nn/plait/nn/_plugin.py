"""Entry point of the plait-nn distribution: announces ``plait.nn`` to plait's plugin registry."""
from plait.hookspecs import hookimpl


@hookimpl
def plait_extensions():
    return [{"name": "nn", "module": "plait.nn", "distribution": "plait-nn"}]
