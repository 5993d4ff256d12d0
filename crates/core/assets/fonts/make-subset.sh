#!/bin/sh
# Makes the invoice fonts: Noto Sans CJK TC (SIL Open Font License 1.1),
# regular and bold, cut down to the characters LicenseDesk's languages use —
# Latin with the Nordic and Dutch letters, punctuation, currency signs, and
# the 5,401 common traditional Chinese characters (Big5 level 1) with CJK
# punctuation. Needs Debian's fonts-noto-cjk and `pip install fonttools`.
set -eu
cd "$(dirname "$0")"
chars=$(mktemp)
trap 'rm -f "$chars"' EXIT
python3 - "$chars" <<'PY'
import sys
cs = set()
for hi in range(0xA4, 0xC7):
    for lo in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
        try:
            c = bytes([hi, lo]).decode("big5")
        except UnicodeDecodeError:
            continue
        if "\u4e00" <= c <= "\u9fff":
            cs.add(c)
ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x2010, 0x205E), (0x20A0, 0x20C0), (0x2100, 0x2150),
          (0x2190, 0x2199), (0x2212, 0x2212), (0x3000, 0x303F), (0xFF01, 0xFF5E), (0xFFE0, 0xFFE6)]
for lo, hi in ranges:
    cs.update(chr(c) for c in range(lo, hi + 1))
open(sys.argv[1], "w").write("".join(sorted(cs)))
PY
for weight in Regular Bold; do
  pyftsubset "/usr/share/fonts/opentype/noto/NotoSansCJK-$weight.ttc" --font-number=3 \
    --text-file="$chars" --layout-features='kern,liga,ccmp,locl,vert' --no-hinting \
    --name-IDs='*' --output-file="NotoSansTC-$weight-subset.otf"
done
ls -l NotoSansTC-*-subset.otf
