"""Files of TensorBoard's Embedding Projector: tensors.tsv, metadata.tsv, sprite.png and the config."""
import math
import os

import numpy as np

from ._image import encode_png, make_grid, to_uint8


def encode_tag(tag):
    """Make ``tag`` usable as one path component (the same escaping torch uses)."""
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def write_tensors(mat, save_path):
    with open(os.path.join(save_path, "tensors.tsv"), "w", encoding="utf-8") as f:
        for row in mat:
            f.write("\t".join(str(v.item()) for v in row) + "\n")


def write_metadata(metadata, save_path, metadata_header=None):
    if metadata_header:
        rows = [metadata_header] + list(metadata)
        for row in rows:
            if len(row) != len(metadata_header):
                raise ValueError(
                    f"metadata rows must have as many columns as metadata_header ({len(metadata_header)}), "
                    f"got {row!r}"
                )
        lines = ["\t".join(str(e) for e in row) for row in rows]
    else:
        lines = [str(x) for x in metadata]
    with open(os.path.join(save_path, "metadata.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def write_sprite(label_img, save_path):
    """Tile NCHW thumbnails into the square sprite the projector expects (row-major, nrow x nrow)."""
    nrow = int(math.ceil(label_img.shape[0] ** 0.5))
    chw = make_grid(label_img, ncols=nrow)
    hwc = chw.transpose(1, 2, 0)
    # The projector computes thumbnail positions from a square sprite; pad missing rows with black.
    height, width = label_img.shape[2], label_img.shape[3]
    square = np.zeros((nrow * height, nrow * width, hwc.shape[2]), dtype=hwc.dtype)
    square[:hwc.shape[0]] = hwc
    with open(os.path.join(save_path, "sprite.png"), "wb") as f:
        f.write(encode_png(to_uint8(square)))


def embedding_info(metadata, label_img, subdir, global_step, tag):
    from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo

    info = EmbeddingInfo(
        tensor_name=f"{tag}:{str(global_step).zfill(5)}",
        tensor_path=f"{subdir}/tensors.tsv",
    )
    if metadata is not None:
        info.metadata_path = f"{subdir}/metadata.tsv"
    if label_img is not None:
        info.sprite.image_path = f"{subdir}/sprite.png"
        info.sprite.single_image_dim.extend([label_img.shape[3], label_img.shape[2]])
    return info
