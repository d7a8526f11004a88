"""Image job input and the pure computations the workers do (no AWS calls).

An image job describes an uploaded image; the workers derive what the
thumbnail service and the catalogue need from it, without decoding pixels:

    {"image_id": "img-42", "bucket": "photos", "key": "2026/cat.jpg",
     "width": 4032, "height": 3024, "size_bytes": 2480000, "content_type": "image/jpeg"}
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

#: Thumbnail bounding boxes (px): each thumbnail fits inside its box.
THUMBNAIL_BOXES = (128, 512, 1024)
FORMATS = {"image/jpeg": "jpeg", "image/png": "png", "image/webp": "webp", "image/gif": "gif", "image/avif": "avif"}
EXTENSIONS = {"jpeg": (".jpg", ".jpeg"), "png": (".png",), "webp": (".webp",), "gif": (".gif",), "avif": (".avif",)}
#: Larger images are rejected: they are not photos but mistakes (or attacks).
MAX_SIDE_PX = 20_000
MAX_SIZE_BYTES = 100 * 1024 * 1024
_IMAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def validate_image(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The image description in ``payload``, checked; ``ValueError`` says what is wrong."""
    problems = []
    image_id = payload.get("image_id")
    if not isinstance(image_id, str) or not _IMAGE_ID.match(image_id):
        problems.append("image_id must be 1-128 letters, digits, '.', '_' or '-'")
    for name in ("bucket", "key"):
        if not isinstance(payload.get(name), str) or not payload[name].strip():
            problems.append(f"{name} must be a non-empty string")
    for name, limit in (("width", MAX_SIDE_PX), ("height", MAX_SIDE_PX), ("size_bytes", MAX_SIZE_BYTES)):
        value = payload.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            problems.append(f"{name} must be an integer 1-{limit}")
    if payload.get("content_type") not in FORMATS:
        problems.append(f"content_type must be one of {sorted(FORMATS)}")
    if problems:
        raise ValueError("invalid image job: " + "; ".join(problems))
    return {k: payload[k] for k in ("image_id", "bucket", "key", "width", "height", "size_bytes", "content_type")}


def thumbnail_plan(image: Mapping[str, Any]) -> dict[str, Any]:
    """Where each thumbnail goes and its exact size: fit in the box, keep the aspect ratio, never upscale."""
    width, height = image["width"], image["height"]
    thumbnails = []
    for box in THUMBNAIL_BOXES:
        scale = min(1.0, box / max(width, height))
        thumbnails.append(
            {
                "box": box,
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "key": f"thumbnails/{image['image_id']}/{box}.{FORMATS[image['content_type']]}",
                "upscaled": False,
            }
        )
    return {"source": f"s3://{image['bucket']}/{image['key']}", "thumbnails": thumbnails}


def metadata(image: Mapping[str, Any]) -> dict[str, Any]:
    """Catalogue metadata derived from the description."""
    width, height = image["width"], image["height"]
    divisor = math.gcd(width, height)
    fmt = FORMATS[image["content_type"]]
    extension = "." + image["key"].rsplit(".", 1)[-1].lower() if "." in image["key"] else ""
    pixels = width * height
    return {
        "format": fmt,
        "extension_matches_type": extension in EXTENSIONS[fmt],
        "orientation": "square" if width == height else ("landscape" if width > height else "portrait"),
        "aspect_ratio": f"{width // divisor}:{height // divisor}",
        "megapixels": round(pixels / 1_000_000, 2),
        "bits_per_pixel": round(image["size_bytes"] * 8 / pixels, 3),
        "size_bytes": image["size_bytes"],
    }
