//! Issue 24 item 3, outside in: the real binary issues an invoice (demo data,
//! `billing run`), the bill-to profile carries names in six scripts, and the
//! PDF downloaded in each of the five languages gives every character back
//! (poppler's `pdftotext`, which `.ci/run` installs; lopdf otherwise), with
//! the total formatted for the language and equal to the invoice's.
//! LICENSEDESK_PDF_DUMP=dir keeps the PDFs to look at.

use licensedesk_core::{i18n::Lang, pdf::locale};
use serde_json::{Value, json};

use crate::harness::{Server, command, fresh_database_url};

/// A day the demo's subscriptions are billed on.
const DATE: &str = "2027-04-02";

const NAMES: [&str; 6] = ["林淼", "Nguyễn Thị Hồng", "Ωμέγα Αλφα", "Дмитрий Шостакович", "Zoë Ærø", "さくら 鈴木"];

fn data<'a>(response: &'a Value, field: &str) -> &'a Value {
    let value = &response["data"][field];
    assert!(!value.is_null(), "{field}: {response}");
    value
}

/// The PDF's text by position (pdftotext), or lopdf's pieces with the
/// whitespace taken out when poppler is missing and not required.
pub(crate) fn pdf_text(bytes: &[u8]) -> (String, bool) {
    use std::io::Write;
    let spawned = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    match spawned {
        Ok(mut child) => {
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(bytes).expect("write to pdftotext");
            }
            let out = child.wait_with_output().expect("pdftotext");
            assert!(out.status.success(), "pdftotext: {out:?}");
            (String::from_utf8_lossy(&out.stdout).into_owned(), true)
        }
        Err(e) => {
            assert!(
                std::env::var_os("LICENSEDESK_REQUIRE_PDFTOTEXT").is_none(),
                "LICENSEDESK_REQUIRE_PDFTOTEXT is set but pdftotext does not run: {e}"
            );
            eprintln!("WARNING: no pdftotext ({e}); checking with lopdf");
            let doc = lopdf::Document::load_mem(bytes).expect("a readable PDF");
            let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
            let text = doc.extract_text(&pages).expect("text");
            (text.chars().filter(|c| !c.is_whitespace()).collect(), false)
        }
    }
}

#[tokio::test]
async fn issue24_invoice_pdf_prints_six_scripts_in_five_languages() {
    let url = fresh_database_url().await;
    let out = command(&url).arg("seed-demo").output().expect("seed");
    assert!(out.status.success(), "seed-demo: {}", String::from_utf8_lossy(&out.stderr));
    let out = command(&url).args(["billing", "run", "--date", DATE]).output().expect("billing run");
    assert!(out.status.success(), "billing run: {}", String::from_utf8_lossy(&out.stderr));

    let server = Server::start(&url, &[]).await;
    let login = server
        .graphql(
            None,
            "mutation { login(email: \"admin@contoso.demo\", password: \"licensedesk-demo\") { token } }",
            json!({}),
        )
        .await;
    let token = data(&login, "login")["token"].as_str().expect("token").to_owned();
    let invoices = server
        .graphql(
            Some(&token),
            "query { invoices(filter: {from: \"2026-01-01\", to: \"2027-12-31\"}, first: 100) { edges { node {
                id number pdfUrl total { amount currency } billingProfile { id billToAddress { country } } } } } }",
            json!({}),
        )
        .await;
    let edges = data(&invoices, "invoices")["edges"].as_array().expect("edges").clone();
    let invoice = edges
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["total"]["amount"].as_str().is_some_and(|a| a != "0.00" && a != "0"))
        .unwrap_or_else(|| panic!("an invoice with a total: {invoices}"))
        .clone();
    let profile = invoice["billingProfile"]["id"].as_str().expect("profile").to_owned();
    let country = invoice["billingProfile"]["billToAddress"]["country"].as_str().expect("country").to_owned();
    let path = invoice["pdfUrl"].as_str().expect("pdfUrl");
    let path = path.find("/invoices/").map(|at| &path[at..]).unwrap_or(path).to_owned();
    let currency = invoice["total"]["currency"].as_str().expect("currency").to_owned();
    let total_minor: i64 =
        invoice["total"]["amount"].as_str().expect("amount").replace('.', "").parse().expect("minor");

    let client = reqwest::Client::new();
    for lang in Lang::ALL {
        let update = server
            .graphql(
                Some(&token),
                "mutation($id: ID!, $i: UpdateBillingProfileInput!) { updateBillingProfile(id: $id, input: $i) { id } }",
                json!({"id": profile, "i": {
                    "name": NAMES[0], "contactName": NAMES[1], "language": lang.tag(),
                    "billToAddress": {"line1": NAMES[2], "line2": NAMES[3], "city": NAMES[4],
                                      "region": NAMES[5], "postalCode": "111 51", "country": country}}}),
            )
            .await;
        data(&update, "updateBillingProfile");
        let response =
            client.get(format!("http://{}{path}", server.addr)).bearer_auth(&token).send().await.expect("GET the PDF");
        assert_eq!(response.status(), 200, "{lang:?}");
        let bytes = response.bytes().await.expect("PDF bytes");
        if let Some(dir) = std::env::var_os("LICENSEDESK_PDF_DUMP") {
            std::fs::write(std::path::Path::new(&dir).join(format!("process-{}.pdf", lang.tag())), &bytes)
                .expect("dump");
        }
        let (text, positional) = pdf_text(&bytes);
        // pdftotext gives the no-break spaces of "1 234,56 SEK" as spaces.
        let text = text.replace('\u{a0}', " ");
        let squash = |s: &str| {
            if positional { s.replace('\u{a0}', " ") } else { s.chars().filter(|c| !c.is_whitespace()).collect() }
        };
        let total = locale::amount_with_currency(total_minor, &currency, lang);
        let labels = licensedesk_core::pdf::labels(lang);
        for needle in NAMES.iter().map(|s| s.to_string()).chain([total, labels.invoice.to_owned()]) {
            assert!(text.contains(&squash(&needle)), "{lang:?}: {needle:?} missing from {text}");
        }
    }
}
