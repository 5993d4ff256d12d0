//! The embedded fonts and measuring text with them: widths, fitting and
//! wrapping to a column, and cleaning control characters.

use std::sync::LazyLock;

use skrifa::{
    FontRef, MetadataProvider,
    instance::{LocationRef, Size},
};

pub(super) const REGULAR_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansTC-Regular-subset.otf");
pub(super) const BOLD_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansTC-Bold-subset.otf");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Font {
    Regular,
    Bold,
}

/// Glyph advances for measuring text, read from the embedded fonts.
pub(super) struct Measure {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

pub(super) static MEASURE: LazyLock<Option<Measure>> =
    LazyLock::new(|| Some(Measure { regular: FontRef::new(REGULAR_FONT).ok()?, bold: FontRef::new(BOLD_FONT).ok()? }));

/// Width of `text` in points. Characters the font lacks count as one em.
pub(super) fn text_width(text: &str, font: Font, size: f32) -> f32 {
    let Some(measure) = MEASURE.as_ref() else {
        return text.chars().count() as f32 * size * 0.6;
    };
    let font_ref = match font {
        Font::Regular => &measure.regular,
        Font::Bold => &measure.bold,
    };
    let charmap = font_ref.charmap();
    let metrics = font_ref.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars().map(|c| charmap.map(c).and_then(|g| metrics.advance_width(g)).unwrap_or(size)).sum()
}

/// True when the embedded font has a glyph for every character of `text`.
#[cfg(test)]
pub fn font_covers(text: &str) -> bool {
    let Some(measure) = MEASURE.as_ref() else { return false };
    let regular = measure.regular.charmap();
    let bold = measure.bold.charmap();
    text.chars().filter(|c| !c.is_whitespace()).all(|c| regular.map(c).is_some() && bold.map(c).is_some())
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
