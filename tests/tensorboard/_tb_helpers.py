"""Shared helpers of the plait.tensorboard tests: read event files back with TensorBoard's own reader."""
import io
import struct
import zlib

import numpy as np
from tensorboard.backend.event_processing import event_accumulator


def load(path):
    """An EventAccumulator over ``path`` that keeps every record (size guidance 0)."""
    acc = event_accumulator.EventAccumulator(
        str(path), size_guidance=dict.fromkeys(event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE, 0)
    )
    acc.Reload()
    return acc


def decode_png(data):
    """Decode a PNG to an HWC uint8 array: with Pillow when present, else with zlib (8-bit, no interlace)."""
    try:
        from PIL import Image
    except ImportError:
        return _decode_png_stdlib(data)
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im)


def _decode_png_stdlib(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind} chunk"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    assert (rows[:, 0] == 0).all(), "only filter type 0 is decoded here"
    return rows[:, 1:].reshape(height, width, channels)
