//! The embedded fonts and measuring text with them: the fallback chain (each
//! character drawn with the first face that has it), widths, fitting and
//! wrapping to a column, and cleaning control characters.
//!
//! The faces (see `assets/fonts/make-fonts.sh`): Noto Sans for Latin with
//! every diacritic, Vietnamese, Greek and Cyrillic; Noto Sans CJK TC for the
//! common traditional Chinese characters in Taiwanese forms; Droid Sans
//! Fallback for every other CJK ideograph, kana and Hangul. They are stored
//! zlib-compressed and inflated once, on the first invoice.

use std::{io::Read, sync::LazyLock};

use skrifa::{
    FontRef, MetadataProvider,
    charmap::Charmap,
    instance::{LocationRef, Size},
    metrics::GlyphMetrics,
};

const NOTO_REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf.z");
const NOTO_BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Bold.ttf.z");
const TC_REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSansTC-Regular.otf.z");
const TC_BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSansTC-Bold.otf.z");
const FALLBACK: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallback.ttf.z");

/// The embedded faces, in this order; `REGULAR_CHAIN` and `BOLD_CHAIN` index it.
const COMPRESSED: [&[u8]; 5] = [NOTO_REGULAR, NOTO_BOLD, TC_REGULAR, TC_BOLD, FALLBACK];
const REGULAR_CHAIN: [usize; 3] = [0, 2, 4];
const BOLD_CHAIN: [usize; 3] = [1, 3, 4];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Font {
    Regular,
    Bold,
}

impl Font {
    fn chain(self) -> &'static [usize] {
        match self {
            Font::Regular => &REGULAR_CHAIN,
            Font::Bold => &BOLD_CHAIN,
        }
    }
}

/// The inflated font files, index as in `COMPRESSED`.
static FONT_DATA: LazyLock<Result<Vec<Vec<u8>>, String>> = LazyLock::new(|| {
    COMPRESSED
        .iter()
        .map(|bytes| {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(*bytes)
                .read_to_end(&mut out)
                .map(|_| out)
                .map_err(|e| format!("inflating an embedded font: {e}"))
        })
        .collect()
});

/// The font files, for embedding; an error when one does not inflate.
pub(super) fn font_data() -> Result<&'static [Vec<u8>], String> {
    FONT_DATA.as_ref().map(Vec::as_slice).map_err(Clone::clone)
}

static FACES: LazyLock<Result<Vec<FontRef<'static>>, String>> = LazyLock::new(|| {
    font_data()?.iter().map(|data| FontRef::new(data).map_err(|e| format!("reading an embedded font: {e}"))).collect()
});

/// One face's character map and advances at a size.
struct Metrics<'a> {
    charmap: Charmap<'a>,
    glyphs: GlyphMetrics<'a>,
}

impl Metrics<'_> {
    fn advance(&self, c: char) -> Option<f32> {
        self.charmap.map(c).and_then(|g| self.glyphs.advance_width(g))
    }
}

fn metrics(font: Font, size: f32) -> Vec<(usize, Metrics<'static>)> {
    let Ok(faces) = FACES.as_ref() else { return Vec::new() };
    font.chain()
        .iter()
        .filter_map(|&i| {
            let face = faces.get(i)?;
            Some((
                i,
                Metrics {
                    charmap: face.charmap(),
                    glyphs: face.glyph_metrics(Size::new(size), LocationRef::default()),
                },
            ))
        })
        .collect()
}

/// A stretch of text drawn with one face (an index into `font_data`), and its width in points.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Run {
    pub(super) face: usize,
    pub(super) text: String,
    pub(super) width: f32,
}

/// Marks that stay with the character before them (combining diacritics,
/// variation selectors, joiners) when that face has them.
fn joins_previous(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x200C | 0x200D)
}

/// Spaces, digits and punctuation: they stay in the face of the text around
/// them (fewer runs, and "台北市 101 號" reads as one piece).
fn neutral(c: char) -> bool {
    c.is_whitespace() || c.is_ascii_digit() || c.is_ascii_punctuation() || matches!(c as u32, 0x2000..=0x206F)
}

/// Splits `text` into runs, each character in the first face of the chain
/// that has it (per-glyph fallback); marks, spaces, digits and punctuation
/// stay in the current run's face when it has them. A character no face has
/// is drawn with the first face (its "missing" box) and measured as one em.
pub(super) fn runs(text: &str, font: Font, size: f32) -> Vec<Run> {
    let chain = metrics(font, size);
    let mut out: Vec<Run> = Vec::new();
    for c in text.chars() {
        let current = out.last().and_then(|run| chain.iter().find(|(i, _)| *i == run.face));
        let kept = current.filter(|_| joins_previous(c) || neutral(c)).and_then(|(i, m)| Some((*i, m.advance(c)?)));
        let (face, width) = kept
            .or_else(|| chain.iter().find_map(|(i, m)| Some((*i, m.advance(c)?))))
            .unwrap_or((font.chain()[0], size));
        match out.last_mut() {
            Some(run) if run.face == face => {
                run.text.push(c);
                run.width += width;
            }
            _ => out.push(Run { face, text: c.to_string(), width }),
        }
    }
    out
}

/// Width of `text` in points.
pub(super) fn text_width(text: &str, font: Font, size: f32) -> f32 {
    runs(text, font, size).iter().map(|run| run.width).sum()
}

/// True when some face of both chains has a glyph for every character of `text`.
#[cfg(test)]
pub fn font_covers(text: &str) -> bool {
    [Font::Regular, Font::Bold].into_iter().all(|font| {
        let chain = metrics(font, 10.0);
        text.chars().filter(|c| !c.is_whitespace()).all(|c| chain.iter().any(|(_, m)| m.charmap.map(c).is_some()))
    })
}

/// The faces of the chain that draw `text` (indices into `font_data`), for tests.
#[cfg(test)]
pub(super) fn faces_used(text: &str, font: Font) -> Vec<usize> {
    runs(text, font, 10.0).into_iter().map(|run| run.face).collect()
}
/// Control characters and line breaks become spaces.
pub(super) fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() || c.is_whitespace() { ' ' } else { c }).collect()
}

pub(super) fn fit(text: &str, font: Font, size: f32, width: f32) -> String {
    if text_width(text, font, size) <= width {
        return text.to_owned();
    }
    let room = width - text_width("...", font, size);
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = text_width(c.encode_utf8(&mut [0; 4]), font, size);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push_str("...");
    out
}

/// Breaks text into lines no wider than `width`, at spaces where possible
/// and inside words that are too long on their own (Chinese has no spaces:
/// it breaks between any two characters).
pub(super) fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let space = text_width(" ", font, size);
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate_width = if line.is_empty() {
            text_width(word, font, size)
        } else {
            text_width(&line, font, size) + space + text_width(word, font, size)
        };
        if candidate_width <= width {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone: split it where it no longer fits.
        let mut used = 0.0;
        for c in word.chars() {
            let w = text_width(c.encode_utf8(&mut [0; 4]), font, size);
            if !line.is_empty() && used + w > width {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(c);
            used += w;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
