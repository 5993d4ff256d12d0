//! The invoice as a PDF (R32): A4 pages in the standard Helvetica fonts with
//! WinAnsi encoding, so no font files are embedded and the text stays
//! extractable. Characters WinAnsi cannot show are replaced with `?`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// One invoice line, already formatted for display.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvoicePdfLine {
    pub product: String,
    pub description: String,
    pub period: String,
    pub quantity: String,
    pub unit_price: String,
    pub amount: String,
}

/// Everything printed on an invoice, already formatted for display.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvoicePdf {
    pub organization_name: String,
    /// Address lines, top to bottom.
    pub bill_to: Vec<String>,
    pub po_number: Option<String>,
    pub invoice_number: String,
    pub issue_date: String,
    pub due_date: String,
    pub status: String,
    pub currency: String,
    pub lines: Vec<InvoicePdfLine>,
    pub subtotal: String,
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
const TABLE_SIZE: f32 = 8.5;
const TABLE_LEADING: f32 = 11.0;
const ROW_GAP: f32 = 4.0;
/// Address lines and long values are cut off rather than filling the page.
const MAX_BLOCK_LINES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

struct Column {
    title: &'static str,
    x: f32,
    width: f32,
    align: Align,
}

const COLUMNS: [Column; 6] = [
    Column { title: "Product", x: MARGIN, width: 100.0, align: Align::Left },
    Column { title: "Description", x: 155.0, width: 125.0, align: Align::Left },
    Column { title: "Period", x: 285.0, width: 100.0, align: Align::Left },
    Column { title: "Qty", x: 390.0, width: 35.0, align: Align::Right },
    Column { title: "Unit price", x: 430.0, width: 55.0, align: Align::Right },
    Column { title: "Amount", x: 490.0, width: RIGHT - 490.0, align: Align::Right },
];

enum Op {
    Text { x: f32, y: f32, font: Font, size: f32, gray: f32, text: Vec<u8> },
    Line { x1: f32, x2: f32, y: f32, width: f32, gray: f32 },
}

/// The drawing of one page, built top to bottom.
struct PageOps {
    ops: Vec<Op>,
}

impl PageOps {
    fn text(&mut self, x: f32, y: f32, font: Font, size: f32, text: &[u8]) {
        self.text_gray(x, y, font, size, 0.0, text);
    }

    fn text_gray(&mut self, x: f32, y: f32, font: Font, size: f32, gray: f32, text: &[u8]) {
        if !text.is_empty() {
            self.ops.push(Op::Text { x, y, font, size, gray, text: text.to_vec() });
        }
    }

    fn text_right(&mut self, right: f32, y: f32, font: Font, size: f32, text: &[u8]) {
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
    pages: Vec<PageOps>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(invoice: &'a InvoicePdf) -> Self {
        Layout { invoice, pages: Vec::new(), y: TOP }
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
        let title = encode(&format!("Invoice {} (continued)", self.invoice.invoice_number));
        let title = fit(&title, Font::Bold, 14.0, RIGHT - MARGIN);
        let y = self.y - 14.0;
        self.page().text(MARGIN, y, Font::Bold, 14.0, &title);
        self.y = y - 24.0;
    }

    fn header(&mut self) {
        let inv = self.invoice;
        let title = encode(&format!("Invoice {}", inv.invoice_number));
        let title = fit(&title, Font::Bold, 20.0, RIGHT - MARGIN - 90.0);
        let y = self.y - 20.0;
        self.page().text(MARGIN, y, Font::Bold, 20.0, &title);
        self.page().text_right(RIGHT, y, Font::Bold, 11.0, b"LicenseDesk");
        self.y = y - 30.0;

        // Left: who is billed. Right: the invoice facts.
        let top = self.y;
        let left_width = 250.0;
        let mut left = top;
        self.page().text_gray(MARGIN, left, Font::Bold, 8.0, 0.4, b"BILL TO");
        left -= 14.0;
        let name_lines = wrap(&encode(&inv.organization_name), Font::Bold, 11.0, left_width);
        for line in name_lines.iter().take(3) {
            self.page().text(MARGIN, left, Font::Bold, 11.0, line);
            left -= 14.0;
        }
        let mut address = Vec::new();
        for line in &inv.bill_to {
            address.extend(wrap(&encode(line), Font::Regular, 10.0, left_width));
        }
        for line in address.iter().take(MAX_BLOCK_LINES) {
            self.page().text(MARGIN, left, Font::Regular, 10.0, line);
            left -= 13.0;
        }

        let mut facts: Vec<(&str, &str)> = vec![
            ("Invoice number", &inv.invoice_number),
            ("Issue date", &inv.issue_date),
            ("Due date", &inv.due_date),
            ("Status", &inv.status),
            ("Currency", &inv.currency),
        ];
        if let Some(po) = inv.po_number.as_deref().filter(|po| !po.trim().is_empty()) {
            facts.push(("PO number", po));
        }
        let label_x = 330.0;
        let value_x = 420.0;
        let mut right = top;
        for (label, value) in facts {
            self.page().text_gray(label_x, right, Font::Regular, 9.0, 0.4, label.as_bytes());
            let lines = wrap(&encode(value), Font::Bold, 10.0, RIGHT - value_x);
            for line in lines.iter().take(3) {
                self.page().text(value_x, right, Font::Bold, 10.0, line);
                right -= 13.0;
            }
            if lines.is_empty() {
                right -= 13.0;
            }
        }
        self.y = left.min(right) - 18.0;
    }

    fn table_header(&mut self) {
        let y = self.y - TABLE_SIZE;
        for col in &COLUMNS {
            let title = col.title.as_bytes();
            match col.align {
                Align::Left => self.page().text(col.x, y, Font::Bold, TABLE_SIZE, title),
                Align::Right => self.page().text_right(col.x + col.width, y, Font::Bold, TABLE_SIZE, title),
            }
        }
        self.page().rule(y - 5.0, 0.8, 0.0);
        self.y = y - 5.0 - ROW_GAP;
    }

    fn table(&mut self) {
        self.table_header();
        for line in &self.invoice.lines {
            let cells =
                [&line.product, &line.description, &line.period, &line.quantity, &line.unit_price, &line.amount];
            let wrapped: Vec<Vec<Vec<u8>>> = COLUMNS
                .iter()
                .zip(cells)
                .map(|(col, cell)| {
                    let mut lines = wrap(&encode(cell), Font::Regular, TABLE_SIZE, col.width);
                    lines.truncate(MAX_BLOCK_LINES);
                    lines
                })
                .collect();
            let rows = wrapped.iter().map(Vec::len).max().unwrap_or(0).max(1);
            let height = rows as f32 * TABLE_LEADING + ROW_GAP;
            if self.y - height < BOTTOM {
                self.new_page();
                self.table_header();
            }
            let first = self.y - TABLE_SIZE;
            for (col, lines) in COLUMNS.iter().zip(&wrapped) {
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
            self.page().text_gray(MARGIN, y, Font::Regular, TABLE_SIZE, 0.4, b"No charges.");
            self.y = y - TABLE_LEADING;
        }
    }

    fn totals(&mut self) {
        let inv = self.invoice;
        let height = 100.0;
        if self.y - height < BOTTOM {
            self.new_page();
        }
        let label_x = 360.0;
        let value_width = RIGHT - label_x - 80.0;
        let y = self.y - 16.0;
        self.page().text(label_x, y, Font::Regular, 10.0, b"Subtotal");
        let subtotal = fit(&encode(&inv.subtotal), Font::Regular, 10.0, value_width);
        self.page().text_right(RIGHT, y, Font::Regular, 10.0, &subtotal);
        let y = y - 8.0;
        self.page().ops.push(Op::Line { x1: label_x, x2: RIGHT, y, width: 0.8, gray: 0.0 });
        let y = y - 16.0;
        let label = fit(&encode(&format!("Total ({})", inv.currency)), Font::Bold, 12.0, 80.0);
        self.page().text(label_x, y, Font::Bold, 12.0, &label);
        let total = fit(&encode(&inv.total), Font::Bold, 12.0, value_width);
        self.page().text_right(RIGHT, y, Font::Bold, 12.0, &total);

        let y = y - 32.0;
        self.page().text_gray(MARGIN, y, Font::Regular, 9.0, 0.4, b"Payment method");
        let method = fit(&encode(&inv.payment_method), Font::Bold, 10.0, RIGHT - 130.0);
        self.page().text(130.0, y, Font::Bold, 10.0, &method);
        self.y = y - 14.0;
    }

    fn footers(&mut self) {
        let count = self.pages.len();
        let number = encode(&self.invoice.invoice_number);
        let number = fit(&number, Font::Regular, 8.0, 300.0);
        for (i, page) in self.pages.iter_mut().enumerate() {
            let mut text = b"Invoice ".to_vec();
            text.extend_from_slice(&number);
            page.text_gray(MARGIN, 40.0, Font::Regular, 8.0, 0.4, &text);
            let of = format!("Page {} of {}", i + 1, count);
            let x = RIGHT - text_width(of.as_bytes(), Font::Regular, 8.0);
            page.text_gray(x, 40.0, Font::Regular, 8.0, 0.4, of.as_bytes());
        }
    }
}

/// Renders the invoice as a PDF document.
pub fn render_invoice_pdf(invoice: &InvoicePdf) -> Vec<u8> {
    let mut layout = Layout::new(invoice);
    layout.header();
    layout.table();
    layout.totals();
    layout.footers();
    write_pdf(invoice, &layout.pages)
}

fn write_pdf(invoice: &InvoicePdf, pages: &[PageOps]) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let first_page = 6;
    // Each page is followed by its content stream.
    let page_ids: Vec<(Ref, Ref)> =
        (0..pages.len() as i32).map(|i| (Ref::new(first_page + 2 * i), Ref::new(first_page + 2 * i + 1))).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id).kids(page_ids.iter().map(|(page, _)| *page)).count(page_ids.len() as i32);
    pdf.type1_font(regular_id).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold_id).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    let title = format!("Invoice {}", invoice.invoice_number);
    pdf.document_info(info_id).title(TextStr(&title)).producer(TextStr("LicenseDesk"));

    for (page_ops, &(page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).parent(tree_id).contents(content_id);
        page.resources().fonts().pair(Font::Regular.resource(), regular_id).pair(Font::Bold.resource(), bold_id);
        page.finish();

        let mut content = Content::new();
        for op in &page_ops.ops {
            match op {
                Op::Text { x, y, font, size, gray, text } => {
                    // One text object per run, so extractors see one line each.
                    content
                        .begin_text()
                        .set_fill_gray(*gray)
                        .set_font(font.resource(), *size)
                        .next_line(*x, *y)
                        .show(Str(text))
                        .end_text();
                }
                Op::Line { x1, x2, y, width, gray } => {
                    content
                        .save_state()
                        .set_stroke_gray(*gray)
                        .set_line_width(*width)
                        .move_to(*x1, *y)
                        .line_to(*x2, *y)
                        .stroke()
                        .restore_state();
                }
            }
        }
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

/// Encodes text in WinAnsiEncoding; whitespace and control characters become
/// spaces, anything WinAnsi lacks becomes `?`.
fn encode(text: &str) -> Vec<u8> {
    text.chars().map(winansi_byte).collect()
}

fn winansi_byte(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u8,
        c if c.is_whitespace() || c.is_control() => b' ',
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' | '‐' | '‑' | '−' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => b'?',
    }
}

/// Glyph widths (1/1000 em) of Helvetica for 32..=126, from the Adobe AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 32..47
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 48..63
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 64..79
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 80..95
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 96..111
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 112..126
];

/// Glyph widths (1/1000 em) of Helvetica-Bold for 32..=126, from the Adobe AFM.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 32..47
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 48..63
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 64..79
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 80..95
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 96..111
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // 112..126
];

fn glyph_width(byte: u8, font: Font) -> u16 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    match byte {
        32..=126 => table[usize::from(byte - 32)],
        // Letters with accents are as wide as their base letter, give or take;
        // a generous width keeps measured text from overflowing its column.
        0xc6 | 0xe6 | 0x8c | 0x9c | 0x89 | 0x97 => 1000,
        _ => 667,
    }
}

fn text_width(text: &[u8], font: Font, size: f32) -> f32 {
    let units: u32 = text.iter().map(|&b| u32::from(glyph_width(b, font))).sum();
    units as f32 * size / 1000.0
}

/// Shortens text to `width`, ending in "..." when something was cut.
fn fit(text: &[u8], font: Font, size: f32, width: f32) -> Vec<u8> {
    if text_width(text, font, size) <= width {
        return text.to_vec();
    }
    let ellipsis = b"...";
    let room = width - text_width(ellipsis, font, size);
    let mut out = Vec::new();
    let mut used = 0.0;
    for &b in text {
        let w = f32::from(glyph_width(b, font)) * size / 1000.0;
        if used + w > room {
            break;
        }
        used += w;
        out.push(b);
    }
    out.extend_from_slice(ellipsis);
    out
}

/// Breaks text into lines no wider than `width`, at spaces where possible
/// and inside words that are too long on their own.
fn wrap(text: &[u8], font: Font, size: f32, width: f32) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let candidate_width = if line.is_empty() {
            text_width(word, font, size)
        } else {
            text_width(&line, font, size) + text_width(b" ", font, size) + text_width(word, font, size)
        };
        if candidate_width <= width {
            if !line.is_empty() {
                line.push(b' ');
            }
            line.extend_from_slice(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone: split it where it no longer fits.
        for &b in word {
            line.push(b);
            if line.len() > 1 && text_width(&line, font, size) > width {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(b);
            }
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
            description: "Added licenses, pro rata for the rest of the current term".into(),
            period: "2025-01-15 - 2025-02-14".into(),
            quantity: "5".into(),
            unit_price: "12.00".into(),
            amount: "1,234,567.89".into(),
        }
    }

    fn invoice(lines: usize) -> InvoicePdf {
        InvoicePdf {
            organization_name: "Fabrikam (Nordic) AB".into(),
            bill_to: vec!["Drottninggatan 1".into(), "111 51 Stockholm".into(), "Sweden".into()],
            po_number: Some("PO-7781".into()),
            invoice_number: "INV-2025-000042".into(),
            issue_date: "2025-02-01".into(),
            due_date: "2025-03-03".into(),
            status: "OPEN".into(),
            currency: "SEK".into(),
            lines: (0..lines).map(line).collect(),
            subtotal: "4,321.50".into(),
            total: "4,321.50".into(),
            payment_method: "VISA ending 4242".into(),
        }
    }

    fn text_of(bytes: &[u8]) -> (String, usize) {
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

    #[test]
    fn invoice_text_is_extractable() {
        let bytes = render_invoice_pdf(&invoice(3));
        assert!(bytes.starts_with(b"%PDF-"));
        let (text, pages) = text_of(&bytes);
        assert_eq!(pages, 1);
        for needle in [
            "Invoice INV-2025-000042",
            "INV-2025-000042",
            "Fabrikam (Nordic) AB",
            "Drottninggatan 1",
            "111 51 Stockholm",
            "PO-7781",
            "2025-02-01",
            "2025-03-03",
            "OPEN",
            "Contoso Analytics 2",
            "1,234,567.89",
            "2025-01-15 - 2025-02-14",
            "4,321.50",
            "Total (SEK)",
            "VISA ending 4242",
            "Page 1 of 1",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from {text}");
        }
    }

    #[test]
    fn many_lines_flow_onto_more_pages() {
        let bytes = render_invoice_pdf(&invoice(120));
        let (text, pages) = text_of(&bytes);
        assert!(pages > 1, "{pages} page(s)");
        for i in 0..120 {
            assert!(text.contains(&format!("Contoso Analytics {i}\n")), "line {i} missing");
        }
        assert!(text.contains("INV-2025-000042"));
        assert!(text.contains("4,321.50"));
        assert!(text.contains("VISA ending 4242"));
        assert!(text.contains(&format!("Page {pages} of {pages}")));
        assert!(text.contains("(continued)"));
    }

    #[test]
    fn non_latin_text_becomes_question_marks() {
        let mut inv = invoice(1);
        inv.organization_name = "台灣軟體股份有限公司 Øresund Café".into();
        inv.bill_to = vec!["台北市信義區 101 號".into(), "Ærøskøbing\tDK\n".into()];
        inv.lines[0].description = "Überweisung – 5 € (\\ path) 🙂".into();
        inv.po_number = None;
        inv.payment_method = "Check or wire transfer".into();
        let bytes = render_invoice_pdf(&inv);
        let (text, _) = text_of(&bytes);
        assert!(text.contains("?????????? Øresund Café"), "{text}");
        assert!(text.contains("Ærøskøbing DK"), "{text}");
        assert!(text.contains("Check or wire transfer"));
        assert!(!text.contains("PO number"));
        assert!(text.contains("€"), "{text}");
    }

    #[test]
    fn empty_and_huge_values_do_not_break_the_layout() {
        let mut inv = invoice(0);
        inv.organization_name = String::new();
        inv.bill_to = vec!["x".repeat(5000); 50];
        inv.invoice_number = "N".repeat(300);
        let bytes = render_invoice_pdf(&inv);
        let (text, pages) = text_of(&bytes);
        assert_eq!(pages, 1);
        assert!(text.contains("No charges."));

        let mut inv = invoice(2);
        inv.lines[1].description = "word ".repeat(400);
        let bytes = render_invoice_pdf(&inv);
        let (_, pages) = text_of(&bytes);
        assert!(pages >= 1);
    }

    #[test]
    fn wrap_respects_the_width() {
        let text = encode("Added licenses, pro rata for the rest of the current term");
        let lines = wrap(&text, Font::Regular, 8.5, 100.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width(l, Font::Regular, 8.5) <= 100.0);
        }
        let long = wrap(&[b'W'; 100], Font::Bold, 10.0, 50.0);
        assert!(long.iter().all(|l| text_width(l, Font::Bold, 10.0) <= 50.0));
        assert_eq!(long.iter().map(Vec::len).sum::<usize>(), 100);
        assert!(wrap(b"", Font::Regular, 10.0, 50.0).is_empty());
    }

    #[test]
    fn winansi_mapping() {
        assert_eq!(encode("Aé€–中"), vec![b'A', 0xe9, 0x80, 0x96, b'?']);
        assert_eq!(encode("a\tb\n"), b"a b ".to_vec());
    }
}
