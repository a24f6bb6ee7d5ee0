"""``plait.onnx``: export a model to ONNX, as ``torch.onnx.export``.

The model runs once on example inputs (eval mode, no grad) while every op is recorded (see ``_recorder``);
the recorded graph is then written with the ``onnx`` package (an optional dependency, imported only by
``export``: ``pip install onnx``)."""
import enum
import os
import tempfile

from ..autograd.graph import trace_state as _trace_state
from ._builder import OnnxExporterError, UnsupportedOperatorError

__all__ = ["export", "is_in_onnx_export", "TrainingMode", "OperatorExportTypes", "OnnxExporterError",
           "UnsupportedOperatorError"]

DEFAULT_OPSET = 18
MIN_OPSET = 17


class TrainingMode(enum.IntEnum):
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


def is_in_onnx_export():
    """True while ``plait.onnx.export`` runs the model."""
    return _trace_state.active


def _import_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ModuleNotFoundError("plait.onnx.export needs the 'onnx' package: pip install onnx") from exc
    return onnx


def _flatten(obj):
    from ..tensor import Tensor
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _flatten(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _flatten(o)]
    if obj is None:
        return []
    raise OnnxExporterError(f"plait.onnx.export: model outputs must be tensors (or tuples, lists, dicts of "
                            f"them), got {type(obj).__name__}")


def _check_options(training, operator_export_type, opset_version, custom_opsets, export_modules_as_functions,
                   dynamic_shapes, model):
    if opset_version is None:
        opset_version = DEFAULT_OPSET
    import onnx
    newest = onnx.defs.onnx_opset_version()
    if not isinstance(opset_version, int) or not MIN_OPSET <= opset_version <= newest:
        raise ValueError(f"plait.onnx.export supports opset_version {MIN_OPSET} to {newest} (the installed "
                         f"onnx package's newest), got {opset_version!r}")
    if training == TrainingMode.TRAINING or (training == TrainingMode.PRESERVE and model.training):
        raise OnnxExporterError("plait.onnx.export exports inference graphs only (training=TrainingMode.EVAL, "
                                "or PRESERVE with the model in eval mode): the model runs in eval mode")
    if operator_export_type != OperatorExportTypes.ONNX:
        raise OnnxExporterError("plait.onnx.export writes standard ONNX ops only "
                                "(operator_export_type=OperatorExportTypes.ONNX)")
    if custom_opsets:
        raise OnnxExporterError("plait.onnx.export does not emit custom-domain ops (custom_opsets)")
    if export_modules_as_functions:
        raise OnnxExporterError("plait.onnx.export does not export modules as ONNX functions "
                                "(export_modules_as_functions)")
    if dynamic_shapes is not None:
        raise OnnxExporterError("plait.onnx.export declares dynamic dimensions through dynamic_axes= "
                                "(dynamic_shapes belongs to torch's dynamo exporter)")
    return opset_version


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None, output_names=None,
           opset_version=None, dynamo=True, external_data=True, dynamic_shapes=None, custom_translation_table=None,
           report=False, optimize=True, verify=False, profile=False, dump_exported_program=False,
           artifacts_dir=".", export_params=True, keep_initializers_as_inputs=False, dynamic_axes=None,
           training=TrainingMode.EVAL, operator_export_type=OperatorExportTypes.ONNX, do_constant_folding=True,
           custom_opsets=None, export_modules_as_functions=False, autograd_inlining=True):
    """Export ``model`` (an ``nn.Module``) run on ``args`` to the ONNX file ``f`` (a path, written atomically,
    or a binary file object); returns the ``onnx.ModelProto``. The signature and defaults are torch 2.13's.

    ``args``: a Tensor or a tuple of positional arguments (a trailing dict is keyword arguments, as in torch);
    ``kwargs``: keyword arguments. ``input_names``/``output_names`` name the graph's inputs/outputs;
    ``dynamic_axes`` maps a name to the list of its dynamic axes (or ``{axis: symbolic_name}``).

    plait has one exporter, which records the executed ops as torch's TorchScript-based one does; ``dynamo``
    selects which of torch's two exporters' file conventions apply. With ``dynamo=True`` (torch's default)
    ``external_data=True`` stores the weights in ``<f>.data`` beside a path ``f`` (a file object then needs
    ``external_data=False``, as in torch), ``optimize=True`` removes the Identity nodes the recording leaves,
    and ``verify=True`` runs the file with onnxruntime and compares its outputs with plait's. With
    ``dynamo=False`` these three are ignored, as torch's TorchScript exporter ignores them. ``report``,
    ``profile``, ``dump_exported_program``, ``dynamic_shapes`` and ``custom_translation_table`` belong to
    torch's dynamo machinery and are refused when set; ``artifacts_dir`` is only used by them."""
    onnx = _import_onnx()
    for name, value in (("report", report), ("profile", profile),
                        ("dump_exported_program", dump_exported_program)):
        if value:
            raise OnnxExporterError(f"plait.onnx.export: {name}=True is an option of torch's dynamo exporter "
                                    "that plait does not provide")
    if custom_translation_table:
        raise OnnxExporterError("plait.onnx.export: custom_translation_table maps torch ops for torch's dynamo "
                                "exporter; plait's ops are converted by plait.onnx itself")
    if not autograd_inlining:
        raise OnnxExporterError("plait.onnx.export always inlines autograd Functions (exports the ops they "
                                "run): autograd_inlining=False is not supported")
    opset = _check_options(training, operator_export_type, opset_version, custom_opsets,
                           export_modules_as_functions, dynamic_shapes, model)
    to_path = isinstance(f, (str, os.PathLike))
    separate_weights = dynamo and external_data
    if separate_weights and f is not None and not to_path:
        raise TypeError("plait.onnx.export: external_data=True needs a file path for f; pass "
                        "external_data=False (or dynamo=False) to write into a file object")
    from ..tensor import Tensor
    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        kwargs.update(args[-1])
        args = args[:-1]
    from ._export import remove_identities, trace_and_build, verify_with_onnxruntime
    model_proto, outputs = trace_and_build(onnx, model, args, kwargs, opset, input_names, output_names,
                                           dynamic_axes, export_params, keep_initializers_as_inputs,
                                           do_constant_folding)
    if dynamo and optimize:
        remove_identities(model_proto)
    if verbose:
        print(onnx.helper.printable_graph(model_proto.graph))
    if dynamo and verify:
        verify_with_onnxruntime(model_proto, args, kwargs, outputs)
    if f is not None:
        if to_path:
            _atomic_write(onnx, model_proto, os.fspath(f), separate_weights)
        else:
            f.write(model_proto.SerializeToString())
    return model_proto


def _atomic_write(onnx, model_proto, path, separate_weights):
    """Write to a temporary folder beside ``path``, then rename the file(s) into place: a reader never sees
    a half-written model. With ``separate_weights`` the weights go to ``<path>.data`` (renamed first)."""
    import shutil
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    staging = tempfile.mkdtemp(dir=folder, prefix=".tmp-onnx-")
    try:
        staged = os.path.join(staging, name)
        proto = model_proto
        if separate_weights:
            # the parameters and buffers (not the small shape/axis constants, which shape inference reads)
            from onnx import external_data_helper
            proto = type(model_proto)()
            proto.CopyFrom(model_proto)
            for t in proto.graph.initializer:
                if not t.name.startswith("onnx::") and t.HasField("raw_data"):
                    external_data_helper.set_external_data(t, location=name + ".data")
            external_data_helper.write_external_data_tensors(proto, staging)
            if os.path.exists(staged + ".data"):
                os.replace(staged + ".data", os.path.join(folder, name + ".data"))
        with open(staged, "wb") as out:
            out.write(proto.SerializeToString())
        os.replace(staged, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
