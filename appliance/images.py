"""Opening page images safely: every mode, depth and size a scanner or a network
folder may deliver becomes ``1`` (line art), ``L`` (grey) or ``RGB``, or a
``BadInput`` with a German message; a file is read completely before any of its
pages is accepted."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from appliance.errors import BadInput


def frames(path: Path, *, max_megapixels: int) -> Iterator[Image.Image]:
    """Each page of an image file (TIFF files may hold several), normalised."""
    try:
        with warnings.catch_warnings():
            # We check the size ourselves below, with a German message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise BadInput(
            f"„{path.name}“ ist viel zu groß ({exc}). Bitte mit geringerer Auflösung scannen."
        ) from exc
    except UnidentifiedImageError as exc:
        raise BadInput(f"„{path.name}“ ist kein lesbares Bild.") from exc
    except OSError as exc:
        raise BadInput(f"„{path.name}“ kann nicht gelesen werden: {exc}") from exc
    with image:
        for frame in ImageSequence.Iterator(image):
            yield normalise(frame, path.name, max_megapixels)


def normalise(frame: Image.Image, name: str, max_megapixels: int) -> Image.Image:
    width, height = frame.size
    if width * height > max_megapixels * 1_000_000:
        raise BadInput(
            f"„{name}“ ist zu groß ({width}×{height} Pixel, höchstens "
            f"{max_megapixels} Megapixel). Bitte mit geringerer Auflösung scannen."
        )
    if width < 16 or height < 16:
        raise BadInput(f"„{name}“ ist zu klein ({width}×{height} Pixel).")
    try:
        frame.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(
            f"„{name}“ ist beschädigt oder unvollständig ({exc}). "
            "Bitte die Seite erneut scannen."
        ) from exc
    return _eight_bit(frame)


def _eight_bit(frame: Image.Image) -> Image.Image:
    if frame.mode in ("1", "L", "RGB"):
        return frame.copy()
    if frame.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        data = np.asarray(frame, dtype=np.uint32)
        top = 65535 if data.max(initial=0) > 255 else 255
        return Image.fromarray((data * 255 // top).astype(np.uint8), mode="L")
    if frame.mode in ("LA", "La"):
        return frame.convert("L")
    return frame.convert("RGB")  # P, RGBA, CMYK, YCbCr, LAB, F


def dpi_of(image: Image.Image, default: int) -> int:
    dpi = image.info.get("dpi")
    if isinstance(dpi, tuple) and dpi and 70 <= float(dpi[0]) <= 2400:
        return round(float(dpi[0]))
    return default


def frame_count(path: Path) -> int:
    """How many pages an image file holds (1 when unknown or unreadable)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return int(getattr(image, "n_frames", 1))
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return 1
