# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A streaming multipart/form-data reader: file parts go to disk chunk by chunk, never whole into memory."""

import re

from tests.emulator.errors import ApiError

CHUNK = 256 * 1024
MAX_PART_HEADERS = 16 * 1024

_BOUNDARY_RE = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_NAME_RE = re.compile(r'[;\s]name="([^"]*)"|[;\s]name=([^;\s]+)', re.IGNORECASE)


def boundary_of(content_type):
    """The boundary of a multipart/form-data Content-Type, or None."""
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        return None
    match = _BOUNDARY_RE.search(content_type)
    if not match:
        return None
    return (match.group(1) or match.group(2)).encode("latin-1")


def _part_name(header_block):
    for line in header_block.split(b"\r\n"):
        key, _sep, value = line.decode("latin-1").partition(":")
        if key.strip().lower() == "content-disposition":
            match = _NAME_RE.search(";" + value)
            if match:
                return match.group(1) if match.group(1) is not None else match.group(2)
    return None


def parse(read, boundary, open_file, too_large=None):
    """Read a multipart body through read(n) (returns b'' at the end).

    open_file(name) returns a writable object for a field to keep on disk, or None to discard it.
    too_large(name, size) may raise to stop. Returns the set of field names seen (complete parts only).
    """
    delim = b"\r\n--" + boundary
    buf = b"\r\n"            # lets the very first delimiter match like the others
    state = "preamble"
    seen = set()
    sink = None
    name = None
    size = 0
    eof = False

    while True:
        if state == "preamble":
            idx = buf.find(delim)
            if idx < 0:
                buf = buf[-len(delim):]
            else:
                buf = buf[idx + len(delim):]
                state = "after_delim"
                continue
        elif state == "after_delim":
            if len(buf) >= 2:
                if buf[:2] == b"--":
                    return seen
                end = buf.find(b"\r\n")
                if end >= 0:
                    buf = buf[end + 2:]
                    state = "headers"
                    continue
                if len(buf) > 1024:
                    raise ApiError(400, "invalid_module", "Malformed multipart body: bad boundary line")
        elif state == "headers":
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                name = _part_name(buf[:end])
                buf = buf[end + 4:]
                sink = open_file(name) if name is not None else None
                size = 0
                state = "body"
                continue
            if len(buf) > MAX_PART_HEADERS:
                raise ApiError(400, "invalid_module", "Malformed multipart body: part headers too long")
        elif state == "body":
            idx = buf.find(delim)
            keep = len(buf) if idx < 0 else idx
            if idx < 0:
                keep = max(0, len(buf) - len(delim) + 1)
            if keep:
                size += keep
                if too_large is not None:
                    too_large(name, size)
                if sink is not None:
                    sink.write(buf[:keep])
                buf = buf[keep:]
            if idx >= 0:
                if name is not None:
                    seen.add(name)
                sink = None
                buf = buf[len(delim):]
                state = "after_delim"
                continue
        if eof:
            raise ApiError(400, "invalid_module", "Malformed multipart body: it ends before the closing boundary")
        chunk = read(CHUNK)
        if not chunk:
            eof = True
        buf += chunk
