"""Image files: read one safely into a NumPy array for `model.preprocess`, and write an array
as a PNG for a `data:` URL (the inside view, the stage's thumbnails).

Reading handles what uploads and scans bring: EXIF rotation, palettes with transparency,
16-bit, CMYK, animated images (first frame), and refuses decompression bombs and files that are
not images, each with an `InputError` whose message is for the user.
"""

import base64
import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from model.errors import InputError
from model.spec import MAX_SIDE

MAX_PIXELS = 40_000_000  # larger images are refused (a 40 MP photo is fine) ...
MAX_ASPECT = 100  # ... and so are thinner ones: a line of 100 digits is this long


def read_image(source: str | Path | bytes) -> np.ndarray:
    """A path or the bytes of an image file -> (H, W) or (H, W, C) array (uint8, or float32).

    Long sides above MAX_SIDE are shrunk (keeping the aspect ratio); EXIF rotation is applied.
    """
    name = "the upload" if isinstance(source, bytes) else Path(source).name
    try:
        stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
    except OSError as error:
        raise InputError(f"Could not open {name}: {error.strerror or error}.") from None
    with stream, warnings.catch_warnings():
        if not stream.read(1):
            raise InputError(f"{name} is empty (0 bytes).")
        stream.seek(0)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(stream)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InputError(f"{name} is {width}x{height} px; the limit is "
                                 f"{MAX_PIXELS // 1_000_000} megapixels.")
            if max(width, height) > MAX_ASPECT * min(width, height):
                raise InputError(f"{name} is {width}x{height} px, too thin to hold a digit "
                                 f"(at most {MAX_ASPECT} times longer than wide).")
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced size
            image = ImageOps.exif_transpose(image)
            return _to_array(image)
        except InputError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise InputError(f"{name} is too large to decode safely.") from None
        except UnidentifiedImageError:
            raise InputError(f"{name} is not an image file this app can read "
                             "(PNG, JPEG, GIF, BMP, TIFF or WebP).") from None
        except (OSError, ValueError, SyntaxError) as error:  # truncated or corrupt data
            raise InputError(f"{name} could not be decoded: {error}") from None


def _to_array(image: Image.Image) -> np.ndarray:
    """A PIL image in any mode -> L, LA, RGB or RGBA uint8, or 16-bit/float as float32 in [0, 1]."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        a = np.asarray(image, dtype=np.float32)
        return np.clip(a / (65535 if a.max() > 255 else 255), 0, 1)
    if image.mode == "F":
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        return np.nan_to_num(np.asarray(image, dtype=np.float32))
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):  # 1, CMYK, YCbCr, LAB, HSV, PA, ...
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    return np.asarray(image)


def png_base64(image: np.ndarray, palette: np.ndarray | None = None) -> str:
    """(H, W) grey or (H, W, 3) RGB uint8, or (H, W) uint8 indices into `palette` ((n <= 16,
    3) uint8 RGB, its last colour transparent) -> the image as PNG, in base64 (for a `data:`
    URL). A palette of 16 makes a 4-bit PNG, a fraction of the size."""
    buffer = io.BytesIO()
    if palette is None:
        Image.fromarray(image).save(buffer, "PNG")
    else:
        indexed = Image.fromarray(image, "P")
        indexed.putpalette(palette.astype(np.uint8).ravel().tolist())
        indexed.save(buffer, "PNG", transparency=len(palette) - 1, bits=4)
    return base64.b64encode(buffer.getvalue()).decode()
