//! Calls to addresses that tenants configure — publishers' webhook
//! endpoints (R45), organizations' identity providers (R48) — go only to
//! public addresses unless private ones are allowed (SSRF, issue 20 item 6).

pub mod oidc;

use std::net::SocketAddr;

/// The resolver's refusal, found again in reqwest's error chain.
#[derive(Debug)]
pub(crate) struct NotPublic(String);

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotPublic {}

/// Keeps the addresses a name resolved to only when every one is public (or
/// private ones are allowed): these, and only these, are what the client
/// connects to.
pub(crate) fn public_only(
    host: &str,
    addrs: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, NotPublic> {
    if addrs.is_empty() {
        return Err(NotPublic(format!("{host} resolves to no address")));
    }
    if !allow_private && let Some(bad) = addrs.iter().find(|a| crate::service::events::webhooks::is_private_ip(a.ip()))
    {
        return Err(NotPublic(format!("{host} resolves to {}, not a public address", bad.ip())));
    }
    Ok(addrs)
}

/// The DNS resolver of the clients that call addresses tenants configure
/// (webhooks, identity providers): one lookup per connection, its
/// addresses checked, and the connection made to those very addresses
/// (issue 20 item 6: no DNS rebinding between check and connect).
pub struct PublicOnly {
    allow_private: bool,
}

impl PublicOnly {
    pub fn new(allow_private: bool) -> Self {
        PublicOnly { allow_private }
    }
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let checked = public_only(&host, addrs, allow_private)?;
            let addrs: reqwest::dns::Addrs = Box::new(checked.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver's refusal behind a failed request, if that is why it failed.
pub(crate) fn refused_by_resolver(error: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(refusal) = e.downcast_ref::<NotPublic>() {
            return Some(refusal.0.clone());
        }
        source = e.source();
    }
    None
}
