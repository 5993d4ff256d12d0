//! The A4 page layout: header, the lines table (breaking across pages),
//! totals and footers, as drawing operations per page.

use super::{
    InvoicePdf,
    fonts::{Font, clean, fit, text_width, wrap},
    labels::{Labels, labels},
};

pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;
pub(super) const MARGIN: f32 = 50.0;
pub(super) const RIGHT: f32 = PAGE_WIDTH - MARGIN;
pub(super) const TOP: f32 = PAGE_HEIGHT - MARGIN;
/// Lowest baseline for body text; the footer sits below it.
pub(super) const BOTTOM: f32 = 70.0;
pub(super) const TABLE_SIZE: f32 = 8.0;
pub(super) const TABLE_LEADING: f32 = 10.5;
pub(super) const ROW_GAP: f32 = 4.0;
/// Address lines and long values are cut off rather than filling the page.
pub(super) const MAX_BLOCK_LINES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Column {
    x: f32,
    width: f32,
    align: Align,
}

/// Space between two columns of the lines table.
const GAP: f32 = 5.0;
/// Product (with subscription below), description, period, quantity, unit
/// price, amount: the widths the columns start from, and the least each text
/// column keeps when the numbers need room.
const WIDTHS: [f32; 6] = [105.0, 120.0, 100.0, 35.0, 55.0, RIGHT - 490.0];
const MIN_WIDTHS: [f32; 3] = [80.0, 80.0, 60.0];
const NUMBER_COLUMNS: std::ops::Range<usize> = 3..6;

/// The table's columns for these lines: the number columns (quantity, unit
/// price, amount) widen to their longest value, taking the room from the
/// description, then the period, then the product column; numbers never wrap
/// or get cut (issue 24 item 3: amounts up to i64's bounds).
fn columns(invoice: &InvoicePdf, labels: &Labels) -> [Column; 6] {
    let mut widths = WIDTHS;
    let titles = [labels.quantity, labels.unit_price, labels.amount];
    for (k, i) in NUMBER_COLUMNS.enumerate() {
        let need = invoice
            .lines
            .iter()
            .map(|line| {
                let cell = [&line.quantity, &line.unit_price, &line.amount][k];
                text_width(&clean(cell), Font::Regular, TABLE_SIZE)
            })
            .fold(text_width(titles[k], Font::Bold, TABLE_SIZE), f32::max);
        // A little air between two long numbers side by side.
        widths[i] = widths[i].max(need.ceil() + 4.0);
    }
    let mut extra: f32 = NUMBER_COLUMNS.map(|i| widths[i] - WIDTHS[i]).sum();
    for i in [1, 2, 0] {
        let take = extra.min(widths[i] - MIN_WIDTHS[i]).max(0.0);
        widths[i] -= take;
        extra -= take;
    }
    // Still too wide: the number columns share what is left in proportion
    // (their text is then set smaller to fit, see `number_size`).
    if extra > 0.0 {
        let room: f32 = RIGHT - MARGIN - GAP * 5.0 - MIN_WIDTHS.iter().sum::<f32>();
        let wanted: f32 = NUMBER_COLUMNS.map(|i| widths[i]).sum();
        for i in NUMBER_COLUMNS {
            widths[i] *= room / wanted;
        }
    }
    let mut x = MARGIN;
    let mut out = [Column { x, width: 0.0, align: Align::Left }; 6];
    for (i, width) in widths.into_iter().enumerate() {
        let align = if NUMBER_COLUMNS.contains(&i) { Align::Right } else { Align::Left };
        out[i] = Column { x, width, align };
        x += width + GAP;
    }
    out
}

/// The size that fits `text` on one line of `width`: `size`, or smaller.
fn number_size(text: &str, font: Font, size: f32, width: f32) -> f32 {
    let need = text_width(text, font, size);
    if need <= width || need <= 0.0 { size } else { size * width / need }
}

pub(super) enum Op {
    Text { x: f32, y: f32, font: Font, size: f32, gray: f32, text: String },
    Line { x1: f32, x2: f32, y: f32, width: f32, gray: f32 },
}

/// The drawing of one page, built top to bottom (PDF coordinates: y up).
pub(super) struct PageOps {
    pub(super) ops: Vec<Op>,
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
pub(super) struct Layout<'a> {
    invoice: &'a InvoicePdf,
    pub(super) labels: &'static Labels,
    columns: [Column; 6],
    pub(super) pages: Vec<PageOps>,
    y: f32,
}

impl<'a> Layout<'a> {
    pub(super) fn new(invoice: &'a InvoicePdf) -> Self {
        let labels = labels(invoice.lang);
        Layout { invoice, labels, columns: columns(invoice, labels), pages: Vec::new(), y: TOP }
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

    pub(super) fn header(&mut self) {
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

        let mut facts: Vec<(&str, &str)> = vec![(l.invoice_number, &inv.invoice_number)];
        if let Some(period) = inv.billing_period.as_deref() {
            facts.push((l.billing_period, period));
        }
        facts.extend([(l.issue_date, inv.issue_date.as_str()), (l.due_date, inv.due_date.as_str())]);
        if let Some(paid) = inv.paid_date.as_deref() {
            facts.push((l.paid_date, paid));
        }
        facts.push((l.status, &inv.status));
        facts.push((l.currency, &inv.currency));
        if let Some(po) = inv.po_number.as_deref().filter(|po| !po.trim().is_empty()) {
            facts.push((l.po_number, po));
        }
        // The labels' column is as wide as its longest label ("Faktureringsperiode").
        let label_x = 320.0;
        let widest = facts.iter().map(|(label, _)| text_width(label, Font::Regular, 9.0)).fold(0.0, f32::max);
        let value_x = label_x + (widest + 8.0).clamp(90.0, 115.0);
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
        let columns = self.columns;
        for (col, title) in columns.iter().zip(titles) {
            let title = fit(title, Font::Bold, TABLE_SIZE, col.width);
            match col.align {
                Align::Left => self.page().text(col.x, y, Font::Bold, TABLE_SIZE, &title),
                Align::Right => self.page().text_right(col.x + col.width, y, Font::Bold, TABLE_SIZE, &title),
            }
        }
        self.page().rule(y - 5.0, 0.8, 0.0);
        self.y = y - 5.0 - ROW_GAP;
    }

    pub(super) fn table(&mut self) {
        self.table_header();
        let l = self.labels;
        for line in &self.invoice.lines {
            let product = clean(&line.product);
            let subscription = format!("{} {}", l.subscription, clean(&line.subscription));
            let columns = self.columns;
            let numbers = [&line.quantity, &line.unit_price, &line.amount].map(|cell| clean(cell));
            // The product column: the product, then the subscription in grey.
            let mut first_column: Vec<(String, f32)> = wrap(&product, Font::Regular, TABLE_SIZE, columns[0].width)
                .into_iter()
                .take(MAX_BLOCK_LINES)
                .map(|t| (t, 0.0))
                .collect();
            first_column.extend(
                wrap(&subscription, Font::Regular, TABLE_SIZE - 1.0, columns[0].width)
                    .into_iter()
                    .take(3)
                    .map(|t| (t, 0.45)),
            );
            // Description and period wrap; the numbers stay on one line.
            let wrapped: Vec<Vec<String>> = columns[1..3]
                .iter()
                .zip([&line.description, &line.period])
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
                self.page().text_gray(columns[0].x, y, Font::Regular, size, *gray, text);
            }
            for (col, lines) in columns[1..3].iter().zip(&wrapped) {
                for (i, text) in lines.iter().enumerate() {
                    let y = first - i as f32 * TABLE_LEADING;
                    self.page().text(col.x, y, Font::Regular, TABLE_SIZE, text);
                }
            }
            for (col, text) in columns[NUMBER_COLUMNS].iter().zip(&numbers) {
                let size = number_size(text, Font::Regular, TABLE_SIZE, col.width);
                self.page().text_right(col.x + col.width, first, Font::Regular, size, text);
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

    /// Subtotal, tax lines and the total (with its currency), right-aligned
    /// under the table; the values are measured, never cut, and the labels
    /// move left to make room. More rows (e.g. a credit applied) are more
    /// entries in `rows`.
    pub(super) fn totals(&mut self) {
        let inv = self.invoice;
        let l = self.labels;
        // Subtotal, credit applied (a row per source invoice), tax, total — in
        // that order (issue 26 item 2); a credited invoice then says what went
        // to the credit balance.
        let mut rows: Vec<(String, &str, Font, f32)> =
            vec![(l.subtotal.to_owned(), &inv.subtotal, Font::Regular, 10.0)];
        for line in inv.credits_applied.iter().chain(&inv.tax_lines) {
            rows.push((clean(&line.label), &line.amount, Font::Regular, 10.0));
        }
        let total_row = rows.len();
        rows.push((l.total.to_owned(), &inv.total, Font::Bold, 12.0));
        if let Some(added) = &inv.added_to_balance {
            rows.push((l.added_to_balance.to_owned(), added, Font::Regular, 10.0));
        }
        let rows: Vec<(String, String, Font, f32)> =
            rows.into_iter().map(|(label, value, font, size)| (label, clean(value), font, size)).collect();

        let height = 80.0 + 16.0 * rows.len() as f32;
        if self.y - height < BOTTOM {
            self.new_page();
        }
        let value_width =
            rows.iter().map(|(_, value, font, size)| text_width(value, *font, *size)).fold(0.0, f32::max).ceil();
        // Wide enough for "Credit applied from LD-000002".
        let label_width = rows
            .iter()
            .map(|(label, _, font, size)| text_width(label, *font, *size))
            .fold(0.0, f32::max)
            .clamp(60.0, 190.0);
        let label_x = (RIGHT - value_width - 12.0 - label_width).clamp(MARGIN, 330.0);
        let value_room = RIGHT - label_x - label_width - 12.0;
        let mut y = self.y - 2.0;
        for (i, (label, value, font, size)) in rows.iter().enumerate() {
            if i == total_row {
                y -= 8.0;
                self.page().ops.push(Op::Line { x1: label_x, x2: RIGHT, y, width: 0.8, gray: 0.0 });
                y -= 2.0;
            }
            y -= size + 4.0;
            let label = fit(label, *font, *size, label_width);
            self.page().text(label_x, y, *font, *size, &label);
            let value_size = number_size(value, *font, *size, value_room);
            self.page().text_right(RIGHT, y, *font, value_size, value);
        }

        let y = y - 32.0;
        let label = fit(l.payment_method, Font::Regular, 9.0, 95.0);
        self.page().text_gray(MARGIN, y, Font::Regular, 9.0, 0.4, &label);
        let method = fit(&clean(&inv.payment_method), Font::Bold, 10.0, RIGHT - 150.0);
        self.page().text(150.0, y, Font::Bold, 10.0, &method);
        self.y = y - 14.0;
    }

    pub(super) fn footers(&mut self) {
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
