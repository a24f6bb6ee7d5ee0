"""Entry point of the plait-tensorboard distribution: announces ``plait.tensorboard`` to plait's plugin registry."""
from plait.hookspecs import hookimpl


@hookimpl
def plait_extensions():
    return [{"name": "tensorboard", "module": "plait.tensorboard", "distribution": "plait-tensorboard"}]
