"""The plugin contract of plait: every hook a plugin may implement, in one place.

plait finds plugins through the ``plait`` entry-point group (``[project.entry-points.plait]`` in a
plugin's ``pyproject.toml``). Each entry point names a plain module; plait imports it once, lazily (on
the first tensor creation or the first look at ``plait.backends``), and registers it with a
``pluggy.PluginManager``. The module implements any of the hooks below with ``@plait.hookimpl``.

Hooks are called only while plait builds its registry. They are never on the per-op path: a tensor
keeps a reference to its :class:`plait.backends.Backend` object and calls its Array API namespace
directly.
"""
import pluggy

hookspec = pluggy.HookspecMarker("plait")
hookimpl = pluggy.HookimplMarker("plait")


@hookspec
def plait_backends():
    """Return the compute backends this plugin provides.

    :return: a list of :class:`plait.backends.Backend` instances. Each one names itself
        (``name``), the device types it serves (``device_types``, e.g. ``("cpu",)`` or ``("cuda",)``),
        its ``priority`` among backends serving the same device type (higher wins unless the user picks
        one), and gives its Array API namespace (``namespace()``). See ``Backend`` for the kernels a
        backend must provide beyond the standard (random numbers, scatter-add, host transfer) and the
        optional fast kernels the core falls back from.
    """


@hookspec
def plait_extensions():
    """Return the ``plait.<name>`` sub-packages this distribution adds.

    :return: a list of dicts ``{"name": "nn", "module": "plait.nn", "distribution": "plait-nn"}``.
        ``plait.extensions()`` lists them; the modules themselves are imported by the normal import
        system (they are installed into the ``plait`` package directory).
    """
