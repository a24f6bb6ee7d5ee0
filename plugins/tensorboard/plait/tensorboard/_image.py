"""Image helpers: layout conversion to HWC, image grids, PNG encoding and matplotlib rendering."""
import struct
import zlib

import numpy as np

_PNG_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+alpha, RGB, RGBA)


def _check_dataformats(shape, dataformats):
    fmt = dataformats.upper()
    valid = {4: "NCHW", 3: "CHW", 2: "HW"}.get(len(fmt))
    if valid is None or sorted(fmt) != sorted(valid):
        raise ValueError(
            f"dataformats must be a permutation of NCHW, CHW or HW (e.g. 'NCHW', 'NHWC', 'CHW', "
            f"'HWC', 'HW'), got {dataformats!r}"
        )
    if len(shape) != len(fmt):
        raise ValueError(
            f"dataformats {dataformats!r} expects a {len(fmt)}-D image of shape "
            f"({', '.join(fmt)}), got a {len(shape)}-D one of shape {tuple(shape)}"
        )
    if any(d == 0 for d in shape):
        raise ValueError(f"image of shape {tuple(shape)} ({dataformats}) has no pixels")
    return fmt


def make_grid(nchw, ncols=8):
    """Tile an NCHW batch into one CHW image, ``ncols`` images per row (torch's layout)."""
    if nchw.shape[1] == 1:
        nchw = np.concatenate([nchw, nchw, nchw], 1)
    if nchw.shape[1] not in (3, 4):
        raise ValueError(f"images must have 1, 3 or 4 channels, got shape (N, C, H, W) = {nchw.shape}")
    n, c, h, w = nchw.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((c, h * nrows, w * ncols), dtype=nchw.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = nchw[i]
    return canvas


def convert_to_hwc(array, dataformats):
    """Return ``array`` (laid out as ``dataformats``) as an HWC image with 3 or 4 channels."""
    fmt = _check_dataformats(array.shape, dataformats)
    if len(fmt) == 4:
        chw = make_grid(array.transpose([fmt.find(c) for c in "NCHW"]))
        return chw.transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = array.transpose([fmt.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        if hwc.shape[2] not in (3, 4):
            raise ValueError(
                f"images must have 1, 3 or 4 channels, got shape {tuple(array.shape)} ({dataformats})"
            )
        return hwc
    hw = array.transpose([fmt.find(c) for c in "HW"])
    return np.stack([hw, hw, hw], 2)


def to_uint8(array):
    """uint8 images are kept as they are; anything else is taken as 0-1 and scaled to 0-255."""
    scale = 1 if array.dtype == np.uint8 else 255
    # Truncating (not rounding) after the clip matches torch byte for byte.
    return (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def encode_png(hwc):
    """Encode an HWC uint8 array (1 to 4 channels) as PNG bytes."""
    height, width, channels = hwc.shape
    # Filter type 0 (None) on every scanline: simple and lossless; zlib does the compression.
    raw = np.concatenate([np.zeros((height, 1), np.uint8), hwc.reshape(height, width * channels)], 1)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOR_TYPE[channels], 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(np.ascontiguousarray(raw).tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def figure_to_image(figures, close=True):
    """Render a matplotlib figure (CHW uint8) or a list of them (NCHW uint8)."""
    try:
        import matplotlib.pyplot as plt
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError as exc:
        raise ImportError(
            "add_figure needs matplotlib, which is not installed; install it with `pip install matplotlib`"
        ) from exc

    def render(figure):
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba(), dtype=np.uint8)
        if close:
            plt.close(figure)
        return np.moveaxis(rgba[:, :, :3], 2, 0)

    if isinstance(figures, (list, tuple)):
        return np.stack([render(f) for f in figures])
    return render(figures)
