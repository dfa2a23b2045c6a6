#!/usr/bin/env python3
"""Generates crates/core/src/grapheme/data.rs: the Unicode ranges the grapheme rules need
(marks and controls), from Python's unicodedata database.

    python3 crates/core/data/gen-grapheme-data.py --ucd unicodedata2-14.0.0.tar.gz
    python3 crates/core/data/gen-grapheme-data.py          (this Python's own unicodedata)

With --ucd, the general categories come from the source distribution of the PyPI package
unicodedata2 (CPython's unicodedata module for one Unicode version, whose tables are in
unicodedata2/unicodedata_db.h), read as text: any Python 3 then writes the same file, whatever
Unicode version its own unicodedata has. `npm run gen` and `npm run check` pass the pinned
one (scripts/setup.sh, part unicode). Without --ucd, this Python's unicodedata is used, which
is how the tables move to a new Unicode version on purpose.

Why not the unicode-segmentation crate: its tables cost ~18 KB gzipped of wasm, while SMS
counting only needs marks, controls and a few hand-listed classes (see grapheme.rs).
"""
import argparse
import pathlib
import re
import sys
import tarfile
import unicodedata

EXTEND, SPACING_MARK, CONTROL = 0, 1, 2

# Other_Grapheme_Extend: spacing marks (Mc) that are Extend for grapheme breaking.
OTHER_GRAPHEME_EXTEND = {
    0x09BE, 0x09D7, 0x0B3E, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2, 0x0CD5, 0x0CD6, 0x0D3E, 0x0D57,
    0x0DCF, 0x0DDF, 0x1B35, 0x302E, 0x302F, 0x1133E, 0x11357, 0x114B0, 0x114BD, 0x115AF,
    0x11930, 0x1D165, 0x1D16E, 0x1D16F, 0x1D170, 0x1D171, 0x1D172,
}
# Not controls for grapheme breaking although Cf: joiners, prepended format characters, tags.
NOT_CONTROL = {0x200C, 0x200D} | set(range(0x0600, 0x0606)) | {0x06DD, 0x070F, 0x0890, 0x0891,
    0x08E2, 0x110BD, 0x110CD} | set(range(0xE0020, 0xE0080))
# UAX #29's exceptions to SpacingMark: spacing marks (Mc) whose Grapheme_Cluster_Break is
# Other (Myanmar, Tai Tham and Ahom vowel signs and tone marks).
NOT_SPACING_MARK = {0x102B, 0x102C, 0x1038, 0x1083, 0x108F, 0x1A61, 0x1A63, 0x1A64, 0xAA7B,
    0xAA7D, 0x11720, 0x11721} | set(range(0x1062, 0x1065)) | set(range(0x1067, 0x106E)) \
    | set(range(0x1087, 0x108D)) | set(range(0x109A, 0x109D))
# Default_Ignorable_Code_Point blocks (DerivedCoreProperties.txt) whose unassigned code points
# UAX #29 makes Control ("Unassigned and Default_Ignorable_Code_Point"); unicodedata has no
# such property, so the ranges are listed.
DEFAULT_IGNORABLE_BLOCKS = [(0x2060, 0x206F), (0xFFF0, 0xFFF8), (0xE0000, 0xE0FFF)]


def categories_from_sdist(path):
    """(Unicode version, general category of each code point) from unicodedata2's sdist:
    the lookup of CPython's unicodedata.c (_getrecord_ex) over the tables of
    unicodedata_db.h."""
    with tarfile.open(path) as tar:
        members = [m for m in tar.getmembers() if m.name.endswith("/unicodedata2/unicodedata_db.h")]
        if len(members) != 1:
            sys.exit(f"{path}: no unicodedata2/unicodedata_db.h in it")
        text = tar.extractfile(members[0]).read().decode("ascii")

    def define(name):
        return re.search(r"^#define " + name + r" (.+)$", text, re.M).group(1).strip()

    def array(name):
        return re.search(r"\b" + name + r"\[\] = \{(.*?)\};", text, re.S).group(1)

    version = define("UNIDATA_VERSION").strip('"')
    shift = int(define("SHIFT"))
    records = [int(m.group(1)) for m in re.finditer(r"\{(\d+),", array("_PyUnicode_Database_Records"))]
    names = re.findall(r'"([^"]*)"', array("_PyUnicode_CategoryNames"))
    index1 = [int(n) for n in re.findall(r"\d+", array("index1"))]
    index2 = [int(n) for n in re.findall(r"\d+", array("index2"))]
    mask = (1 << shift) - 1
    categories = [names[records[index2[(index1[cp >> shift] << shift) + (cp & mask)]]]
                  for cp in range(0x110000)]
    return version, categories


args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
args.add_argument("--ucd", help="unicodedata2's source distribution (.tar.gz) to read the data from")
args = args.parse_args()
if args.ucd:
    UNIDATA_VERSION, CATEGORIES = categories_from_sdist(args.ucd)
    if unicodedata.unidata_version == UNIDATA_VERSION:
        # This Python has the same Unicode version: both readings must agree everywhere.
        differ = [cp for cp in range(0x110000) if unicodedata.category(chr(cp)) != CATEGORIES[cp]]
        if differ:
            sys.exit(f"{args.ucd} and this Python's unicodedata ({UNIDATA_VERSION}) disagree on "
                     f"{len(differ)} code points, first U+{differ[0]:04X}")
else:
    UNIDATA_VERSION = unicodedata.unidata_version
    CATEGORIES = [unicodedata.category(chr(cp)) for cp in range(0x110000)]


def grapheme_class(cp):
    cat = CATEGORIES[cp]
    if cp in OTHER_GRAPHEME_EXTEND or cat in ("Mn", "Me") or cp == 0x200C \
            or 0xFF9E <= cp <= 0xFF9F or 0xE0020 <= cp <= 0xE007F:
        return EXTEND
    if (cat == "Mc" and cp not in NOT_SPACING_MARK) or cp in (0x0E33, 0x0EB3):
        return SPACING_MARK
    if cat in ("Cc", "Cf", "Zl", "Zp") and cp not in NOT_CONTROL and cp not in (0x0D, 0x0A):
        return CONTROL
    if cat == "Cn" and any(lo <= cp <= hi for lo, hi in DEFAULT_IGNORABLE_BLOCKS):
        return CONTROL
    return None


entries = []
start = prev = cls = None
for cp in range(0x110000):
    c = grapheme_class(cp)
    if c is not None and c == cls and cp == prev + 1 and cp - start < 256:
        prev = cp
        continue
    if cls is not None:
        entries.append((start, prev, cls))
    start, prev, cls = (cp, cp, c) if c is not None else (None, None, None)
if cls is not None:
    entries.append((start, prev, cls))

packed = [(s << 11) | (c << 8) | (e - s) for s, e, c in entries]
lines = []
for i in range(0, len(packed), 8):
    lines.append("    " + " ".join(f"0x{p:08X}," for p in packed[i:i + 8]))
out = f"""// @generated by crates/core/data/gen-grapheme-data.py from Unicode {UNIDATA_VERSION}
// (Python's unicodedata) — do not edit.

/// Unicode version of the ranges.
pub const UNICODE_VERSION: &str = "{UNIDATA_VERSION}";

/// Ranges of grapheme classes, sorted: `start << 11 | class << 8 | (end - start)`, class
/// 0 = Extend, 1 = SpacingMark, 2 = Control.
#[rustfmt::skip]
pub static RANGES: [u32; {len(packed)}] = [
{chr(10).join(lines)}
];
"""
path = pathlib.Path(__file__).resolve().parent.parent / "src" / "grapheme" / "data.rs"
path.parent.mkdir(exist_ok=True)
path.write_text(out)
print(f"wrote {len(packed)} ranges to {path}")
