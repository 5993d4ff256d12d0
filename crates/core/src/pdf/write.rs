//! Writing the laid-out pages as a PDF with `krilla`: the fonts embedded
//! (subset, with a ToUnicode map) and the document's metadata.

use krilla::{
    Document,
    color::luma,
    geom::{PathBuilder, Point},
    metadata::Metadata,
    num::NormalizedF32,
    page::PageSettings,
    paint::{Fill, Stroke},
    text::{Font as KrillaFont, TextDirection},
};

use super::{
    InvoicePdf,
    fonts::{font_data, runs},
    labels::Labels,
    layout::{Op, PAGE_HEIGHT, PAGE_WIDTH, PageOps},
};
use crate::i18n::Lang;

pub(super) fn gray_fill(gray: f32) -> Fill {
    let level = (gray.clamp(0.0, 1.0) * 255.0).round() as u8;
    Fill { paint: luma::Color::new(level).into(), opacity: NormalizedF32::ONE, rule: Default::default() }
}

pub(super) fn write_pdf(invoice: &InvoicePdf, labels: &Labels, pages: &[PageOps]) -> Result<Vec<u8>, String> {
    // One krilla font per face: the document embeds each face once, subset to the glyphs used.
    let faces = font_data()?
        .iter()
        .map(|data| KrillaFont::new(data.as_slice().into(), 0).ok_or("an embedded font does not load"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut document = Document::new();
    let language = match invoice.lang {
        Lang::En => "en",
        Lang::Sv => "sv",
        Lang::Da => "da",
        Lang::Nl => "nl",
        Lang::ZhTw => "zh-TW",
    };
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {}", labels.invoice, invoice.invoice_number))
            .producer("LicenseDesk".to_owned())
            .language(language.to_owned()),
    );
    for page_ops in pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or("bad page size")?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in &page_ops.ops {
            match op {
                Op::Text { x, y, font, size, gray, text } => {
                    surface.set_fill(Some(gray_fill(*gray)));
                    // Per-glyph fallback: each run in the face that has its characters.
                    let mut x = *x;
                    for run in runs(text, *font, *size) {
                        let face = faces.get(run.face).ok_or("a font run names no face")?.clone();
                        surface.draw_text(
                            Point::from_xy(x, PAGE_HEIGHT - *y),
                            face,
                            *size,
                            &run.text,
                            false,
                            TextDirection::Auto,
                        );
                        x += run.width;
                    }
                }
                Op::Line { x1, x2, y, width, gray } => {
                    let mut builder = PathBuilder::new();
                    builder.move_to(*x1, PAGE_HEIGHT - *y);
                    builder.line_to(*x2, PAGE_HEIGHT - *y);
                    if let Some(path) = builder.finish() {
                        let level = (gray.clamp(0.0, 1.0) * 255.0).round() as u8;
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: luma::Color::new(level).into(),
                            width: *width,
                            ..Default::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| format!("writing the PDF: {e:?}"))
}
