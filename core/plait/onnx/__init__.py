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
                   autograd_inlining, dynamic_shapes, model):
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


def export(model, args=(), f=None, *, kwargs=None, export_params=True, verbose=None, input_names=None,
           output_names=None, opset_version=None, dynamic_axes=None, keep_initializers_as_inputs=False,
           training=TrainingMode.EVAL, operator_export_type=OperatorExportTypes.ONNX,
           do_constant_folding=True, custom_opsets=None, export_modules_as_functions=False,
           autograd_inlining=True, dynamo=False, dynamic_shapes=None, external_data=False, report=False,
           optimize=False, verify=False, profile=False, dump_exported_program=False, artifacts_dir=".",
           fallback=False):
    """Export ``model`` (an ``nn.Module``) run on ``args`` to the ONNX file ``f`` (a path, written atomically,
    or a binary file object); returns the ``onnx.ModelProto``.

    ``args``: a Tensor or a tuple of positional arguments (a trailing dict is keyword arguments, as in torch);
    ``kwargs``: keyword arguments. ``input_names``/``output_names`` name the graph's inputs/outputs;
    ``dynamic_axes`` maps a name to the list of its dynamic axes (or ``{axis: symbolic_name}``).
    ``dynamo``: plait has one exporter, which records the executed ops as torch's TorchScript-based one does,
    so both values run it. Options of torch's dynamo exporter that change what is written (``report``,
    ``optimize``, ``verify``, ``profile``, ``dump_exported_program``, ``fallback``, ``external_data``) are
    refused when set."""
    onnx = _import_onnx()
    for name, value in (("external_data", external_data), ("report", report), ("optimize", optimize),
                        ("verify", verify), ("profile", profile),
                        ("dump_exported_program", dump_exported_program), ("fallback", fallback)):
        if value:
            raise OnnxExporterError(f"plait.onnx.export: {name}=True is an option of torch's dynamo exporter "
                                    "that plait does not provide")
    opset = _check_options(training, operator_export_type, opset_version, custom_opsets,
                           export_modules_as_functions, autograd_inlining, dynamic_shapes, model)
    from ..tensor import Tensor
    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        kwargs.update(args[-1])
        args = args[:-1]
    from ._export import trace_and_build
    model_proto = trace_and_build(onnx, model, args, kwargs, opset, input_names, output_names, dynamic_axes,
                                  export_params, keep_initializers_as_inputs, do_constant_folding)
    if verbose:
        print(onnx.helper.printable_graph(model_proto.graph))
    if f is not None:
        data = model_proto.SerializeToString()
        if isinstance(f, (str, os.PathLike)):
            _atomic_write(os.fspath(f), data)
        else:
            f.write(data)
    return model_proto


def _atomic_write(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".onnx")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
