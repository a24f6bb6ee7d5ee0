"""Entry point of the plait-optim distribution: announces ``plait.optim`` to plait's plugin registry."""
from plait.hookspecs import hookimpl


@hookimpl
def plait_extensions():
    return [{"name": "optim", "module": "plait.optim", "distribution": "plait-optim"}]
