//! Traditional Chinese messages (SPEC §10). Every match is exhaustive, so a
//! new error, noun or state reason does not compile until it is worded
//! here; `super::tests` checks that each wording is there and distinct.

use crate::error::{AppError, EntityKind, Invalid, SignInRefusal, StateReason};

/// The noun.
pub(super) fn noun(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::ApiClient => "API 用戶端",
        EntityKind::BillingProfile => "帳單設定檔",
        EntityKind::Event => "事件",
        EntityKind::Group => "群組",
        EntityKind::Invoice => "發票",
        EntityKind::Object => "物件",
        EntityKind::Organization => "組織",
        EntityKind::PartnerRelationship => "合作夥伴關係",
        EntityKind::PaymentMethod => "付款方式",
        EntityKind::Product => "產品",
        EntityKind::Proposal => "提案",
        EntityKind::Publisher => "發行商",
        EntityKind::PurchaseToken => "購買權杖",
        EntityKind::ScimToken => "目錄權杖",
        EntityKind::Session => "工作階段",
        EntityKind::Subscription => "訂閱",
        EntityKind::User => "使用者",
        EntityKind::WebhookEndpoint => "Webhook 端點",
        EntityKind::PortalConsent => "入口網站授權",
    }
}

/// Why the object's state does not allow the operation, in words a person
/// can act on (`INVALID_STATE`; the code is in `extensions.reason`).
pub(super) fn state(reason: StateReason) -> &'static str {
    match reason {
        StateReason::SubscriptionPendingActivation => "此訂閱尚未啟用。請先啟用應用程式，再試一次。",
        StateReason::SubscriptionActive => "此訂閱已經啟用，無需再次啟用。",
        StateReason::SubscriptionDisabled => "已無法執行此操作：此訂閱已停用。若要繼續使用此應用程式，請購買新的訂閱。",
        StateReason::InvoiceUnpaid => "此發票尚未付款。請先付款，再試一次。",
        StateReason::InvoicePaid => "此發票已付款，無需再次付款。",
        StateReason::InvoiceCredited => "此發票已沖銷，無須付款。",
        StateReason::ProposalOpen => "此提案仍在進行中。請先接受或拒絕此提案。",
        StateReason::ProposalAccepted => "此提案已被接受；其訂閱已列在您的訂閱清單中。",
        StateReason::ProposalDeclined => "此提案已被拒絕，無法再接受。請向合作夥伴索取新的提案。",
        StateReason::ProposalExpired => "此提案已過期，無法再接受。請向合作夥伴索取新的提案。",
        StateReason::RelationshipPending => "已有一項合作夥伴申請正在等待客戶決定。請等候客戶回覆。",
        StateReason::RelationshipApproved => "此合作夥伴關係已核准並生效。",
        StateReason::RelationshipRejected => "客戶已拒絕此合作夥伴申請，無法再變更。如有需要，請送出新的申請。",
        StateReason::RelationshipEnded => "此合作夥伴關係已終止，無法再變更。若要再次為此客戶服務，請送出新的申請。",
        StateReason::ApiClientRevoked => "此 API 用戶端已被撤銷，無法再變更。請改為建立新的用戶端。",
        StateReason::PaymentMethodInUse => "此付款方式仍有帳單設定檔在使用。請先為這些設定檔指定其他付款方式。",
        StateReason::PaymentMethodReplaced => "此付款方式已被取代或移除，無法再變更。請使用目前的付款方式。",
        StateReason::LastOwner => "無法移除帳單設定檔的最後一位擁有者。請先將其他人設為擁有者。",
        StateReason::LastGlobalAdmin => "無法停用、刪除或降級組織的最後一位全域管理員。請先將其他人設為全域管理員。",
        StateReason::VersionChanged => "此物件在您讀取後已被變更。請重新讀取後再次進行變更。",
        StateReason::NoCreditBalance => "此帳單設定檔沒有可退款的抵免餘額。",
    }
}

/// Why a single sign-on was refused (R48).
pub(super) fn sign_in_refusal(reason: SignInRefusal) -> &'static str {
    match reason {
        SignInRefusal::StateInvalid => "此登入連結已過期或已使用過。請重新開始登入。",
        SignInRefusal::ProviderDisabled => "此組織未開啟單一登入。請使用密碼登入，或洽詢系統管理員。",
        SignInRefusal::ProviderError => {
            "貴組織的身分識別提供者未完成登入。請再試一次，或請系統管理員檢查單一登入設定。"
        }
        SignInRefusal::IdTokenInvalid => "無法驗證身分識別提供者的回應，因此未登入。請系統管理員檢查單一登入設定。",
        SignInRefusal::DomainNotAllowed => "您的電子郵件網域不允許登入此組織。請系統管理員允許該網域。",
        SignInRefusal::EmailNotVerified => "您的身分識別提供者尚未驗證您的電子郵件地址。請先在該處驗證，再重新登入。",
        SignInRefusal::AccountNotAllowed => "此帳戶無法登入此組織（它屬於其他組織或已停用）。請洽詢系統管理員。",
    }
}

/// The message for `err` (`Internal` never reveals its cause).
pub(super) fn message(err: &AppError) -> String {
    match err {
        AppError::SsoRequired => "貴組織透過其身分識別提供者登入。請使用單一登入，而非密碼。".into(),
        AppError::SignInRefused { reason } => sign_in_refusal(*reason).into(),
        AppError::Unauthenticated => "您尚未登入，或工作階段已過期。請登入後再試一次。".into(),
        AppError::Forbidden => "您沒有執行此操作的權限。請向貴組織的管理員申請存取權。".into(),
        AppError::UntrustedDocument => {
            "此伺服器只執行受信任（已保存）的文件，而這份文件不在其中。請使用應用程式建置時所帶的操作。".into()
        }
        AppError::IntrospectionDisabled => {
            "此伺服器已關閉結構描述自我查詢（introspection）。請使用隨 API 發布的結構描述檔（schema.graphql）。".into()
        }
        AppError::NotFound { entity } => format!("找不到指定的{}。", noun(*entity)),
        AppError::Validation { field, reason } => {
            let why = match reason {
                Invalid::Required => "為必填欄位。".to_string(),
                Invalid::TooLong { max } => format!("過長（最多 {max} 個字元或項目）。"),
                Invalid::OutOfRange { min, max } => format!("必須介於 {min} 到 {max} 之間。"),
                Invalid::BadFormat => "格式不正確。".into(),
                Invalid::CardNumber => "不是有效的卡號。請檢查號碼後再試一次。".into(),
                Invalid::CardExpired => "此卡已過期，請改用其他卡片。".into(),
                Invalid::NotAllowed => "此處不允許使用這個值。".into(),
                Invalid::Duplicate => "這個值已被使用。".into(),
                Invalid::RangeOrder => "開始日期不得晚於結束日期。".into(),
                Invalid::RangeTooLong { max_months } => format!("日期範圍最多只能涵蓋 {max_months} 個月。"),
            };
            format!("欄位 `{field}`：{why}")
        }
        AppError::AgreementRequired => "貴組織必須先接受客戶合約，才能進行第一次購買。".into(),
        AppError::RegionNotSupported => "貴組織所在的國家或地區無法購買此產品。".into(),
        AppError::CurrencyNotSupported { currency } => {
            format!("此產品在這個期間沒有 {currency} 的價格。請選擇使用其他幣別的帳單設定檔，或選擇其他期間。")
        }
        AppError::NotSelfServiceEligible => "此產品無法透過自助服務購買。請由管理員或您的合作夥伴代為購買。".into(),
        AppError::SelfServiceNotAllowed => "貴組織已停用自助服務購買。請洽詢管理員代為購買。".into(),
        AppError::SubscriptionNotActive => "此訂閱尚未啟用；應用程式啟用後才能指派授權。".into(),
        AppError::SubscriptionDisabled => "此訂閱已停用，無法再變更。若要繼續使用此應用程式，請購買新的訂閱。".into(),
        AppError::CurrencyFixedForTerm { currency, target } => format!(
            "此訂閱以 {currency} 計費，且訂閱的幣別在其期間內固定不變；無法移至以 {target} 計費的帳單設定檔。請選擇以 {currency} 計費的帳單設定檔。"
        ),
        AppError::NoCreditBalance => state(StateReason::NoCreditBalance).into(),
        AppError::LastOwner => state(StateReason::LastOwner).into(),
        AppError::LastGlobalAdmin => state(StateReason::LastGlobalAdmin).into(),
        AppError::InvalidState { reason } => state(*reason).into(),
        AppError::NotSeatBased => "此訂閱並非按使用者授權，因此無法變更授權數量。".into(),
        AppError::QuantityBelowAssigned { assigned, to_unassign } => {
            format!("新的總數低於目前已指派的 {assigned} 個授權；請先取消指派 {to_unassign} 個授權。")
        }
        AppError::TooManyUsers { max } => {
            format!("單次請求的使用者過多：一次最多 {max} 位。請將名單分成較小的批次。")
        }
        AppError::UserNotInOrganization => "此使用者不屬於這個組織。請先將該使用者加入組織。".into(),
        AppError::InsufficientLicenses { available } => {
            format!("授權數量不足：僅剩 {available} 個可用。")
        }
        AppError::PaymentDeclined => "付款遭拒。請檢查付款資料，或改用其他付款方式。".into(),
        AppError::IdempotencyConflict => "此冪等金鑰已用於另一個不同的請求。新的請求請使用新的金鑰。".into(),
        AppError::RateLimited => "請求次數過多。請稍候再試。".into(),
        AppError::QueryTooComplex { .. } => "查詢過於複雜或巢狀層級過深。請減少要求的欄位，或拆成多個查詢。".into(),
        AppError::Internal(_) => "發生內部錯誤。".into(),
    }
}
