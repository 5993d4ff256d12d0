#!/bin/sh
# Makes the invoice fonts (issue 24 item 3), a chain tried glyph by glyph:
#   1. Noto Sans (SIL OFL 1.1), regular and bold: Latin with every diacritic
#      (Vietnamese included), Greek, Cyrillic, punctuation, currency signs.
#   2. Noto Sans CJK TC (SIL OFL 1.1), regular and bold: the 5,401 common
#      traditional Chinese characters (Big5 level 1), CJK punctuation, so
#      zh-TW invoices print in Taiwanese glyph forms and in both weights.
#   3. Droid Sans Fallback (Apache 2.0), one weight: every other CJK
#      ideograph (basic block and extension A), kana, Hangul, Bopomofo — the
#      rare characters of people's names ("淼").
# Each is cut down with fonttools' pyftsubset (layout features kept, so
# combining marks and ligatures still shape) and stored zlib-compressed
# (*.z); the PDF embeds only the glyphs an invoice uses.
# Needs Debian's fonts-noto-core, fonts-noto-cjk and fonts-droid-fallback and
# `pip install fonttools`.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
big5 = set()
for hi in range(0xA4, 0xC7):
    for lo in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
        try:
            c = bytes([hi, lo]).decode("big5")
        except UnicodeDecodeError:
            continue
        if "\u4e00" <= c <= "\u9fff":
            big5.add(c)
tc = set(big5)
for lo, hi in [(0x20, 0x7E), (0xA0, 0x24F), (0x2010, 0x205E), (0x20A0, 0x20C0), (0x2100, 0x2150),
               (0x2190, 0x2199), (0x2212, 0x2212), (0x3000, 0x303F), (0xFF01, 0xFF5E), (0xFFE0, 0xFFE6)]:
    tc.update(chr(c) for c in range(lo, hi + 1))
open(f"{work}/tc.txt", "w").write("".join(sorted(tc)))
rest = set()
for lo, hi in [(0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3040, 0x30FF), (0x3100, 0x312F),
               (0x3130, 0x318F), (0x31A0, 0x31FF), (0x3200, 0x33FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
               (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF)]:
    rest.update(chr(c) for c in range(lo, hi + 1))
open(f"{work}/rest.txt", "w").write("".join(sorted(rest - tc)))
PY
latin="U+0020-007E,U+00A0-024F,U+0250-02FF,U+0300-036F,U+0370-03FF,U+0400-052F,U+1AB0-1AFF,U+1C80-1C8F,U+1D00-1DBF,U+1DC0-1DFF,U+1E00-1EFF,U+1F00-1FFF,U+2000-206F,U+2070-209F,U+20A0-20CF,U+2100-214F,U+2150-218F,U+2190-21FF,U+2212,U+2C60-2C7F,U+2DE0-2DFF,U+A640-A69F,U+A720-A7FF,U+AB30-AB6F,U+FB00-FB06,U+FFFD"
for weight in Regular Bold; do
  pyftsubset "/usr/share/fonts/truetype/noto/NotoSans-$weight.ttf" --unicodes="$latin" \
    --layout-features='*' --no-hinting --name-IDs='*' --output-file="$work/NotoSans-$weight.ttf"
  pyftsubset "/usr/share/fonts/opentype/noto/NotoSansCJK-$weight.ttc" --font-number=3 \
    --text-file="$work/tc.txt" --layout-features='kern,liga,ccmp,locl,vert' --no-hinting \
    --name-IDs='*' --output-file="$work/NotoSansTC-$weight.otf"
done
pyftsubset /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf --text-file="$work/rest.txt" \
  --layout-features='*' --no-hinting --name-IDs='*' --output-file="$work/DroidSansFallback.ttf"
for f in "$work"/*.ttf "$work"/*.otf; do
  python3 -c 'import sys, zlib; open(sys.argv[2], "wb").write(zlib.compress(open(sys.argv[1], "rb").read(), 9))' \
    "$f" "$(basename "$f").z"
done
ls -l ./*.z
