//! ALTCHA's proof-of-work, version 1 of its wire format, as the `altcha` widget (v1 to v3)
//! solves it: find `number` with `SHA-256(salt ‖ number) = challenge`, where the server chose
//! `number` at random in `0..=maxnumber` and signed `challenge` with HMAC-SHA-256.
//!
//! Written here with the `hmac` and `sha2` crates rather than taken from `altcha-lib-rs`
//! (0.3.3): that crate reads expiry from the system clock (the domain's clock is manual in
//! tests), accepts a salt without an expiry, compares signatures with `!=` instead of in
//! constant time, lets the payload pick the hash (SHA-1/384/512), and pulls in chrono and a
//! second `rand`. What it takes is a few lines, and the salt is parsed strictly here (see
//! [`parse_salt`]) – the point of ALTCHA's 2024 advisory on unbounded salts.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Millis;

type HmacSha256 = Hmac<Sha256>;

/// The one algorithm offered and accepted.
pub const ALGORITHM: &str = "SHA-256";

/// Largest `X-Bot-Check` value looked at. A widget payload is about 300 bytes.
pub const MAX_PAYLOAD_BYTES: usize = 1024;

/// Random bytes in the salt (as hex): challenges never repeat.
const NONCE_BYTES: usize = 12;

/// What `GET /api/botcheck/challenge` answers: ALTCHA's v1 challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Challenge {
    pub algorithm: String,
    pub challenge: String,
    pub salt: String,
    pub signature: String,
    pub maxnumber: u64,
}

/// What the widget sends back (base64 of this JSON); `took` and any other field are ignored.
#[derive(Debug, Deserialize)]
struct Payload {
    algorithm: String,
    challenge: String,
    number: u64,
    salt: String,
    signature: String,
}

/// A payload that verified: the challenge it solved (its identity for single use) and when
/// that challenge expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Solved {
    pub id: [u8; 32],
    pub expires_ms: Millis,
}

/// Why a payload was refused. All of them are `bot_check_failed` on the wire; the reason is
/// for logs and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    TooLarge,
    Malformed,
    Algorithm,
    Salt,
    Expired,
    WrongNumber,
    Signature,
}

/// The signing key of one deployment: derived from the JWT secret under its own label, so
/// every instance sharing `JWT_SECRET` shares it and nothing else signs with it. Kept as a
/// keyed HMAC state, cloned per use (saves hashing the padded key on every verification).
/// Keys derived the same way from `JWT_ACCEPT_SECRETS` are accepted when verifying, never
/// used to sign, so a challenge fetched before a rotation can still be solved after it.
#[derive(Clone)]
pub struct Key {
    signing: HmacSha256,
    accepted: Vec<HmacSha256>,
}

fn derive(secret: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"boxoffice/botcheck/altcha-v1");
    let key = mac.finalize().into_bytes();
    HmacSha256::new_from_slice(&key).expect("HMAC takes any key length")
}

impl Key {
    pub fn derive(secret: &[u8]) -> Key {
        Key {
            signing: derive(secret),
            accepted: Vec::new(),
        }
    }

    /// Also accept challenges signed under any of `secrets`; never sign with them.
    pub fn accepting<S: AsRef<[u8]>>(mut self, secrets: &[S]) -> Key {
        self.accepted
            .extend(secrets.iter().map(|s| derive(s.as_ref())));
        self
    }

    fn mac(&self) -> HmacSha256 {
        self.signing.clone()
    }

    /// Whether `signature` is `message`'s under the signing key or an accepted one.
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        std::iter::once(&self.signing)
            .chain(&self.accepted)
            .any(|key| {
                let mut mac = key.clone();
                mac.update(message);
                mac.verify_slice(signature).is_ok()
            })
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

fn sha256_hex(salt: &str, number: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(number.to_string().as_bytes());
    h.finalize().into()
}

/// A new challenge: a random `number` in `0..=max_number`, valid until `expires_ms` (carried
/// in the salt as `?expires=<unix seconds>&`, as ALTCHA v1 does, so the widget sees it too).
pub fn create(key: &Key, max_number: u64, expires_ms: Millis) -> Challenge {
    let mut rng = rand::thread_rng();
    let nonce: [u8; NONCE_BYTES] = rng.gen();
    let number = rng.gen_range(0..=max_number);
    let salt = format!(
        "{}?expires={}&",
        hex::encode(nonce),
        expires_ms.div_euclid(1000)
    );
    let challenge = hex::encode(sha256_hex(&salt, number));
    let mut mac = key.mac();
    mac.update(challenge.as_bytes());
    Challenge {
        algorithm: ALGORITHM.into(),
        challenge,
        salt,
        signature: hex::encode(mac.finalize().into_bytes()),
        maxnumber: max_number,
    }
}

/// The expiry (ms) of a salt this module made: `<24 hex>?expires=<digits>&` exactly.
///
/// The salt is not signed (only `challenge` is), and `SHA-256(salt ‖ number)` stays the same
/// when digits move between the end of the salt and the start of the number. The closing
/// `&` and the exact shape make that impossible: a salt ending in a digit, or with anything
/// after `&`, is refused, so neither the expiry nor the solution's identity can be stretched.
pub fn parse_salt(salt: &str) -> Option<Millis> {
    let (nonce, rest) = salt.split_once("?expires=")?;
    let digits = rest.strip_suffix('&')?;
    let hex_ok = nonce.len() == 2 * NONCE_BYTES
        && nonce
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let digits_ok =
        !digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit());
    if !(hex_ok && digits_ok) {
        return None;
    }
    digits.parse::<i64>().ok().map(|s| s * 1000)
}

/// Checks a widget payload (base64 of JSON): shape, algorithm, salt, expiry at `now_ms`, the
/// solution, and the signature (compared in constant time). Does not check single use.
pub fn verify(key: &Key, payload: &str, now_ms: Millis) -> Result<Solved, Refusal> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(Refusal::TooLarge);
    }
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let json = engine
        .decode(payload.trim())
        .map_err(|_| Refusal::Malformed)?;
    let p: Payload = serde_json::from_slice(&json).map_err(|_| Refusal::Malformed)?;
    if p.algorithm != ALGORITHM {
        return Err(Refusal::Algorithm);
    }
    let expires_ms = parse_salt(&p.salt).ok_or(Refusal::Salt)?;
    if now_ms >= expires_ms {
        return Err(Refusal::Expired);
    }
    let mut claimed = [0u8; 32];
    hex::decode_to_slice(&p.challenge, &mut claimed).map_err(|_| Refusal::Malformed)?;
    let mut signature = [0u8; 32];
    hex::decode_to_slice(&p.signature, &mut signature).map_err(|_| Refusal::Malformed)?;
    if sha256_hex(&p.salt, p.number) != claimed {
        return Err(Refusal::WrongNumber);
    }
    if !key.verifies(hex::encode(claimed).as_bytes(), &signature) {
        return Err(Refusal::Signature);
    }
    Ok(Solved {
        id: claimed,
        expires_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use serde_json::json;

    const NOW: Millis = 1_800_000_000_000;

    fn solve(c: &Challenge) -> u64 {
        (0..=c.maxnumber)
            .find(|n| hex::encode(sha256_hex(&c.salt, *n)) == c.challenge)
            .expect("solvable")
    }

    fn payload(c: &Challenge, number: u64) -> String {
        STANDARD.encode(
            json!({
                "algorithm": c.algorithm, "challenge": c.challenge, "number": number,
                "salt": c.salt, "signature": c.signature, "took": 12
            })
            .to_string(),
        )
    }

    #[test]
    fn a_solved_challenge_verifies_until_it_expires() {
        let key = Key::derive(b"secret-secret-secret-secret-secret");
        let c = create(&key, 2000, NOW + 60_000);
        assert_eq!(c.algorithm, "SHA-256");
        assert!(c
            .salt
            .ends_with(&format!("?expires={}&", (NOW + 60_000) / 1000)));
        let n = solve(&c);
        let solved = verify(&key, &payload(&c, n), NOW).unwrap();
        assert_eq!(hex::encode(solved.id), c.challenge);
        assert_eq!(solved.expires_ms, NOW + 60_000);
        assert_eq!(
            verify(&key, &payload(&c, n), NOW + 60_000),
            Err(Refusal::Expired)
        );
        assert_eq!(
            verify(&key, &payload(&c, n + 1), NOW),
            Err(Refusal::WrongNumber)
        );
        let other = Key::derive(b"another-secret-another-secret-xx");
        assert_eq!(
            verify(&other, &payload(&c, n), NOW),
            Err(Refusal::Signature)
        );
        // Accepted (rotation): the old key's challenges verify; new ones are signed with the
        // new key only.
        let rotated = Key::derive(b"another-secret-another-secret-xx")
            .accepting(&[b"secret-secret-secret-secret-secret"]);
        assert!(verify(&rotated, &payload(&c, n), NOW).is_ok());
        let fresh = create(&rotated, 10, NOW + 60_000);
        assert_eq!(
            verify(&key, &payload(&fresh, solve(&fresh)), NOW),
            Err(Refusal::Signature)
        );
        assert!(verify(&other, &payload(&fresh, solve(&fresh)), NOW).is_ok());
    }

    #[test]
    fn digits_cannot_move_from_the_number_into_the_salt() {
        let key = Key::derive(b"secret-secret-secret-secret-secret");
        // A number with at least two digits, so one can move, and no zero
        // after the first (105 -> "1" + "05" would not re-parse as "05").
        let (c, n) = loop {
            let c = create(&key, 1000, NOW + 60_000);
            let n = solve(&c);
            if n >= 10 && !n.to_string()[1..].starts_with('0') {
                break (c, n);
            }
        };
        let digits = n.to_string();
        let shifted = Challenge {
            salt: format!("{}{}", c.salt, &digits[..1]),
            ..c.clone()
        };
        let rest: u64 = digits[1..].parse().unwrap();
        // Same hash input, so the hash and the signature still match…
        assert_eq!(
            sha256_hex(&shifted.salt, rest),
            sha256_hex(&c.salt, n),
            "the attack's premise"
        );
        // …but the salt is not one this server makes.
        assert_eq!(
            verify(&key, &payload(&shifted, rest), NOW),
            Err(Refusal::Salt)
        );
    }

    #[test]
    fn junk_is_refused_without_panicking() {
        let key = Key::derive(b"k");
        for p in [
            "",
            "not base64!",
            "e30=",
            &STANDARD.encode("[1,2]"),
            &"A".repeat(MAX_PAYLOAD_BYTES + 1),
        ] {
            assert!(verify(&key, p, NOW).is_err(), "{p}");
        }
        let c = create(&key, 10, NOW + 1000);
        let mut bad = c.clone();
        bad.algorithm = "SHA-1".into();
        assert_eq!(
            verify(&key, &payload(&bad, 1), NOW),
            Err(Refusal::Algorithm)
        );
        for salt in [
            "abc?expires=1&",
            "0123456789abcdef01234567?expires=99999999999&x",
            "0123456789abcdef01234567?expires=&",
            "0123456789ABCDEF01234567?expires=1900000000&",
        ] {
            assert_eq!(parse_salt(salt), None, "{salt}");
        }
    }
}
