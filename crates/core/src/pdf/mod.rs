//! The invoice as a PDF (R32): A4 pages laid out (`layout`), written with `krilla` (`write`),
//! which shapes the text and embeds a subset of the font with a ToUnicode map,
//! so every character stays extractable. The font is Noto Sans CJK TC
//! (regular and bold, cut down by `assets/fonts/make-subset.sh`): Latin with
//! the Nordic and Dutch letters and traditional Chinese in one face, so names
//! like "台北" and "Ærøskøbing" print as written. Labels come in the billing
//! profile's language (`labels`); `fonts` measures text with the embedded faces.

mod fonts;
mod labels;
mod layout;
pub mod locale;
mod write;

#[cfg(test)]
pub use fonts::font_covers;
pub use labels::{Labels, labels, language_for_country};

use crate::i18n::Lang;

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
    /// The billed calendar month, e.g. "februari 2025".
    pub billing_period: Option<String>,
    pub issue_date: String,
    pub due_date: String,
    pub paid_date: Option<String>,
    /// Already in the invoice's language.
    pub status: String,
    pub currency: String,
    pub lines: Vec<InvoicePdfLine>,
    pub subtotal: String,
    /// Issue 26 item 2: the credit balance used, one row per source invoice
    /// (label and negative amount), between the subtotal and the tax.
    pub credits_applied: Vec<TaxLine>,
    pub tax_lines: Vec<TaxLine>,
    /// With the currency, e.g. "1 234,56 SEK".
    pub total: String,
    /// Issue 26 item 2: a credited invoice's amount added to the credit balance.
    pub added_to_balance: Option<String>,
    /// E.g. "VISA ending 4242" or "Check or wire transfer"; never a full card number.
    pub payment_method: String,
}

/// Renders the invoice as a PDF document.
pub fn render_invoice_pdf(invoice: &InvoicePdf) -> Result<Vec<u8>, String> {
    let mut layout = layout::Layout::new(invoice);
    layout.header();
    layout.table();
    layout.totals();
    layout.footers();
    write::write_pdf(invoice, layout.labels, &layout.pages)
}

#[cfg(test)]
mod tests {
    use super::fonts::{Font, faces_used, text_width, wrap};
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
            billing_period: Some("January 2025".into()),
            issue_date: "2025-02-01".into(),
            due_date: "2025-03-03".into(),
            paid_date: Some("2025-02-10".into()),
            status: "Paid".into(),
            currency: "SEK".into(),
            lines: (0..lines).map(line).collect(),
            subtotal: "4,321.50".into(),
            credits_applied: Vec::new(),
            added_to_balance: None,
            tax_lines: vec![TaxLine { label: "Tax 0%".into(), amount: "0.00".into() }],
            total: "SEK 4,321.50".into(),
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
            "Billing period",
            "January 2025",
            "Total",
            "SEK 4,321.50",
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
        let text = pdftotext(&bytes).unwrap_or(text);
        // Without pdftotext the text comes in the PDF's own pieces, whose
        // spacing differs: every character must be there, in order.
        let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let all = compact(&text);
        for needle in [
            "台灣軟體股份有限公司",
            "台北市信義區 101 號",
            "Ærøskøbing Øresund Café Åsa Ängström",
            "雲端會議 Pro",
            "發票",
            "買方",
            "統一編號",
            "已付款",
            "總計",
            "計費期間",
            "第 1 頁，共 1 頁",
        ] {
            assert!(all.contains(&compact(needle)), "{needle:?} missing from {text}");
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

    /// Names customers type, in six scripts (issue 24 item 3).
    pub(crate) const NAMES: [&str; 7] =
        ["林淼", "Nguyễn Thị Hồng", "Ωμέγα Αλφα", "Дмитрий Шостакович", "Zoë Ærø", "Łódź Šťastný Ğüneş", "さくら 鈴木"];

    /// The text of a PDF as poppler's `pdftotext` reads it (by position, as
    /// finance tools do); None when it is not installed and
    /// LICENSEDESK_REQUIRE_PDFTOTEXT is unset (`.ci/run` installs and sets it).
    pub(crate) fn pdftotext(bytes: &[u8]) -> Option<String> {
        let run = || -> std::io::Result<std::process::Output> {
            use std::io::Write;
            let mut child = std::process::Command::new("pdftotext")
                .args(["-enc", "UTF-8", "-", "-"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()?;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(bytes)?;
            }
            child.wait_with_output()
        };
        match run() {
            Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
            Ok(out) => panic!("pdftotext failed: {out:?}"),
            Err(e) if std::env::var_os("LICENSEDESK_REQUIRE_PDFTOTEXT").is_none() => {
                eprintln!("WARNING: pdftotext not runnable ({e}); install poppler-utils. Checking with lopdf only.");
                None
            }
            Err(e) => panic!("LICENSEDESK_REQUIRE_PDFTOTEXT is set but pdftotext does not run: {e}"),
        }
    }

    /// Issue 24 item 3: every character of names in Latin (all diacritics,
    /// Vietnamese), CJK (common and rare), Greek, Cyrillic, kana and Hangul
    /// is drawn from a face that has it and extracts back from the PDF, in
    /// every language.
    #[test]
    fn names_in_every_script_print_and_extract_in_every_language() {
        for name in NAMES {
            assert!(font_covers(name), "{name:?} not covered by the font chain");
        }
        // Per-glyph fallback: Latin from Noto Sans, 林 from Noto Sans CJK TC, 淼 from Droid Sans Fallback.
        assert_eq!(faces_used("Nguyễn 林淼", Font::Regular), vec![0, 2, 4]);
        assert_eq!(faces_used("Zoë 林淼", Font::Bold), vec![1, 3, 4]);
        assert_eq!(
            faces_used("Nguye\u{0302}\u{0303}n", Font::Regular),
            vec![0],
            "combining marks stay with their letter"
        );
        for lang in Lang::ALL {
            let mut inv = invoice(2);
            inv.lang = lang;
            inv.organization_name = NAMES[0].into();
            inv.bill_to = NAMES[1..].iter().map(|n| (*n).to_owned()).collect();
            inv.lines[0].product = format!("{} Pro", NAMES[2]);
            inv.lines[1].description = NAMES.join(" ");
            let bytes = render(&inv);
            // LICENSEDESK_PDF_DUMP=dir keeps each language's PDF, to look at (`pdftoppm -png`).
            if let Some(dir) = std::env::var_os("LICENSEDESK_PDF_DUMP") {
                let path = std::path::Path::new(&dir).join(format!("invoice-{}.pdf", lang.tag()));
                if let Err(e) = std::fs::write(&path, &bytes) {
                    panic!("writing {}: {e}", path.display());
                }
            }
            // lopdf reads each face's text as its own piece: every character is there.
            let (text, _) = text_of(&bytes);
            let pieces: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            for name in NAMES {
                let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
                assert!(pieces.contains(&name), "{lang:?}: {name:?} missing from {text}");
            }
            // poppler reads by position: the names as typed, each on its line.
            if let Some(text) = pdftotext(&bytes) {
                for name in NAMES {
                    assert!(text.contains(name), "{lang:?}: {name:?} missing from {text}");
                }
                assert!(text.contains(labels(lang).invoice), "{lang:?}: {text}");
            }
        }
    }

    /// Issue 24 item 3: amounts near i64's bounds print whole in the table
    /// and the totals, so the PDF's total is the invoice's.
    #[test]
    fn amounts_at_the_bounds_are_never_cut() {
        for lang in Lang::ALL {
            let mut inv = invoice(2);
            inv.lang = lang;
            let max = locale::amount(i64::MAX, "USD", lang);
            let min = locale::amount(i64::MIN + 1, "USD", lang);
            inv.lines[0].unit_price = max.clone();
            inv.lines[0].amount = max.clone();
            inv.lines[0].quantity = locale::number(1_000_000_000, lang);
            inv.lines[1].amount = min.clone();
            inv.subtotal = locale::amount(10_000_000_000_000_000, "USD", lang);
            inv.total = locale::amount_with_currency(i64::MAX, "USD", lang);
            let bytes = render(&inv);
            if let Some(dir) = std::env::var_os("LICENSEDESK_PDF_DUMP") {
                let path = std::path::Path::new(&dir).join(format!("bounds-{}.pdf", lang.tag()));
                if let Err(e) = std::fs::write(&path, &bytes) {
                    panic!("writing {}: {e}", path.display());
                }
            }
            let (text, _) = text_of(&bytes);
            let text = pdftotext(&bytes).unwrap_or(text);
            let flat = text.replace('\u{a0}', " ");
            for needle in [&max, &min, &inv.subtotal, &inv.total] {
                assert!(flat.contains(&needle.replace('\u{a0}', " ")), "{lang:?}: {needle:?} cut in {text}");
            }
            assert!(!text.contains("..."), "{lang:?}: {text}");
        }
    }
}
