//! Receipts: a waiting user's proof of their number, kept by the client.
//!
//! The line lives in Redis (or process memory), which can lose it. A receipt is what lets a
//! user who waited keep their place anyway: join and status answers carry one, the client
//! keeps it, and during a recovery window it restores the number it names. It is an opaque
//! `base64url(event \n user \n number) . base64url(HMAC-SHA256)` under a key derived from the
//! server secret for this purpose only, so no other token can pass for one. A receipt names
//! one event and one user: it is useless to anyone else, and a forged or foreign one is
//! simply ignored (the join goes on as a newcomer's).
//!
//! Receipts are always signed under `JWT_SECRET`'s key; those of `JWT_ACCEPT_SECRETS` are
//! also accepted when reading, so a rotation does not cost anyone their number.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::line::Claim;
use crate::ids::{EventId, UserId};

type HmacSha256 = Hmac<Sha256>;

/// Longest receipt accepted; anything longer is not one of ours.
pub const MAX_RECEIPT_LEN: usize = 1024;

pub struct Receipts {
    /// Signs, and verifies.
    key: HmacSha256,
    /// Verify only: derived from each of `JWT_ACCEPT_SECRETS`.
    accepted: Vec<HmacSha256>,
}

fn derive(secret: &[u8]) -> HmacSha256 {
    let mut derive = HmacSha256::new_from_slice(secret).expect("HMAC takes any key size");
    derive.update(b"boxoffice line receipt v1");
    let key = derive.finalize().into_bytes();
    HmacSha256::new_from_slice(&key).expect("HMAC takes any key size")
}

impl Receipts {
    pub fn new(secret: &[u8]) -> Self {
        Receipts {
            key: derive(secret),
            accepted: Vec::new(),
        }
    }

    /// Also accept receipts signed under any of `secrets` when reading; never sign with them.
    pub fn accepting<S: AsRef<[u8]>>(mut self, secrets: &[S]) -> Self {
        self.accepted
            .extend(secrets.iter().map(|s| derive(s.as_ref())));
        self
    }

    /// A receipt for `user_id`'s place in `event_id`'s line.
    pub fn issue(&self, event_id: &EventId, user_id: &UserId, claim: Claim) -> String {
        let body = format!("{event_id}\n{user_id}\n{}", claim.code());
        let mut mac = self.key.clone();
        mac.update(body.as_bytes());
        format!(
            "{}.{}",
            B64.encode(body),
            B64.encode(mac.finalize().into_bytes())
        )
    }

    /// The place `receipt` proves for this event and user; [`Claim::None`] for anything that
    /// does not verify or names someone or something else.
    pub fn read(&self, receipt: &str, event_id: &EventId, user_id: &UserId) -> Claim {
        self.verify(receipt, event_id, user_id)
            .unwrap_or(Claim::None)
    }

    fn verify(&self, receipt: &str, event_id: &EventId, user_id: &UserId) -> Option<Claim> {
        if receipt.len() > MAX_RECEIPT_LEN {
            return None;
        }
        let (body, sig) = receipt.split_once('.')?;
        let body = B64.decode(body).ok()?;
        let sig = B64.decode(sig).ok()?;
        std::iter::once(&self.key)
            .chain(&self.accepted)
            .any(|key| {
                let mut mac = key.clone();
                mac.update(&body);
                mac.verify_slice(&sig).is_ok()
            })
            .then_some(())?;
        let body = String::from_utf8(body).ok()?;
        let mut parts = body.split('\n');
        let (e, u, n) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || *event_id != e || *user_id != u {
            return None;
        }
        match n.parse::<i64>().ok()? {
            0 => Some(Claim::Presale),
            n if n > 0 => Some(Claim::Number(n)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: &str) -> EventId {
        EventId::parse(id).unwrap()
    }

    fn u(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[test]
    fn a_receipt_proves_its_number_to_its_owner_only() {
        let r = Receipts::new(b"secret");
        let receipt = r.issue(&e("e1"), &u("u1"), Claim::Number(42));
        assert_eq!(r.read(&receipt, &e("e1"), &u("u1")), Claim::Number(42));
        assert_eq!(r.read(&receipt, &e("e1"), &u("u2")), Claim::None);
        assert_eq!(r.read(&receipt, &e("e2"), &u("u1")), Claim::None);
        let pre = r.issue(&e("e1"), &u("u1"), Claim::Presale);
        assert_eq!(r.read(&pre, &e("e1"), &u("u1")), Claim::Presale);
    }

    #[test]
    fn forged_or_foreign_receipts_prove_nothing() {
        let r = Receipts::new(b"secret");
        let receipt = r.issue(&e("e1"), &u("u1"), Claim::Number(42));
        let other = Receipts::new(b"another secret").issue(&e("e1"), &u("u1"), Claim::Number(1));
        assert_eq!(r.read(&other, &e("e1"), &u("u1")), Claim::None);
        // The number edited in the body: the signature no longer matches.
        let (_, sig) = receipt.split_once('.').unwrap();
        let edited = format!("{}.{sig}", B64.encode("e1\nu1\n1"));
        assert_eq!(r.read(&edited, &e("e1"), &u("u1")), Claim::None);
        for junk in ["", ".", "x.y", "%%%.%%%", &"a".repeat(5000)] {
            assert_eq!(r.read(junk, &e("e1"), &u("u1")), Claim::None);
        }
        // Ids cannot smuggle a field: a newline in the user id makes a different body. (No
        // parsed id holds one any more; this one is made as a store would.)
        let smuggled = r.issue(
            &e("e1"),
            &UserId::from_store("u1\n7".into()),
            Claim::Number(1),
        );
        assert_eq!(r.read(&smuggled, &e("e1"), &u("u1")), Claim::None);
    }

    #[test]
    fn receipts_under_an_accepted_key_still_count() {
        let old = Receipts::new(b"old secret");
        let receipt = old.issue(&e("e1"), &u("u1"), Claim::Number(7));
        assert_eq!(
            Receipts::new(b"new secret").read(&receipt, &e("e1"), &u("u1")),
            Claim::None
        );
        let rotated = Receipts::new(b"new secret").accepting(&[b"old secret"]);
        assert_eq!(rotated.read(&receipt, &e("e1"), &u("u1")), Claim::Number(7));
        assert_eq!(rotated.read(&receipt, &e("e1"), &u("u2")), Claim::None);
        let stranger = Receipts::new(b"third secret").issue(&e("e1"), &u("u1"), Claim::Number(1));
        assert_eq!(rotated.read(&stranger, &e("e1"), &u("u1")), Claim::None);
        // Issued under the new secret only.
        let fresh = rotated.issue(&e("e1"), &u("u1"), Claim::Number(8));
        assert_eq!(
            Receipts::new(b"new secret").read(&fresh, &e("e1"), &u("u1")),
            Claim::Number(8)
        );
        assert_eq!(old.read(&fresh, &e("e1"), &u("u1")), Claim::None);
    }
}
