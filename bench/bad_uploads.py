"""A corpus of awkward and broken image files, written on demand for the tests."""

import io
from pathlib import Path

import numpy as np
from PIL import Image

from training.drawn_digits import STYLES, Pose, paper, render


def digit_photo(digit: int = 4) -> Image.Image:
    """A drawn digit as an RGB image: dark ink on white."""
    return Image.fromarray(paper(render(STYLES[digit][0], Pose(height=420, brush=28))))


def _png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def corpus() -> dict[str, tuple[bytes, str]]:
    """name -> (file bytes, what should happen: 'error', 'blank' or a digit as a string)."""
    four = digit_photo(4)
    gray = np.asarray(four.convert("L"))
    rotated = four.rotate(90, expand=True)  # stored on its side ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... with the EXIF tag saying: turn it 90 degrees clockwise to view
    frames = [digit_photo(7), digit_photo(1)]
    palette = four.convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    white_index = palette.getpixel((0, 0))
    return {
        "non-image bytes": (b"%PDF-1.4 definitely not a picture" * 20, "error"),
        "empty file": (b"", "error"),
        "truncated png": (_png(four)[:400], "error"),
        "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                b'<text x="0" y="9">7</text></svg>', "error"),
        "decompression bomb": (_png(Image.new("1", (30000, 30000))), "error"),
        "enormous dimensions": (_png(Image.new("1", (12000, 4000))), "error"),
        "animated gif (first frame)": (_save(frames[0], "GIF", save_all=True,
                                             append_images=frames[1:], duration=100), "7"),
        "16-bit png": (_png(Image.fromarray(gray.astype(np.uint16) * 257)), "4"),
        "cmyk jpeg": (_save(four.convert("CMYK"), "JPEG", quality=95), "4"),
        "palette with transparency": (_png(palette, transparency=white_index), "4"),
        "exif-rotated photo": (_save(rotated, "JPEG", exif=exif, quality=95), "4"),
        "all black": (_png(Image.new("RGB", (300, 300), "black")), "blank"),
        "all white": (_png(Image.new("RGB", (300, 300), "white")), "blank"),
        "fully transparent": (_png(Image.new("RGBA", (300, 300), (0, 0, 0, 0))), "blank"),
        "a single dot": (_png(_dot()), "blank"),
        "1x1": (_png(Image.new("L", (1, 1), 0)), "error"),
        "10000x10": (_png(Image.new("L", (10_000, 10), 255)), "error"),
        "ink in the alpha channel only": (_png(Image.merge("LA", [
            Image.new("L", four.size, 0), Image.fromarray(255 - gray)])), "4"),
        "16-bit greys, full range": (_png(Image.fromarray(
            (gray.astype(np.uint16) * 257 // 3 + 20000).astype(np.uint16))), "4"),
    }


def _dot() -> Image.Image:
    """White paper with one small round dot of ink on it."""
    image = Image.new("L", (300, 300), 255)
    image.paste(0, (150, 150, 154, 154))
    return image


def write_corpus(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write every corpus file into `folder` -> name -> (path, expectation)."""
    out = {}
    for k, (name, (data, expect)) in enumerate(corpus().items()):
        suffix = {"svg": ".svg", "cmyk jpeg": ".jpg", "exif-rotated photo": ".jpg",
                  "animated gif (first frame)": ".gif"}.get(name, ".png")
        path = folder / f"case{k:02d}{suffix}"
        path.write_bytes(data)
        out[name] = (path, expect)
    return out
