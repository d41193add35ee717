//! A token is only good exactly as it was signed: every character and every
//! bit changed, every truncation and extension, is refused.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use panke::domain::token::{KeyId, KeyMaterial, KeyRing, ReportId, TOKEN_LEN};
use proptest::prelude::*;

fn ring() -> KeyRing {
    KeyRing::new(KeyId(1), [KeyMaterial { id: KeyId(1), secret: &[0x5a; 32], retired: false }]).unwrap()
}

const QR_ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_single_character_substitution_is_refused(id in 1i64..i64::MAX, secs in 0i64..4_000_000_000) {
        let ring = ring();
        let at = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        let token = ring.sign(ReportId(id), at);
        let claims = ring.verify(&token).unwrap();
        prop_assert_eq!(claims.report_id, ReportId(id));
        prop_assert_eq!(claims.issued_at, at);
        let chars: Vec<char> = token.chars().collect();
        for i in 0..chars.len() {
            for c in QR_ALNUM.chars().chain("abcxyz=".chars()) {
                if c == chars[i] { continue; }
                let mut altered = chars.clone();
                altered[i] = c;
                let altered: String = altered.into_iter().collect();
                prop_assert!(ring.verify(&altered).is_err(), "{} verified", altered);
            }
        }
    }

    #[test]
    fn every_bit_flip_of_the_payload_is_refused(id in 1i64..i64::MAX, secs in 0i64..4_000_000_000) {
        let ring = ring();
        let token = ring.sign(ReportId(id), DateTime::<Utc>::from_timestamp(secs, 0).unwrap());
        let raw = BASE32_NOPAD.decode(&token.as_bytes()[3..]).unwrap();
        for bit in 0..raw.len() * 8 {
            let mut flipped = raw.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let altered = format!("PK1{}", BASE32_NOPAD.encode(&flipped));
            prop_assert!(ring.verify(&altered).is_err(), "bit {} flipped still verifies", bit);
        }
    }

    #[test]
    fn truncated_extended_and_lower_cased_tokens_are_refused(id in 1i64..i64::MAX, extra in "[A-Z2-7=]{1,4}") {
        let ring = ring();
        let token = ring.sign(ReportId(id), Utc::now());
        prop_assert_eq!(token.len(), TOKEN_LEN);
        for cut in 0..token.len() {
            prop_assert!(ring.verify(&token[..cut]).is_err());
        }
        let extended = format!("{token}{extra}");
        prop_assert!(ring.verify(&extended).is_err());
        prop_assert!(ring.verify(&token.to_lowercase()).is_err());
    }

    #[test]
    fn random_strings_never_verify(s in "PK1[A-Z2-7]{50}") {
        prop_assert!(ring().verify(&s).is_err());
    }
}
