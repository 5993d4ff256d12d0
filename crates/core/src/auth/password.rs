//! Argon2id password hashing with the OWASP parameters (19 MiB, 2 passes,
//! 1 lane). Hashing runs on the blocking pool, at most a few at a time, so a
//! burst of logins cannot starve the async workers or exhaust memory.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version, password_hash::SaltString,
};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the e-mail is unknown, so both answers take as long.
    dummy_hash: Arc<String>,
}

fn argon2() -> AppResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(AppError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> AppResult<String> {
    let salt = SaltString::encode_b64(&super::random_bytes::<16>()).map_err(AppError::internal)?;
    Ok(argon2()?.hash_password(password.as_bytes(), &salt).map_err(AppError::internal)?.to_string())
}

fn verify_now(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2().map(|a| a.verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false)
}

impl PasswordHasher {
    pub fn new() -> AppResult<Self> {
        let parallel = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Ok(PasswordHasher {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
            dummy_hash: Arc::new(hash_now("not-a-real-password-but-the-same-cost")?),
        })
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_now(&password)).await.map_err(AppError::internal)?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there is
    /// no user, so that timing does not reveal which e-mails exist.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let password = password.to_owned();
        let known = hash.is_some();
        let hash = hash.map(str::to_owned).unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let ok = tokio::task::spawn_blocking(move || verify_now(&password, &hash)).await.map_err(AppError::internal)?;
        Ok(ok && known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_verifies() {
        let hasher = PasswordHasher::new().expect("hasher");
        let hash = hasher.hash("correct horse battery").await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify("correct horse battery", Some(&hash)).await.expect("verify"));
        assert!(!hasher.verify("wrong", Some(&hash)).await.expect("verify"));
        assert!(!hasher.verify("correct horse battery", None).await.expect("verify"));
    }
}
