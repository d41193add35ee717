//! Passwords and PINs, hashed with argon2id (PHC strings with their salt).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("密码至少 8 位 / a password needs at least 8 characters")]
    PasswordTooShort,
    #[error("密码过长(最多 128 位)/ a password has at most 128 characters")]
    PasswordTooLong,
    #[error("PIN 须为 4–8 位数字 / a PIN is 4 to 8 digits")]
    BadPin,
    #[error("could not hash the secret")]
    Hashing,
}

pub fn check_password_policy(password: &str) -> Result<(), SecretError> {
    match password.chars().count() {
        0..8 => Err(SecretError::PasswordTooShort),
        8..=128 => Ok(()),
        _ => Err(SecretError::PasswordTooLong),
    }
}

pub fn check_pin_policy(pin: &str) -> Result<(), SecretError> {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(SecretError::BadPin)
    }
}

pub fn hash_secret(secret: &str) -> Result<String, SecretError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(secret.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| SecretError::Hashing)
}

/// Constant-time check against a stored PHC string; a damaged hash is a
/// plain "no".
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(secret.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_secret_and_never_contain_it() {
        let h = hash_secret("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("correct horse"));
        assert!(verify_secret("correct horse", &h));
        assert!(!verify_secret("correct horsf", &h));
        assert!(!verify_secret("correct horse", "not-a-hash"));
    }

    #[test]
    fn policies() {
        assert_eq!(check_password_policy("short"), Err(SecretError::PasswordTooShort));
        assert!(check_password_policy("长一点的密码abcd").is_ok());
        assert!(check_pin_policy("1234").is_ok());
        assert_eq!(check_pin_policy("12a4"), Err(SecretError::BadPin));
        assert_eq!(check_pin_policy("123"), Err(SecretError::BadPin));
    }
}
