//! R52: the kinds of notice people are told by e-mail. Which change queues
//! which kind is the service's `notices` module.

/// What a notice is about; each organization may turn each kind off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    Invoice,
    PaymentDeclined,
    PaymentOverdue,
    DisabledForPayment,
    Renewal30,
    Renewal7,
    LicenseAssigned,
    ReclaimNotice,
    ActivationLink,
}

impl NoticeKind {
    pub const ALL: &[NoticeKind] = &[
        NoticeKind::Invoice,
        NoticeKind::PaymentDeclined,
        NoticeKind::PaymentOverdue,
        NoticeKind::DisabledForPayment,
        NoticeKind::Renewal30,
        NoticeKind::Renewal7,
        NoticeKind::LicenseAssigned,
        NoticeKind::ReclaimNotice,
        NoticeKind::ActivationLink,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Invoice => "INVOICE",
            NoticeKind::PaymentDeclined => "PAYMENT_DECLINED",
            NoticeKind::PaymentOverdue => "PAYMENT_OVERDUE",
            NoticeKind::DisabledForPayment => "DISABLED_FOR_PAYMENT",
            NoticeKind::Renewal30 => "RENEWAL_30",
            NoticeKind::Renewal7 => "RENEWAL_7",
            NoticeKind::LicenseAssigned => "LICENSE_ASSIGNED",
            NoticeKind::ReclaimNotice => "RECLAIM_NOTICE",
            NoticeKind::ActivationLink => "ACTIVATION_LINK",
        }
    }

    pub fn parse(text: &str) -> Option<NoticeKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(*kind));
        }
    }
}
