"""Builders of TensorBoard ``Summary`` protos: scalar, histogram, image, text and hparams."""
import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

from ._convert import _is_plait_tensor, _to_numpy, _to_scalar
from ._image import convert_to_hwc, encode_png, to_uint8


def default_bins():
    """TensorFlow's default histogram bucket edges: +-1e-12 growing by 10% up to 1e20, and 0."""
    v = 1e-12
    buckets = []
    while v < 1e20:
        buckets.append(v)
        v *= 1.1
    return [-b for b in reversed(buckets)] + [0] + buckets


def scalar(tag, value, new_style=False, double_precision=False):
    value = _to_scalar(value)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=value)])
    if double_precision:
        tensor = TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        tensor = TensorProto(float_val=[value], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=metadata)])


def make_histogram(values, bins, max_bins=None):
    """A ``HistogramProto`` of ``values`` (same bucketing as torch)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError("The input has no element.")
    counts, limits = np.histogram(values, bins=bins)
    lo, hi = limits[0], limits[-1]
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        subsampling = num_bins // max_bins
        remainder = num_bins % subsampling
        if remainder != 0:
            counts = np.pad(counts, [[0, subsampling - remainder]], mode="constant")
        counts = counts.reshape(-1, subsampling).sum(axis=-1)
        new_limits = np.empty((counts.size + 1,), limits.dtype)
        new_limits[:-1] = limits[:-1:subsampling]
        new_limits[-1] = limits[-1]
        limits = new_limits

    # Keep only the support (first to last non-empty bucket); empty buckets at both ends would make
    # the default 1500 TensorFlow buckets dominate the event file.
    cum_counts = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(cum_counts, [0, cum_counts[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    # TensorBoard stores right bucket edges only; an empty bucket on the left carries the leftmost edge.
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError(
            f"The histogram is empty: no value (range [{values.min()}, {values.max()}]) "
            f"falls inside the bins (range [{lo}, {hi}])."
        )
    return HistogramProto(
        min=values.min(),
        max=values.max(),
        num=len(values),
        sum=values.sum(),
        sum_squares=values.dot(values),
        bucket_limit=limits.tolist(),
        bucket=counts.tolist(),
    )


def histogram(tag, values, bins, max_bins=None):
    hist = make_histogram(_to_numpy(values), bins, max_bins=max_bins)
    return Summary(value=[Summary.Value(tag=tag, histo=hist)])


def histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    if len(bucket_limits) != len(bucket_counts):
        raise ValueError(
            f"len(bucket_limits) != len(bucket_counts): {len(bucket_limits)} != {len(bucket_counts)}"
        )
    hist = HistogramProto(
        min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
        bucket_limit=bucket_limits, bucket=bucket_counts,
    )
    return Summary(value=[Summary.Value(tag=tag, histo=hist)])


def image(tag, img, dataformats="NCHW"):
    hwc = to_uint8(convert_to_hwc(_to_numpy(img), dataformats))
    height, width, channels = hwc.shape
    encoded = Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=encode_png(hwc)
    )
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


def text(tag, text_string):
    from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

    plugin_data = SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()
    )
    tensor = TensorProto(
        dtype="DT_STRING",
        string_val=[text_string.encode("utf_8")],
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]),
    )
    return Summary(
        value=[Summary.Value(
            tag=tag + "/text_summary", metadata=SummaryMetadata(plugin_data=plugin_data), tensor=tensor
        )]
    )


def _hparams_summary(tag, **content):
    from tensorboard.plugins.hparams.metadata import PLUGIN_DATA_VERSION, PLUGIN_NAME
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    data = HParamsPluginData(version=PLUGIN_DATA_VERSION, **content)
    metadata = SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME, content=data.SerializeToString())
    )
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata)])


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The experiment, session-start and session-end summaries the HParams dashboard reads."""
    from tensorboard.plugins.hparams import metadata
    from tensorboard.plugins.hparams.api_pb2 import DataType, Experiment, HParamInfo, MetricInfo, MetricName, Status
    from tensorboard.plugins.hparams.plugin_data_pb2 import SessionEndInfo, SessionStartInfo

    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in hparam_domain_discrete.items():
        if k not in hparam_dict or not isinstance(v, list) or not all(
            isinstance(d, type(hparam_dict[k])) for d in v
        ):
            raise TypeError(
                f"parameter: hparam_domain_discrete[{k}] should be a list of same type as hparam_dict[{k}]."
            )

    session_start = SessionStartInfo()
    infos = []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        # bool before int: bool is an int subclass, but the dashboard must show True/False.
        if isinstance(v, bool):
            session_start.hparams[k].bool_value = v
            kind, field = "DATA_TYPE_BOOL", "bool_value"
        elif isinstance(v, (int, float)):
            session_start.hparams[k].number_value = v
            kind, field = "DATA_TYPE_FLOAT64", "number_value"
        elif isinstance(v, str):
            session_start.hparams[k].string_value = v
            kind, field = "DATA_TYPE_STRING", "string_value"
        elif isinstance(v, (np.ndarray, np.generic)) or _is_plait_tensor(v):
            session_start.hparams[k].number_value = _to_scalar(v)
            kind, field = "DATA_TYPE_FLOAT64", None
        else:
            raise ValueError(
                f"hparam {k!r}: value should be one of int, float, str, bool, or a one-element tensor, "
                f"got {type(v).__name__}"
            )
        domain = None
        if field is not None and k in hparam_domain_discrete:
            domain = struct_pb2.ListValue(
                values=[struct_pb2.Value(**{field: d}) for d in hparam_domain_discrete[k]]
            )
        infos.append(HParamInfo(name=k, type=DataType.Value(kind), domain_discrete=domain))

    experiment = Experiment(
        hparam_infos=infos, metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict]
    )
    session_end = SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))
    return (
        _hparams_summary(metadata.EXPERIMENT_TAG, experiment=experiment),
        _hparams_summary(metadata.SESSION_START_INFO_TAG, session_start_info=session_start),
        _hparams_summary(metadata.SESSION_END_INFO_TAG, session_end_info=session_end),
    )
