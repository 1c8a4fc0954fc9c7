//! Passwords: argon2id with the crate's recommended parameters and a random salt per hash,
//! stored as PHC strings. Hashing takes tens of milliseconds on purpose, so it runs on a
//! blocking thread, never on the async workers.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

/// Passwords shorter than this are refused.
pub const MIN_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least {MIN_CHARS} characters")]
    TooShort,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// Refuses passwords too short to be worth hashing.
pub fn acceptable(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    Ok(())
}

/// The argon2id PHC string of `password`.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    acceptable(&password)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| PasswordError::Hash(error.to_string()))
    })
    .await
    .map_err(|error| PasswordError::Hash(error.to_string()))?
}

/// Whether `password` matches `stored` (a PHC string); an unreadable hash matches nothing.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Spends the time a verification takes, for an email that has no account, so that the answer's
/// timing does not tell which emails exist.
pub async fn verify_nothing(password: String) {
    // A hash of a random password, made once: the same parameters as real ones.
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let decoy =
        DECOY.get_or_init(|| async { hash(crate::admin::session::random_token()).await.unwrap_or_default() }).await;
    let _ = verify(password, decoy.clone()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify_only_the_right_password() {
        let first = hash("correct horse battery".into()).await.unwrap();
        let second = hash("correct horse battery".into()).await.unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "every hash has its own salt");
        assert!(verify("correct horse battery".into(), first.clone()).await);
        assert!(!verify("correct horse battery!".into(), first).await);
        assert!(!verify("anything".into(), "not a hash".into()).await);
        assert!(matches!(hash("short".into()).await, Err(PasswordError::TooShort)));
    }
}
