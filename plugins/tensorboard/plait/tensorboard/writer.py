"""``SummaryWriter``: torch.utils.tensorboard's writer for plait tensors."""
import os
import socket
import time
from datetime import datetime

from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from . import embedding as _embedding
from . import summary as _summary
from ._convert import _to_numpy
from ._image import figure_to_image


class FileWriter:
    """One event file in one directory; events are queued and appended by a background thread."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs, filename_suffix)

    def get_logdir(self):
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None):
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            # numpy and tensor steps arrive here too; the proto field wants a Python int.
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        self.add_event(Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_def, walltime=None):
        self.add_event(Event(graph_def=graph_def.SerializeToString()), None, walltime)

    def flush(self):
        self.event_writer.flush()

    def close(self):
        self.event_writer.close()


class SummaryWriter:
    """Writes entries to event files in ``log_dir`` for TensorBoard to show.

    :param log_dir: directory of the run; default ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``.
    :param comment: suffix of the default ``log_dir``; ignored when ``log_dir`` is given.
    :param purge_step: when resuming a crashed run, events with ``step >= purge_step`` in earlier
        event files of ``log_dir`` are hidden by TensorBoard.
    :param max_queue: events held in memory before ``add_*`` calls block on the writer thread.
    :param flush_secs: how often the writer thread flushes pending events to disk.
    :param filename_suffix: appended to every event file name in ``log_dir``.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            current_time = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", current_time + "_" + socket.gethostname() + comment)
        self.log_dir = os.fspath(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.default_bins = _summary.default_bins()
        self.file_writer = self.all_writers = None
        self._get_file_writer()

    def _new_file_writer(self, log_dir):
        return FileWriter(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)

    def _get_file_writer(self):
        """The writer of ``log_dir``, reopened if ``close()`` was called."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = self._new_file_writer(self.log_dir)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # A SessionLog.START at step N makes TensorBoard drop events with step >= N that
                # came before it, i.e. the ones a crashed run logged after its last checkpoint.
                step = self.purge_step
                self.file_writer.add_event(Event(step=step, file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=step, session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """The directory event files are written to."""
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """Log one number (a Python number or a one-element tensor/array)."""
        summary = _summary.scalar(tag, scalar_value, new_style=new_style, double_precision=double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Log several numbers on one chart; each key becomes the run ``<log_dir>/<main_tag>_<key>``."""
        walltime = time.time() if walltime is None else walltime
        fw_logdir = self._get_file_writer().get_logdir()
        for tag, scalar_value in tag_scalar_dict.items():
            fw_tag = fw_logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            if fw_tag not in self.all_writers:
                self.all_writers[fw_tag] = self._new_file_writer(fw_tag)
            self.all_writers[fw_tag].add_summary(_summary.scalar(main_tag, scalar_value), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Log a histogram of ``values``; ``bins`` is ``'tensorflow'`` or anything ``numpy.histogram`` takes."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        summary = _summary.histogram(tag, values, bins, max_bins=max_bins)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,
                          global_step=None, walltime=None):
        """Log an already computed histogram (bucket right edges and counts)."""
        summary = _summary.histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Log an image: float values in [0, 1] or uint8, laid out as ``dataformats`` (CHW, HWC, HW)."""
        summary = _summary.image(tag, img_tensor, dataformats=dataformats)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """Log a batch of images as one grid (8 per row), laid out as ``dataformats`` (NCHW, NHWC)."""
        summary = _summary.image(tag, img_tensor, dataformats=dataformats)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """Render a matplotlib figure (or a list of them, as a grid) and log it as an image."""
        images = figure_to_image(figure, close)
        dataformats = "NCHW" if isinstance(figure, (list, tuple)) else "CHW"
        self.add_image(tag, images, global_step, walltime, dataformats=dataformats)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Log a (markdown) string."""
        self._get_file_writer().add_summary(_summary.text(tag, text_string), global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Run ``model`` once on ``input_to_model`` and log its autograd graph for the Graphs dashboard.

        ``use_strict_trace`` is accepted for torch compatibility; plait records the graph autograd built.
        """
        from .graph import build_graph

        self._get_file_writer().add_graph(build_graph(model, input_to_model, verbose=verbose))

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """Log hyper-parameters and their final metrics as one session (a sub-run) of the HParams dashboard."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        exp, ssi, sei = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=logdir) as w_hp:
            w_hp.file_writer.add_summary(exp, global_step)
            w_hp.file_writer.add_summary(ssi, global_step)
            w_hp.file_writer.add_summary(sei, global_step)
            for k, v in metric_dict.items():
                w_hp.add_scalar(k, v, global_step)

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None):
        """Log a (N, D) matrix for the Embedding Projector, with optional labels and NCHW thumbnails."""
        from google.protobuf import text_format
        from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

        mat = _to_numpy(mat)
        if mat.ndim != 2:
            raise ValueError(f"mat should be 2D (N, D), got shape {tuple(mat.shape)}")
        if metadata is not None and len(metadata) != mat.shape[0]:
            raise ValueError(f"#labels should equal #data points: {len(metadata)} != {mat.shape[0]}")
        if label_img is not None:
            label_img = _to_numpy(label_img)
            if label_img.ndim != 4 or label_img.shape[0] != mat.shape[0]:
                raise ValueError(
                    f"label_img should be (N, C, H, W) with N = {mat.shape[0]} data points, "
                    f"got shape {tuple(label_img.shape)}"
                )
        if global_step is None:
            global_step = 0
        logdir = self._get_file_writer().get_logdir()
        subdir = f"{str(global_step).zfill(5)}/{_embedding.encode_tag(tag)}"
        save_path = os.path.join(logdir, subdir)
        if os.path.isfile(save_path):
            raise ValueError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
        os.makedirs(save_path, exist_ok=True)
        if metadata is not None:
            _embedding.write_metadata(metadata, save_path, metadata_header)
        if label_img is not None:
            _embedding.write_sprite(label_img, save_path)
        _embedding.write_tensors(mat, save_path)

        # The projector reads one config for the whole run, so it is rewritten with every embedding.
        if not hasattr(self, "_projector_config"):
            self._projector_config = ProjectorConfig()
        self._projector_config.embeddings.extend(
            [_embedding.embedding_info(metadata, label_img, subdir, global_step, tag)]
        )
        with open(os.path.join(logdir, "projector_config.pbtxt"), "w", encoding="utf-8") as f:
            f.write(text_format.MessageToString(self._projector_config))

    def flush(self):
        """Write every pending event of this writer (and its add_scalars sub-writers) to disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self):
        """Flush and close every event file; a later ``add_*`` call opens a new one."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
