"""Test images that carry every kind of metadata, and a reader of what a stored file still holds.

The reader parses the bytes themselves (JPEG markers, PNG chunks, WebP RIFF chunks) instead of
asking Pillow, which would only report what it understands.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

SECRET = "Ảnh của Hoàng Khánh Ngân lớp 6A1 THCS Dương Xá"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    'syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>'
    f"{SECRET}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
).encode()


def gps_exif() -> bytes:
    """EXIF with a GPS position (a home in Gia Lâm) and the child's name as the artist."""
    exif = Image.Exif()
    exif[0x013B] = "Hoang Khanh Ngan"  # Artist
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.5), 3: "E", 4: (105.0, 56.0, 10.2)}
    return exif.tobytes()


def icc_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _iptc_segment() -> bytes:
    """An APP13 "Photoshop 3.0" segment with an IPTC by-line (Pillow cannot write one)."""
    value = SECRET.encode()
    iptc = b"\x1c\x02\x50" + struct.pack(">H", len(value)) + value  # 2:80 By-line
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc))
    resource += iptc + (b"\x00" if len(iptc) % 2 else b"")
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def jpeg_with_everything(size=(64, 48)) -> bytes:
    """A JPEG with EXIF (GPS), XMP, an ICC profile, a comment (COM) and IPTC."""
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(
        out,
        format="JPEG",
        exif=gps_exif(),
        xmp=XMP,
        icc_profile=icc_profile(),
        comment=SECRET.encode(),
    )
    data = out.getvalue()
    return data[:2] + _iptc_segment() + data[2:]


def png_with_everything(size=(64, 48), mode="RGBA") -> bytes:
    """A PNG with tEXt, zTXt and iTXt chunks (XMP among them), EXIF and an ICC profile."""
    info = PngInfo()
    info.add_text("Author", "Hoang Khanh Ngan")
    info.add_text("Comment", "Hoang Khanh Ngan, lop 6A1, THCS Duong Xa", zip=True)
    info.add_itxt("Description", SECRET, lang="vi")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    colour = (30, 120, 60, 200) if mode == "RGBA" else (30, 120, 60)
    out = io.BytesIO()
    Image.new(mode, size, colour).save(
        out, format="PNG", pnginfo=info, exif=gps_exif(), icc_profile=icc_profile()
    )
    return out.getvalue()


def webp_with_everything(size=(64, 48)) -> bytes:
    """A WebP with EXIF, XMP and an ICC profile."""
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(
        out, format="WEBP", exif=gps_exif(), xmp=XMP, icc_profile=icc_profile()
    )
    return out.getvalue()


def flood_png(side: int = 8900) -> bytes:
    """A single-colour PNG of side × side pixels: a few hundred KB that decode to gigabytes.

    Written chunk by chunk so the test never holds the pixels either.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + b"\x00" * side  # filter byte + one grey byte per pixel
    packer = zlib.compressobj(1)
    rows, block = divmod(side, 100)
    compressed = b"".join(packer.compress(row * 100) for _ in range(rows))
    compressed += packer.compress(row * block) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", compressed)
        + chunk(b"IEND", b"")
    )


def metadata_in(data: bytes) -> list[str]:
    """Every segment or chunk of a stored image that is not pixels or their bare geometry.

    JPEG: any APPn other than a plain JFIF APP0, and any COM. PNG: any chunk other than IHDR,
    PLTE, tRNS, IDAT, IEND. WebP: any chunk other than VP8, VP8L, VP8X, ALPH, ANIM, ANMF.
    """
    if data[:2] == b"\xff\xd8":
        return _jpeg_metadata(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _png_metadata(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_metadata(data)
    raise AssertionError("not a JPEG, PNG or WebP file")


def _jpeg_metadata(data: bytes) -> list[str]:
    found, pos = [], 2
    while pos + 4 <= len(data):
        assert data[pos] == 0xFF, f"bad marker at {pos}"
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: entropy-coded data follows, no more headers
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        body = data[pos + 4 : pos + 2 + length]
        if marker == 0xFE:
            found.append("COM")
        elif 0xE0 <= marker <= 0xEF and not (marker == 0xE0 and body.startswith(b"JFIF\x00")):
            name = body[:14].split(b"\x00")[0].decode("latin-1")
            found.append(f"APP{marker - 0xE0}:{name}")
        pos += 2 + length
    return found


def _png_metadata(data: bytes) -> list[str]:
    found, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind not in (b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"):
            found.append(kind.decode("latin-1"))
        pos += 12 + length
    return found


def _webp_metadata(data: bytes) -> list[str]:
    found, pos = [], 12
    while pos + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        if kind not in (b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"):
            found.append(kind.decode("latin-1"))
        pos += 8 + length + (length % 2)
    return found
