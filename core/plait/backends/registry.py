"""Finds backend plugins once (entry points, group ``plait``) and maps devices to set-up backends.

Everything here runs at most once per plugin / device; the per-op path only reads ``Tensor._backend``.
"""
import os
import warnings
from importlib import metadata

import pluggy

from .. import hookspecs
from ..device import device as _device
from .base import Backend

ENTRY_POINT_GROUP = "plait"
# Where the first-party device types come from, for "install X" messages.
KNOWN_DISTRIBUTIONS = {"cpu": "plait-numpy", "cuda": "plait-cupy"}


class _Registry:
    def __init__(self):
        self.reset()

    def reset(self):
        self.loaded = False
        self.manager = None
        self.backends = {}        # name -> Backend (set up lazily)
        self.plugin_of = {}       # backend name -> plugin (entry point) name
        self.by_type = {}         # device type -> [Backend] best first
        self.chosen = {}          # device type -> backend name picked by the user
        self.ready = set()        # names of backends whose setup() succeeded
        self.failed = {}          # backend name -> why its setup failed
        self.device_cache = {}    # plait.device -> Backend
        self.type_cache = {}      # array type -> Backend
        self.errors = []          # (plugin name, message) for plugins that could not be used
        self.extensions = []

    # ----- discovery ---------------------------------------------------------------------------------
    def load(self):
        if self.loaded:
            return
        self.loaded = True
        pm = pluggy.PluginManager("plait")
        pm.add_hookspecs(hookspecs)
        self.manager = pm
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if pm.has_plugin(ep.name):
                continue
            try:
                module = ep.load()
                pm.register(module, name=ep.name)
            except Exception as exc:  # a broken third-party plugin must not break `import plait`
                self._report(ep.name, f"could not be loaded: {type(exc).__name__}: {exc}")
        self._collect(pm)
        self._apply_env_choice()

    def register_plugin(self, module, name):
        """Register a plugin module by hand (tests, embedding applications); same checks as entry points."""
        self.load()
        try:
            self.manager.register(module, name=name)
        except Exception as exc:
            self._report(name, f"could not be registered: {type(exc).__name__}: {exc}")
            return
        self._collect_from(name, module)

    def unregister_plugin(self, name):
        """Undo :meth:`register_plugin` (tests): forget the plugin, its backends and its extensions."""
        self.load()
        self.manager.unregister(name=name)
        for backend_name in [b for b, plugin in self.plugin_of.items() if plugin == name]:
            backend = self.backends.pop(backend_name)
            del self.plugin_of[backend_name]
            self.ready.discard(backend_name)
            self.failed.pop(backend_name, None)
            for t in backend.device_types:
                self.by_type[t] = [b for b in self.by_type[t] if b is not backend]
                if not self.by_type[t]:
                    del self.by_type[t]
                if self.chosen.get(t) == backend_name:
                    del self.chosen[t]
        self.extensions = [e for e in self.extensions if e["plugin"] != name]
        self.device_cache.clear()
        self.type_cache.clear()

    def _report(self, plugin, message):
        self.errors.append((plugin, message))
        warnings.warn(f"plait plugin {plugin!r} {message}; other backends keep working", RuntimeWarning,
                      stacklevel=4)

    def _collect(self, pm):
        for name, module in sorted(pm.list_name_plugin(), key=lambda p: p[0]):
            self._collect_from(name, module)

    def _collect_from(self, plugin_name, module):
        for hook_name, sink in (("plait_backends", self._add_backends), ("plait_extensions", self._add_extensions)):
            impl = getattr(module, hook_name, None)
            if impl is None:
                continue
            try:
                result = impl()
            except Exception as exc:
                self._report(plugin_name, f"raised in {hook_name}(): {type(exc).__name__}: {exc}")
                continue
            sink(plugin_name, result)

    def _add_extensions(self, plugin_name, result):
        for ext in result or ():
            if isinstance(ext, dict) and "name" in ext:
                self.extensions.append(dict(ext, plugin=plugin_name))
            else:
                self._report(plugin_name, f"returned a malformed extension description {ext!r} "
                             "(expected a dict with 'name', 'module', 'distribution')")

    def _add_backends(self, plugin_name, result):
        if not isinstance(result, (list, tuple)):
            result = [result]
        for backend in result:
            problem = _describe_problem(backend)
            if problem:
                self._report(plugin_name, f"returned a malformed backend: {problem}")
                continue
            if backend.name in self.backends:
                self._report(plugin_name, f"registers backend name {backend.name!r}, which plugin "
                             f"{self.plugin_of[backend.name]!r} already registered; the first one is kept")
                continue
            self.backends[backend.name] = backend
            self.plugin_of[backend.name] = plugin_name
            for t in backend.device_types:
                self.by_type.setdefault(t, []).append(backend)
                self.by_type[t].sort(key=lambda b: -b.priority)
        self.device_cache.clear()

    def _apply_env_choice(self):
        spec = os.environ.get("PLAIT_BACKEND", "").strip()
        if not spec:
            return
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            if "=" in part:
                dev_type, name = (s.strip() for s in part.split("=", 1))
                self.choose(dev_type, name)
            else:
                backend = self.backends.get(part)
                if backend is None:
                    raise RuntimeError(f"PLAIT_BACKEND names backend {part!r}, which is not installed; "
                                       f"installed backends: {sorted(self.backends)}")
                for t in backend.device_types:
                    self.choose(t, part)

    def choose(self, device_type, name):
        self.load()
        backend = self.backends.get(name)
        if backend is None:
            raise RuntimeError(f"no plait backend named {name!r} is installed; installed backends: "
                               f"{sorted(self.backends)}")
        if device_type not in backend.device_types:
            raise RuntimeError(f"backend {name!r} serves device types {list(backend.device_types)}, "
                               f"not {device_type!r}")
        self.chosen[device_type] = name
        self.device_cache.clear()

    # ----- lookup --------------------------------------------------------------------------------------
    def ensure_ready(self, backend):
        if backend.name in self.ready:
            return True
        if backend.name in self.failed:
            return False
        try:
            backend.setup()
        except Exception as exc:
            self.failed[backend.name] = f"{type(exc).__name__}: {exc}"
            return False
        self.ready.add(backend.name)
        from .. import _settings  # a thread count chosen before this backend started applies to it too
        _settings.apply_num_threads(backend)
        return True

    def for_device(self, dev):
        backend = self.device_cache.get(dev)
        if backend is not None:
            return backend
        self.load()
        candidates = self.by_type.get(dev.type)
        if not candidates:
            dist = KNOWN_DISTRIBUTIONS.get(dev.type)
            hint = (f"install the {dist} distribution (pip install {dist})" if dist
                    else "install a plait backend plugin that serves it")
            known = sorted(self.by_type)
            raise RuntimeError(f"no plait backend is installed for device type '{dev.type}': {hint}. "
                               f"Device types available: {known}")
        chosen = self.chosen.get(dev.type)
        if chosen is not None:
            candidates = [self.backends[chosen]]
        reasons = []
        for backend in candidates:
            if self.ensure_ready(backend):
                backend.check_device(dev)
                self.device_cache[dev] = backend
                return backend
            dist = backend.distribution or f"plugin {self.plugin_of[backend.name]!r}"
            reasons.append(f"backend {backend.name!r} ({dist}): {self.failed[backend.name]}")
        raise RuntimeError(f"device '{dev}' is not usable: " + "; ".join(reasons))

    def serving(self, device_type):
        """The backends that may serve ``device_type``: the user's choice, else all of them best first."""
        self.load()
        chosen = self.chosen.get(device_type)
        return [self.backends[chosen]] if chosen is not None else list(self.by_type.get(device_type, ()))

    def usable(self, device_type):
        """The set-up backend serving ``device_type`` (device modules such as ``plait.cuda``), or None."""
        for backend in self.serving(device_type):
            if self.ensure_ready(backend):
                return backend
        return None

    def why_unusable(self, device_type):
        """Why no backend serves ``device_type``, for error messages."""
        reasons = [f"backend {b.name!r} ({b.distribution or 'plugin ' + repr(self.plugin_of[b.name])}): "
                   f"{self.failed[b.name]}" for b in self.serving(device_type) if b.name in self.failed]
        if reasons:
            return "; ".join(reasons)
        dist = KNOWN_DISTRIBUTIONS.get(device_type)
        hint = f"pip install {dist}" if dist else "install a plait backend plugin that serves it"
        return f"no installed plait backend serves '{device_type}' ({hint})"

    def for_array(self, array):
        backend = self.type_cache.get(type(array))
        if backend is not None:
            return backend
        self.load()
        by_priority = sorted(self.backends.values(), key=lambda b: -b.priority)
        # backends already set up first: asking one that is not would import its array library (a NumPy
        # index must not import torch just to learn that torch does not own it)
        for b in by_priority:
            if b.name in self.ready and b.owns(array):
                self.type_cache[type(array)] = b
                return b
        for b in by_priority:
            if self.ensure_ready(b) and b.owns(array):
                self.type_cache[type(array)] = b
                return b
        raise TypeError(f"no installed plait backend handles arrays of type {type(array).__module__}."
                        f"{type(array).__name__}")


def _describe_problem(backend):
    if not isinstance(backend, Backend):
        return f"{backend!r} is not a plait.backends.Backend instance"
    if not isinstance(backend.name, str) or not backend.name:
        return f"{type(backend).__name__}.name must be a non-empty string, got {backend.name!r}"
    types = backend.device_types
    if not isinstance(types, tuple) or not types or not all(isinstance(t, str) and t for t in types):
        return (f"backend {backend.name!r}: device_types must be a non-empty tuple of strings, "
                f"got {types!r}")
    return None


_registry = _Registry()


def get_backend(dev):
    """The Backend serving ``dev`` (a plait.device or string)."""
    return _registry.for_device(_device(dev))


def backend_for_array(array):
    return _registry.for_array(array)


def set_backend(device_type, name):
    """Pick which installed backend serves ``device_type`` (also: env var ``PLAIT_BACKEND``)."""
    _registry.choose(device_type, name)


def available():
    """Installed backends: ``{name: {"device_types": [...], "plugin": ..., "usable": bool, "error": str|None}}``."""
    _registry.load()
    out = {}
    for name, b in _registry.backends.items():
        usable = _registry.ensure_ready(b)
        out[name] = {"device_types": list(b.device_types), "plugin": _registry.plugin_of[name],
                     "priority": b.priority, "usable": usable, "error": _registry.failed.get(name)}
    return out


def loaded_backends():
    """The backends whose setup succeeded (used by manual_seed)."""
    _registry.load()
    return [b for b in _registry.backends.values() if b.name in _registry.ready]


def extensions():
    _registry.load()
    return list(_registry.extensions)


def registry_errors():
    """(plugin, message) for each plugin that was reported as broken."""
    _registry.load()
    return list(_registry.errors)


def reload():
    """Forget everything and discover plugins again (after installing one in a running process)."""
    _registry.reset()
    _registry.load()
