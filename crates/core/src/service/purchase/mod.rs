//! Buying (SPEC §3, §6, R39, R40), split by channel (issue 19 item 5):
//!
//! | file            | what                                                                 |
//! |-----------------|----------------------------------------------------------------------|
//! | `agreement`     | the customer agreement (R10)                                         |
//! | `checkout`      | shared by every channel: the line, the price and buy-right check (R2, R11, R12), quantity (R5, R18), creating the subscription and its first charge (R30) |
//! | `direct`        | `purchaseSubscription`: org purchases (DIRECT, partner-named) and self-service ones, checks in the order of issue 3 |
//! | `self_service`  | the self-service rules the direct path applies (R24, R25)            |
//! | `partner`       | a partner tenant buying for a customer (R39)                         |
//! | `proposal`      | proposals: create, list, decline, accept (R9, R40)                   |

mod agreement;
mod checkout;
mod direct;
mod partner;
mod proposal;
mod self_service;

pub use agreement::{Agreement, accept_customer_agreement, agreement_for, agreement_of};
pub use direct::{PurchaseInput, purchase};
pub use partner::{PartnerPurchaseInput, purchase_for_customer};
pub use proposal::{
    MAX_PROPOSAL_LINES, NewProposal, PriceInput, ProposalLineInput, accept_proposal, create_proposal, decline_proposal,
    is_expired, list_proposals, proposal_lines,
};
