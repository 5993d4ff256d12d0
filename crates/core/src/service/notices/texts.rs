//! R52: what each notice says, in each of the five languages. A text is one
//! subject and one paragraph with `{placeholders}`; `render` fills them and
//! writes the plain-text and the HTML part from the same words (the HTML
//! escaped). A test fails when a language lacks a text, leaves it in
//! English or drops a placeholder.

use super::NoticeKind;
use crate::i18n::Lang;

/// The words of one notice kind in one language.
pub struct Text {
    pub subject: &'static str,
    pub body: &'static str,
}

/// The words around every notice in one language.
pub struct Frame {
    pub greeting: &'static str,
    pub footer: &'static str,
}

pub fn frame(lang: Lang) -> Frame {
    match lang {
        Lang::En => Frame {
            greeting: "Hello {name},",
            footer: "You receive this notice from LicenseDesk for {organization}. An administrator of the organization can turn this kind of notice off.",
        },
        Lang::Sv => Frame {
            greeting: "Hej {name},",
            footer: "Du får det här meddelandet från LicenseDesk för {organization}. En administratör i organisationen kan stänga av den här typen av meddelanden.",
        },
        Lang::Da => Frame {
            greeting: "Hej {name},",
            footer: "Du modtager denne meddelelse fra LicenseDesk for {organization}. En administrator i organisationen kan slå denne type meddelelser fra.",
        },
        Lang::Nl => Frame {
            greeting: "Hallo {name},",
            footer: "U ontvangt dit bericht van LicenseDesk voor {organization}. Een beheerder van de organisatie kan dit soort berichten uitzetten.",
        },
        Lang::ZhTw => Frame {
            greeting: "{name} 您好：",
            footer: "這是 LicenseDesk 代 {organization} 寄給您的通知。組織的管理員可以關閉此類通知。",
        },
    }
}

pub fn text(kind: NoticeKind, lang: Lang) -> Text {
    use NoticeKind as K;
    let (subject, body) = match (kind, lang) {
        (K::Invoice, Lang::En) => (
            "Invoice {invoice} from LicenseDesk",
            "Invoice {invoice} for {organization} is attached as a PDF. The amount of {amount} is due on {due}.",
        ),
        (K::Invoice, Lang::Sv) => (
            "Faktura {invoice} från LicenseDesk",
            "Faktura {invoice} för {organization} finns bifogad som PDF. Beloppet {amount} förfaller till betalning {due}.",
        ),
        (K::Invoice, Lang::Da) => (
            "Faktura {invoice} fra LicenseDesk",
            "Faktura {invoice} for {organization} er vedhæftet som PDF. Beløbet {amount} forfalder til betaling {due}.",
        ),
        (K::Invoice, Lang::Nl) => (
            "Factuur {invoice} van LicenseDesk",
            "Factuur {invoice} voor {organization} is als pdf bijgevoegd. Het bedrag van {amount} moet uiterlijk {due} betaald zijn.",
        ),
        (K::Invoice, Lang::ZhTw) => (
            "LicenseDesk 發票 {invoice}",
            "{organization} 的發票 {invoice} 已以 PDF 附件寄上。金額 {amount} 應於 {due} 前付款。",
        ),
        (K::PaymentDeclined, Lang::En) => (
            "Payment declined for invoice {invoice}",
            "The card payment of {amount} for invoice {invoice} was declined. Please update the payment method of the billing profile so the invoice can be paid.",
        ),
        (K::PaymentDeclined, Lang::Sv) => (
            "Betalningen nekades för faktura {invoice}",
            "Kortbetalningen på {amount} för faktura {invoice} nekades. Uppdatera betalningsmetoden för faktureringsprofilen så att fakturan kan betalas.",
        ),
        (K::PaymentDeclined, Lang::Da) => (
            "Betalingen blev afvist for faktura {invoice}",
            "Kortbetalingen på {amount} for faktura {invoice} blev afvist. Opdater faktureringsprofilens betalingsmetode, så fakturaen kan betales.",
        ),
        (K::PaymentDeclined, Lang::Nl) => (
            "Betaling geweigerd voor factuur {invoice}",
            "De kaartbetaling van {amount} voor factuur {invoice} is geweigerd. Werk de betaalmethode van het factuurprofiel bij zodat de factuur betaald kan worden.",
        ),
        (K::PaymentDeclined, Lang::ZhTw) => (
            "發票 {invoice} 的付款遭拒",
            "發票 {invoice} 的信用卡付款 {amount} 遭到拒絕。請更新帳單設定檔的付款方式，以便支付此發票。",
        ),
        (K::PaymentOverdue, Lang::En) => (
            "Invoice {invoice} is overdue",
            "Invoice {invoice} of {amount} was due on {due} and is not paid. Subscriptions billed on it are disabled if it stays unpaid.",
        ),
        (K::PaymentOverdue, Lang::Sv) => (
            "Faktura {invoice} är förfallen",
            "Faktura {invoice} på {amount} förföll {due} och är inte betald. Prenumerationer som faktureras på den inaktiveras om den förblir obetald.",
        ),
        (K::PaymentOverdue, Lang::Da) => (
            "Faktura {invoice} er forfalden",
            "Faktura {invoice} på {amount} forfaldt {due} og er ikke betalt. Abonnementer, der faktureres på den, deaktiveres, hvis den forbliver ubetalt.",
        ),
        (K::PaymentOverdue, Lang::Nl) => (
            "Factuur {invoice} is achterstallig",
            "Factuur {invoice} van {amount} moest op {due} betaald zijn en is nog open. Abonnementen die erop gefactureerd zijn, worden uitgeschakeld als hij onbetaald blijft.",
        ),
        (K::PaymentOverdue, Lang::ZhTw) => (
            "發票 {invoice} 已逾期",
            "金額 {amount} 的發票 {invoice} 已於 {due} 到期但尚未付款。若持續未付款，以此發票計費的訂閱將被停用。",
        ),
        (K::DisabledForPayment, Lang::En) => (
            "{product} is disabled: payment not current",
            "The subscription to {product} of {organization} is disabled because an invoice is unpaid. Pay the open invoices to use it again.",
        ),
        (K::DisabledForPayment, Lang::Sv) => (
            "{product} är inaktiverad: betalningen är inte aktuell",
            "Prenumerationen på {product} för {organization} är inaktiverad eftersom en faktura är obetald. Betala de öppna fakturorna för att använda den igen.",
        ),
        (K::DisabledForPayment, Lang::Da) => (
            "{product} er deaktiveret: betalingen er ikke ajour",
            "Abonnementet på {product} for {organization} er deaktiveret, fordi en faktura er ubetalt. Betal de åbne fakturaer for at bruge det igen.",
        ),
        (K::DisabledForPayment, Lang::Nl) => (
            "{product} is uitgeschakeld: betaling niet bij",
            "Het abonnement op {product} van {organization} is uitgeschakeld omdat een factuur onbetaald is. Betaal de openstaande facturen om het weer te gebruiken.",
        ),
        (K::DisabledForPayment, Lang::ZhTw) => (
            "{product} 已停用：付款未結清",
            "{organization} 的 {product} 訂閱因發票未付款而停用。請支付未結發票以恢復使用。",
        ),
        (K::Renewal30 | K::Renewal7, Lang::En) => (
            "{product} renews on {date}",
            "The subscription to {product} of {organization} renews automatically on {date} for {quantity} at {unit_price} each, about {amount}. Change the quantity or turn auto-renew off before then if fewer are needed.",
        ),
        (K::Renewal30 | K::Renewal7, Lang::Sv) => (
            "{product} förnyas {date}",
            "Prenumerationen på {product} för {organization} förnyas automatiskt {date} för {quantity} à {unit_price}, cirka {amount}. Ändra antalet eller stäng av automatisk förnyelse innan dess om färre behövs.",
        ),
        (K::Renewal30 | K::Renewal7, Lang::Da) => (
            "{product} fornyes {date}",
            "Abonnementet på {product} for {organization} fornyes automatisk {date} for {quantity} à {unit_price}, cirka {amount}. Ændr antallet eller slå automatisk fornyelse fra inden da, hvis der skal bruges færre.",
        ),
        (K::Renewal30 | K::Renewal7, Lang::Nl) => (
            "{product} wordt verlengd op {date}",
            "Het abonnement op {product} van {organization} wordt op {date} automatisch verlengd voor {quantity} à {unit_price}, ongeveer {amount}. Pas het aantal aan of zet automatisch verlengen uit als er minder nodig zijn.",
        ),
        (K::Renewal30 | K::Renewal7, Lang::ZhTw) => (
            "{product} 將於 {date} 續約",
            "{organization} 的 {product} 訂閱將於 {date} 自動續約，數量 {quantity}，單價 {unit_price}，約 {amount}。若需要的數量較少，請在此之前變更數量或關閉自動續約。",
        ),
        (K::LicenseAssigned, Lang::En) => (
            "You have a license for {product}",
            "An administrator of {organization} assigned you a license for {product}. You can start using it now.",
        ),
        (K::LicenseAssigned, Lang::Sv) => (
            "Du har en licens för {product}",
            "En administratör i {organization} har tilldelat dig en licens för {product}. Du kan börja använda den nu.",
        ),
        (K::LicenseAssigned, Lang::Da) => (
            "Du har en licens til {product}",
            "En administrator i {organization} har tildelt dig en licens til {product}. Du kan begynde at bruge den nu.",
        ),
        (K::LicenseAssigned, Lang::Nl) => (
            "U hebt een licentie voor {product}",
            "Een beheerder van {organization} heeft u een licentie voor {product} toegewezen. U kunt hem nu gebruiken.",
        ),
        (K::LicenseAssigned, Lang::ZhTw) => {
            ("您已取得 {product} 的授權", "{organization} 的管理員已指派給您 {product} 的授權。您現在即可開始使用。")
        }
        (K::ReclaimNotice, Lang::En) => (
            "Your {product} license will be reclaimed on {date}",
            "Your license for {product} at {organization} has not been used for {days} days. It will be taken back on {date} unless it is used before then.",
        ),
        (K::ReclaimNotice, Lang::Sv) => (
            "Din licens för {product} återtas {date}",
            "Din licens för {product} i {organization} har inte använts på {days} dagar. Den tas tillbaka {date} om den inte används innan dess.",
        ),
        (K::ReclaimNotice, Lang::Da) => (
            "Din licens til {product} tages tilbage {date}",
            "Din licens til {product} i {organization} er ikke blevet brugt i {days} dage. Den tages tilbage {date}, medmindre den bruges inden da.",
        ),
        (K::ReclaimNotice, Lang::Nl) => (
            "Uw licentie voor {product} wordt op {date} ingetrokken",
            "Uw licentie voor {product} bij {organization} is {days} dagen niet gebruikt. Hij wordt op {date} ingetrokken, tenzij hij voor die tijd gebruikt wordt.",
        ),
        (K::ReclaimNotice, Lang::ZhTw) => (
            "您的 {product} 授權將於 {date} 收回",
            "您在 {organization} 的 {product} 授權已 {days} 天未使用。除非在此之前使用，否則將於 {date} 收回。",
        ),
        (K::ActivationLink, Lang::En) => (
            "Activate {product}",
            "The subscription to {product} of {organization} is ready. Open the publisher's portal to activate it: {link} (the link works once and expires on {date}).",
        ),
        (K::ActivationLink, Lang::Sv) => (
            "Aktivera {product}",
            "Prenumerationen på {product} för {organization} är klar. Öppna utgivarens portal för att aktivera den: {link} (länken fungerar en gång och upphör {date}).",
        ),
        (K::ActivationLink, Lang::Da) => (
            "Aktivér {product}",
            "Abonnementet på {product} for {organization} er klar. Åbn udgiverens portal for at aktivere det: {link} (linket virker én gang og udløber {date}).",
        ),
        (K::ActivationLink, Lang::Nl) => (
            "Activeer {product}",
            "Het abonnement op {product} van {organization} staat klaar. Open het portaal van de uitgever om het te activeren: {link} (de link werkt één keer en verloopt op {date}).",
        ),
        (K::ActivationLink, Lang::ZhTw) => (
            "啟用 {product}",
            "{organization} 的 {product} 訂閱已準備就緒。請開啟發行商的入口網站以啟用：{link}（此連結僅能使用一次，並於 {date} 失效）。",
        ),
    };
    Text { subject, body }
}

/// Whom a reclaim notice (R51) tells what: the holder of a license, the
/// admins of licenses about to be taken back, or the admins of a quantity
/// about to be lowered before a renewal. One kind (RECLAIM_NOTICE), so one
/// organization setting turns them all off; the variant is stored with the
/// notice (`data.variant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimVariant {
    Holder,
    AdminUnassign,
    AdminQuantity,
}

impl ReclaimVariant {
    pub const ALL: [ReclaimVariant; 3] =
        [ReclaimVariant::Holder, ReclaimVariant::AdminUnassign, ReclaimVariant::AdminQuantity];

    pub fn as_str(self) -> &'static str {
        match self {
            ReclaimVariant::Holder => "HOLDER",
            ReclaimVariant::AdminUnassign => "ADMIN_UNASSIGN",
            ReclaimVariant::AdminQuantity => "ADMIN_QUANTITY",
        }
    }

    pub fn parse(text: &str) -> Option<ReclaimVariant> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

/// The words of a reclaim notice for its variant; the holder's are [`text`]'s.
pub fn reclaim_text(variant: ReclaimVariant, lang: Lang) -> Text {
    use ReclaimVariant as V;
    let (subject, body) = match (variant, lang) {
        (V::Holder, _) => return text(NoticeKind::ReclaimNotice, lang),
        (V::AdminUnassign, Lang::En) => (
            "{count} {product} licenses will be reclaimed on {date}",
            "{count} licenses for {product} at {organization} have not been used for {days} days: {people}. They will be taken back on {date} unless they are used before then; their holders have been told.",
        ),
        (V::AdminUnassign, Lang::Sv) => (
            "{count} licenser för {product} återtas {date}",
            "{count} licenser för {product} i {organization} har inte använts på {days} dagar: {people}. De tas tillbaka {date} om de inte används innan dess; innehavarna har fått besked.",
        ),
        (V::AdminUnassign, Lang::Da) => (
            "{count} licenser til {product} tages tilbage {date}",
            "{count} licenser til {product} i {organization} er ikke blevet brugt i {days} dage: {people}. De tages tilbage {date}, medmindre de bruges inden da; indehaverne har fået besked.",
        ),
        (V::AdminUnassign, Lang::Nl) => (
            "{count} licenties voor {product} worden op {date} ingetrokken",
            "{count} licenties voor {product} bij {organization} zijn {days} dagen niet gebruikt: {people}. Ze worden op {date} ingetrokken, tenzij ze voor die tijd gebruikt worden; de houders zijn op de hoogte gebracht.",
        ),
        (V::AdminUnassign, Lang::ZhTw) => (
            "{product} 的 {count} 個授權將於 {date} 收回",
            "{organization} 的 {product} 有 {count} 個授權已 {days} 天未使用：{people}。除非在此之前使用，否則將於 {date} 收回；持有人已收到通知。",
        ),
        (V::AdminQuantity, Lang::En) => (
            "The {product} quantity will be lowered to what is assigned on {date}",
            "The subscription to {product} of {organization} renews on {renewal} with {quantity} licenses, of which {assigned} are assigned. On {date} its quantity will be lowered to the licenses assigned then, so the renewal charges only those. To keep the quantity, change the reclaim policy before then.",
        ),
        (V::AdminQuantity, Lang::Sv) => (
            "Antalet för {product} sänks till det tilldelade {date}",
            "Prenumerationen på {product} för {organization} förnyas {renewal} med {quantity} licenser, varav {assigned} är tilldelade. Den {date} sänks antalet till de licenser som då är tilldelade, så att förnyelsen bara debiterar dem. Ändra återtagningspolicyn före dess för att behålla antalet.",
        ),
        (V::AdminQuantity, Lang::Da) => (
            "Antallet for {product} sænkes til det tildelte {date}",
            "Abonnementet på {product} for {organization} fornyes {renewal} med {quantity} licenser, hvoraf {assigned} er tildelt. Den {date} sænkes antallet til de licenser, der da er tildelt, så fornyelsen kun opkræver dem. Skift politikken for tilbagetagning inden da for at beholde antallet.",
        ),
        (V::AdminQuantity, Lang::Nl) => (
            "Het aantal voor {product} wordt op {date} verlaagd tot het toegewezen aantal",
            "Het abonnement op {product} van {organization} wordt op {renewal} verlengd met {quantity} licenties, waarvan er {assigned} zijn toegewezen. Op {date} wordt het aantal verlaagd tot de licenties die dan zijn toegewezen, zodat de verlenging alleen die in rekening brengt. Wijzig het intrekbeleid voor die tijd om het aantal te behouden.",
        ),
        (V::AdminQuantity, Lang::ZhTw) => (
            "{product} 的數量將於 {date} 降為已指派的數量",
            "{organization} 的 {product} 訂閱將於 {renewal} 以 {quantity} 個授權續約，其中 {assigned} 個已指派。{date} 當天數量將降為屆時已指派的授權數，續約只會收取這些授權的費用。若要保留數量，請在此之前變更收回政策。",
        ),
    };
    Text { subject, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<&str> {
        let mut names: Vec<&str> = s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n)).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// R52: every kind in every language, translated, with the English placeholders.
    #[test]
    fn every_notice_is_written_in_every_language() {
        for kind in NoticeKind::ALL {
            let en = text(*kind, Lang::En);
            for lang in Lang::ALL {
                let t = text(*kind, lang);
                assert!(!t.subject.is_empty() && !t.body.is_empty(), "{kind:?} {lang:?}");
                assert_eq!(placeholders(t.subject), placeholders(en.subject), "{kind:?} {lang:?} subject");
                assert_eq!(placeholders(t.body), placeholders(en.body), "{kind:?} {lang:?} body");
                if lang != Lang::En {
                    assert_ne!(t.body, en.body, "{kind:?} {lang:?} left in English");
                    assert_ne!(frame(lang).footer, frame(Lang::En).footer);
                }
            }
        }
    }

    /// R51, R52: the admins' reclaim notices too, in every language.
    #[test]
    fn every_reclaim_variant_is_written_in_every_language() {
        for variant in ReclaimVariant::ALL {
            assert_eq!(ReclaimVariant::parse(variant.as_str()), Some(variant));
            let en = reclaim_text(variant, Lang::En);
            for lang in Lang::ALL {
                let t = reclaim_text(variant, lang);
                assert_eq!(placeholders(t.subject), placeholders(en.subject), "{variant:?} {lang:?} subject");
                assert_eq!(placeholders(t.body), placeholders(en.body), "{variant:?} {lang:?} body");
                if lang != Lang::En {
                    assert_ne!(t.body, en.body, "{variant:?} {lang:?} left in English");
                }
            }
        }
    }
}
