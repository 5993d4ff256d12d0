//! The invoice as a PDF (R32): A4 pages laid out here, written with `krilla`,
//! which shapes the text and embeds a subset of the font with a ToUnicode map,
//! so every character stays extractable. The font is Noto Sans CJK TC
//! (regular and bold, cut down by `assets/fonts/make-subset.sh`): Latin with
//! the Nordic and Dutch letters and traditional Chinese in one face, so names
//! like "台北" and "Ærøskøbing" print as written. Labels come in the billing
//! profile's language (`labels`).

mod labels;

use std::sync::LazyLock;

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
use skrifa::{
    FontRef, MetadataProvider,
    instance::{LocationRef, Size},
};

pub use labels::{Labels, labels, language_for_country};

use crate::i18n::Lang;

const REGULAR_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansTC-Regular-subset.otf");
const BOLD_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansTC-Bold-subset.otf");

/// One invoice line, already formatted for display.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvoicePdfLine {
    pub product: String,
    /// The subscription the line charges (its ID).
    pub subscription: String,
    pub description: String,
    pub period: String,
    pub quantity: String,
    pub unit_price: String,
    pub amount: String,
}

/// Who sells: from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PdfSeller {
    pub name: String,
    pub address: Vec<String>,
    pub tax_id: Option<String>,
}

/// One tax line: its label (e.g. "VAT 0%") and amount.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaxLine {
    pub label: String,
    pub amount: String,
}

/// Everything printed on an invoice, already formatted for display.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvoicePdf {
    pub lang: Lang,
    pub seller: PdfSeller,
    pub organization_name: String,
    /// Address lines, top to bottom.
    pub bill_to: Vec<String>,
    pub po_number: Option<String>,
    pub invoice_number: String,
    pub issue_date: String,
    pub due_date: String,
    pub paid_date: Option<String>,
    /// Already in the invoice's language.
    pub status: String,
    pub currency: String,
    pub lines: Vec<InvoicePdfLine>,
    pub subtotal: String,
    pub tax_lines: Vec<TaxLine>,
    pub total: String,
    /// E.g. "VISA ending 4242" or "Check or wire transfer"; never a full card number.
    pub payment_method: String,
}

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
/// Lowest baseline for body text; the footer sits below it.
const BOTTOM: f32 = 70.0;
const TABLE_SIZE: f32 = 8.0;
const TABLE_LEADING: f32 = 10.5;
const ROW_GAP: f32 = 4.0;
/// Address lines and long values are cut off rather than filling the page.
const MAX_BLOCK_LINES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

/// Glyph advances for measuring text, read from the embedded fonts.
struct Measure {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

static MEASURE: LazyLock<Option<Measure>> =
    LazyLock::new(|| Some(Measure { regular: FontRef::new(REGULAR_FONT).ok()?, bold: FontRef::new(BOLD_FONT).ok()? }));

/// Width of `text` in points. Characters the font lacks count as one em.
fn text_width(text: &str, font: Font, size: f32) -> f32 {
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
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() || c.is_whitespace() { ' ' } else { c }).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

struct Column {
    x: f32,
    width: f32,
    align: Align,
}

/// Product (with subscription below), description, period, quantity, unit price, amount.
const COLUMNS: [Column; 6] = [
    Column { x: MARGIN, width: 105.0, align: Align::Left },
    Column { x: 160.0, width: 120.0, align: Align::Left },
    Column { x: 285.0, width: 100.0, align: Align::Left },
    Column { x: 390.0, width: 35.0, align: Align::Right },
    Column { x: 430.0, width: 55.0, align: Align::Right },
    Column { x: 490.0, width: RIGHT - 490.0, align: Align::Right },
];

enum Op {
    Text { x: f32, y: f32, font: Font, size: f32, gray: f32, text: String },
    Line { x1: f32, x2: f32, y: f32, width: f32, gray: f32 },
}

/// The drawing of one page, built top to bottom (PDF coordinates: y up).
struct PageOps {
    ops: Vec<Op>,
}

impl PageOps {
    fn text(&mut self, x: f32, y: f32, font: Font, size: f32, text: &str) {
        self.text_gray(x, y, font, size, 0.0, text);
    }

    fn text_gray(&mut self, x: f32, y: f32, font: Font, size: f32, gray: f32, text: &str) {
        if !text.trim().is_empty() {
            self.ops.push(Op::Text { x, y, font, size, gray, text: text.to_owned() });
        }
    }

    fn text_right(&mut self, right: f32, y: f32, font: Font, size: f32, text: &str) {
        let x = right - text_width(text, font, size);
        self.text(x, y, font, size, text);
    }

    fn rule(&mut self, y: f32, width: f32, gray: f32) {
        self.ops.push(Op::Line { x1: MARGIN, x2: RIGHT, y, width, gray });
    }
}

/// Lays the invoice out over as many pages as it needs.
struct Layout<'a> {
    invoice: &'a InvoicePdf,
    labels: &'static Labels,
    pages: Vec<PageOps>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(invoice: &'a InvoicePdf) -> Self {
        Layout { invoice, labels: labels(invoice.lang), pages: Vec::new(), y: TOP }
    }

    fn page(&mut self) -> &mut PageOps {
        if self.pages.is_empty() {
            self.pages.push(PageOps { ops: Vec::new() });
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(PageOps { ops: Vec::new() });
        self.y = TOP;
        let title =
            format!("{} {} ({})", self.labels.invoice, clean(&self.invoice.invoice_number), self.labels.continued);
        let title = fit(&title, Font::Bold, 14.0, RIGHT - MARGIN);
        let y = self.y - 14.0;
        self.page().text(MARGIN, y, Font::Bold, 14.0, &title);
        self.y = y - 24.0;
    }

    /// A block of lines under a small grey heading; returns the y below it.
    fn block(&mut self, x: f32, mut y: f32, width: f32, heading: &str, name: &str, lines: &[String]) -> f32 {
        self.page().text_gray(x, y, Font::Bold, 8.0, 0.4, heading);
        y -= 14.0;
        for line in wrap(&clean(name), Font::Bold, 11.0, width).iter().take(3) {
            self.page().text(x, y, Font::Bold, 11.0, line);
            y -= 14.0;
        }
        let mut wrapped = Vec::new();
        for line in lines {
            wrapped.extend(wrap(&clean(line), Font::Regular, 9.5, width));
        }
        for line in wrapped.iter().take(MAX_BLOCK_LINES) {
            self.page().text(x, y, Font::Regular, 9.5, line);
            y -= 12.5;
        }
        y
    }

    fn header(&mut self) {
        let inv = self.invoice;
        let l = self.labels;
        let title = format!("{} {}", l.invoice, clean(&inv.invoice_number));
        let title = fit(&title, Font::Bold, 20.0, RIGHT - MARGIN);
        let y = self.y - 20.0;
        self.page().text(MARGIN, y, Font::Bold, 20.0, &title);
        self.y = y - 28.0;

        // Left: seller, then buyer. Right: the invoice facts.
        let top = self.y;
        let left_width = 250.0;
        let mut seller_lines = inv.seller.address.clone();
        if let Some(tax_id) = inv.seller.tax_id.as_deref().filter(|t| !t.trim().is_empty()) {
            seller_lines.push(format!("{}: {}", l.tax_id, tax_id));
        }
        let left = self.block(MARGIN, top, left_width, l.seller, &inv.seller.name, &seller_lines);
        let left = self.block(MARGIN, left - 10.0, left_width, l.bill_to, &inv.organization_name, &inv.bill_to);

        let mut facts: Vec<(&str, &str)> =
            vec![(l.invoice_number, &inv.invoice_number), (l.issue_date, &inv.issue_date), (l.due_date, &inv.due_date)];
        if let Some(paid) = inv.paid_date.as_deref() {
            facts.push((l.paid_date, paid));
        }
        facts.push((l.status, &inv.status));
        facts.push((l.currency, &inv.currency));
        if let Some(po) = inv.po_number.as_deref().filter(|po| !po.trim().is_empty()) {
            facts.push((l.po_number, po));
        }
        let label_x = 330.0;
        let value_x = 420.0;
        let mut right = top;
        for (label, value) in facts {
            let label = fit(label, Font::Regular, 9.0, value_x - label_x - 5.0);
            self.page().text_gray(label_x, right, Font::Regular, 9.0, 0.4, &label);
            let lines = wrap(&clean(value), Font::Bold, 10.0, RIGHT - value_x);
            for line in lines.iter().take(3) {
                self.page().text(value_x, right, Font::Bold, 10.0, line);
                right -= 13.0;
            }
            if lines.is_empty() {
                right -= 13.0;
            }
        }
        self.y = left.min(right) - 14.0;
    }

    fn table_header(&mut self) {
        let l = self.labels;
        let titles = [l.product, l.description, l.period, l.quantity, l.unit_price, l.amount];
        let y = self.y - TABLE_SIZE;
        for (col, title) in COLUMNS.iter().zip(titles) {
            let title = fit(title, Font::Bold, TABLE_SIZE, col.width);
            match col.align {
                Align::Left => self.page().text(col.x, y, Font::Bold, TABLE_SIZE, &title),
                Align::Right => self.page().text_right(col.x + col.width, y, Font::Bold, TABLE_SIZE, &title),
            }
        }
        self.page().rule(y - 5.0, 0.8, 0.0);
        self.y = y - 5.0 - ROW_GAP;
    }

    fn table(&mut self) {
        self.table_header();
        let l = self.labels;
        for line in &self.invoice.lines {
            let product = clean(&line.product);
            let subscription = format!("{} {}", l.subscription, clean(&line.subscription));
            let cells = [&line.description, &line.period, &line.quantity, &line.unit_price, &line.amount];
            // The product column: the product, then the subscription in grey.
            let mut first_column: Vec<(String, f32)> = wrap(&product, Font::Regular, TABLE_SIZE, COLUMNS[0].width)
                .into_iter()
                .take(MAX_BLOCK_LINES)
                .map(|t| (t, 0.0))
                .collect();
            first_column.extend(
                wrap(&subscription, Font::Regular, TABLE_SIZE - 1.0, COLUMNS[0].width)
                    .into_iter()
                    .take(3)
                    .map(|t| (t, 0.45)),
            );
            let wrapped: Vec<Vec<String>> = COLUMNS[1..]
                .iter()
                .zip(cells)
                .map(|(col, cell)| {
                    let mut lines = wrap(&clean(cell), Font::Regular, TABLE_SIZE, col.width);
                    lines.truncate(MAX_BLOCK_LINES);
                    lines
                })
                .collect();
            let rows = wrapped.iter().map(Vec::len).max().unwrap_or(0).max(first_column.len()).max(1);
            let height = rows as f32 * TABLE_LEADING + ROW_GAP;
            if self.y - height < BOTTOM {
                self.new_page();
                self.table_header();
            }
            let first = self.y - TABLE_SIZE;
            for (i, (text, gray)) in first_column.iter().enumerate() {
                let y = first - i as f32 * TABLE_LEADING;
                let size = if *gray > 0.0 { TABLE_SIZE - 1.0 } else { TABLE_SIZE };
                self.page().text_gray(COLUMNS[0].x, y, Font::Regular, size, *gray, text);
            }
            for (col, lines) in COLUMNS[1..].iter().zip(&wrapped) {
                for (i, text) in lines.iter().enumerate() {
                    let y = first - i as f32 * TABLE_LEADING;
                    match col.align {
                        Align::Left => self.page().text(col.x, y, Font::Regular, TABLE_SIZE, text),
                        Align::Right => self.page().text_right(col.x + col.width, y, Font::Regular, TABLE_SIZE, text),
                    }
                }
            }
            self.y -= height;
            let rule_y = self.y + ROW_GAP / 2.0;
            self.page().rule(rule_y, 0.3, 0.75);
        }
        if self.invoice.lines.is_empty() {
            let y = self.y - TABLE_SIZE;
            self.page().text_gray(MARGIN, y, Font::Regular, TABLE_SIZE, 0.4, l.no_charges);
            self.y = y - TABLE_LEADING;
        }
    }

    fn totals(&mut self) {
        let inv = self.invoice;
        let l = self.labels;
        let height = 110.0 + 16.0 * inv.tax_lines.len() as f32;
        if self.y - height < BOTTOM {
            self.new_page();
        }
        let label_x = 330.0;
        let label_width = 110.0;
        let value_width = RIGHT - label_x - label_width;
        let mut y = self.y - 16.0;
        self.page().text(label_x, y, Font::Regular, 10.0, &fit(l.subtotal, Font::Regular, 10.0, label_width));
        self.page().text_right(
            RIGHT,
            y,
            Font::Regular,
            10.0,
            &fit(&clean(&inv.subtotal), Font::Regular, 10.0, value_width),
        );
        for tax in &inv.tax_lines {
            y -= 14.0;
            let label = fit(&clean(&tax.label), Font::Regular, 10.0, label_width);
            self.page().text(label_x, y, Font::Regular, 10.0, &label);
            let amount = fit(&clean(&tax.amount), Font::Regular, 10.0, value_width);
            self.page().text_right(RIGHT, y, Font::Regular, 10.0, &amount);
        }
        y -= 8.0;
        self.page().ops.push(Op::Line { x1: label_x, x2: RIGHT, y, width: 0.8, gray: 0.0 });
        y -= 16.0;
        let label = fit(&format!("{} ({})", l.total, clean(&inv.currency)), Font::Bold, 12.0, label_width);
        self.page().text(label_x, y, Font::Bold, 12.0, &label);
        let total = fit(&clean(&inv.total), Font::Bold, 12.0, value_width);
        self.page().text_right(RIGHT, y, Font::Bold, 12.0, &total);

        let y = y - 32.0;
        let label = fit(l.payment_method, Font::Regular, 9.0, 95.0);
        self.page().text_gray(MARGIN, y, Font::Regular, 9.0, 0.4, &label);
        let method = fit(&clean(&inv.payment_method), Font::Bold, 10.0, RIGHT - 150.0);
        self.page().text(150.0, y, Font::Bold, 10.0, &method);
        self.y = y - 14.0;
    }

    fn footers(&mut self) {
        let count = self.pages.len();
        let l = self.labels;
        let left = fit(
            &format!("{} {} · {}", l.invoice, clean(&self.invoice.invoice_number), clean(&self.invoice.seller.name)),
            Font::Regular,
            8.0,
            330.0,
        );
        for (i, page) in self.pages.iter_mut().enumerate() {
            page.text_gray(MARGIN, 40.0, Font::Regular, 8.0, 0.4, &left);
            let of = l.page_of(i + 1, count);
            let x = RIGHT - text_width(&of, Font::Regular, 8.0);
            page.text_gray(x, 40.0, Font::Regular, 8.0, 0.4, &of);
        }
    }
}

/// Renders the invoice as a PDF document.
pub fn render_invoice_pdf(invoice: &InvoicePdf) -> Result<Vec<u8>, String> {
    let mut layout = Layout::new(invoice);
    layout.header();
    layout.table();
    layout.totals();
    layout.footers();
    write_pdf(invoice, layout.labels, &layout.pages)
}

fn gray_fill(gray: f32) -> Fill {
    let level = (gray.clamp(0.0, 1.0) * 255.0).round() as u8;
    Fill { paint: luma::Color::new(level).into(), opacity: NormalizedF32::ONE, rule: Default::default() }
}

fn write_pdf(invoice: &InvoicePdf, labels: &Labels, pages: &[PageOps]) -> Result<Vec<u8>, String> {
    let regular = KrillaFont::new(REGULAR_FONT.into(), 0).ok_or("the embedded regular font does not load")?;
    let bold = KrillaFont::new(BOLD_FONT.into(), 0).ok_or("the embedded bold font does not load")?;
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
                    let font = match font {
                        Font::Regular => regular.clone(),
                        Font::Bold => bold.clone(),
                    };
                    surface.draw_text(
                        Point::from_xy(*x, PAGE_HEIGHT - *y),
                        font,
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
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

/// Shortens text to `width`, ending in "..." when something was cut.
fn fit(text: &str, font: Font, size: f32, width: f32) -> String {
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
fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(i: usize) -> InvoicePdfLine {
        InvoicePdfLine {
            product: format!("Contoso Analytics {i}"),
            subscription: format!("0190a1b2-0000-7000-8000-{i:012}"),
            description: "Added licenses, pro rata for the rest of the current term".into(),
            period: "2025-01-15 - 2025-02-14".into(),
            quantity: "5".into(),
            unit_price: "12.00".into(),
            amount: "1,234,567.89".into(),
        }
    }

    fn invoice(lines: usize) -> InvoicePdf {
        InvoicePdf {
            lang: Lang::En,
            seller: PdfSeller {
                name: "LicenseDesk AB".into(),
                address: vec!["Kungsgatan 1".into(), "111 43 Stockholm".into()],
                tax_id: Some("SE556000000001".into()),
            },
            organization_name: "Fabrikam (Nordic) AB".into(),
            bill_to: vec!["Drottninggatan 1".into(), "111 51 Stockholm".into(), "Sweden".into()],
            po_number: Some("PO-7781".into()),
            invoice_number: "INV-2025-000042".into(),
            issue_date: "2025-02-01".into(),
            due_date: "2025-03-03".into(),
            paid_date: Some("2025-02-10".into()),
            status: "Paid".into(),
            currency: "SEK".into(),
            lines: (0..lines).map(line).collect(),
            subtotal: "4,321.50".into(),
            tax_lines: vec![TaxLine { label: "Tax 0%".into(), amount: "0.00".into() }],
            total: "4,321.50".into(),
            payment_method: "VISA ending 4242".into(),
        }
    }

    pub(crate) fn text_of(bytes: &[u8]) -> (String, usize) {
        let doc = match lopdf::Document::load_mem(bytes) {
            Ok(doc) => doc,
            Err(e) => panic!("not a readable PDF: {e}"),
        };
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        let text = match doc.extract_text(&pages) {
            Ok(text) => text,
            Err(e) => panic!("text not extractable: {e}"),
        };
        (text, pages.len())
    }

    fn render(inv: &InvoicePdf) -> Vec<u8> {
        match render_invoice_pdf(inv) {
            Ok(bytes) => bytes,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn invoice_text_is_extractable() {
        let bytes = render(&invoice(3));
        assert!(bytes.starts_with(b"%PDF-"));
        let (text, pages) = text_of(&bytes);
        assert_eq!(pages, 1);
        for needle in [
            "Invoice INV-2025-000042",
            "LicenseDesk AB",
            "Kungsgatan 1",
            "SE556000000001",
            "Fabrikam (Nordic) AB",
            "Drottninggatan 1",
            "111 51 Stockholm",
            "PO-7781",
            "2025-02-01",
            "2025-03-03",
            "Paid on",
            "2025-02-10",
            "Contoso Analytics 2",
            "0190a1b2",
            "1,234,567.89",
            "2025-01-15 - 2025-02-14",
            "4,321.50",
            "Tax 0%",
            "Total (SEK)",
            "VISA ending 4242",
            "Page 1 of 1",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from {text}");
        }
    }

    #[test]
    fn many_lines_flow_onto_more_pages() {
        let bytes = render(&invoice(120));
        let (text, pages) = text_of(&bytes);
        assert!(pages > 1, "{pages} page(s)");
        for i in 0..120 {
            assert!(text.contains(&format!("Contoso Analytics {i}")), "line {i} missing");
        }
        assert!(text.contains("VISA ending 4242"));
        assert!(text.contains(&format!("Page {pages} of {pages}")));
        assert!(text.contains("(continued)"));
    }

    /// R32 and issue 13: Chinese and Nordic names print as written (no `?`),
    /// with Chinese labels for a Taiwanese profile, and extract through the
    /// font's ToUnicode map.
    #[test]
    fn chinese_and_nordic_names_render_and_extract() {
        let mut inv = invoice(1);
        inv.lang = Lang::ZhTw;
        inv.organization_name = "台灣軟體股份有限公司".into();
        inv.bill_to = vec!["台北市信義區 101 號".into(), "Ærøskøbing Øresund Café Åsa Ängström\tDK\n".into()];
        inv.lines[0].product = "雲端會議 Pro".into();
        inv.status = labels(Lang::ZhTw).status_paid.into();
        let bytes = render(&inv);
        let (text, _) = text_of(&bytes);
        for needle in [
            "台灣軟體股份有限公司",
            "台北市信義區 101 號",
            "Ærøskøbing Øresund Café Åsa Ängström",
            "雲端會議 Pro",
            "發票",
            "買方",
            "統一編號",
            "已付款",
            "總計 (SEK)",
            "第 1 頁，共 1 頁",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from {text}");
        }
        assert!(!text.contains('?'), "{text}");
    }

    #[test]
    fn labels_follow_the_language_and_the_font_covers_them() {
        for lang in Lang::ALL {
            for label in labels(lang).all() {
                assert!(font_covers(label), "{label:?} ({lang:?}) not in the font");
            }
        }
        assert!(font_covers("ÅÄÖåäöÆØæøÉéÜü€台北"));
        assert!(!font_covers("🙂"));
        let mut inv = invoice(1);
        inv.lang = Lang::Sv;
        let (text, _) = text_of(&render(&inv));
        assert!(text.contains("Faktura INV-2025-000042") && text.contains("Förfallodatum"), "{text}");
        assert_eq!(language_for_country("se"), Some(Lang::Sv));
        assert_eq!(language_for_country("DK"), Some(Lang::Da));
        assert_eq!(language_for_country("NL"), Some(Lang::Nl));
        assert_eq!(language_for_country("TW"), Some(Lang::ZhTw));
        assert_eq!(language_for_country("US"), None);
    }

    #[test]
    fn empty_and_huge_values_do_not_break_the_layout() {
        let mut inv = invoice(0);
        inv.organization_name = String::new();
        inv.bill_to = vec!["x".repeat(5000); 50];
        inv.invoice_number = "N".repeat(300);
        let (text, pages) = text_of(&render(&inv));
        assert_eq!(pages, 1);
        assert!(text.contains("No charges."));

        let mut inv = invoice(2);
        inv.lines[1].description = "word ".repeat(400);
        inv.lines[0].description = "很長的說明".repeat(100);
        let (_, pages) = text_of(&render(&inv));
        assert!(pages >= 1);
    }

    #[test]
    fn wrap_respects_the_width() {
        let text = "Added licenses, pro rata for the rest of the current term";
        let lines = wrap(text, Font::Regular, 8.5, 100.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width(l, Font::Regular, 8.5) <= 100.0);
        }
        let long = wrap(&"W".repeat(100), Font::Bold, 10.0, 50.0);
        assert!(long.iter().all(|l| text_width(l, Font::Bold, 10.0) <= 50.0));
        assert_eq!(long.iter().map(|l| l.chars().count()).sum::<usize>(), 100);
        let chinese = wrap(&"台北".repeat(50), Font::Regular, 10.0, 60.0);
        assert!(chinese.len() > 1 && chinese.iter().all(|l| text_width(l, Font::Regular, 10.0) <= 60.0));
        assert!(wrap("", Font::Regular, 10.0, 50.0).is_empty());
    }
}
