//! Inputs of an execution travel to the worker inside the job's payload, which is stored.
//! They may hold secrets (variables declared secret), so the payload carries them sealed
//! with a key derived from the server key (ChaCha20-Poly1305, ring's AEAD): only servers and
//! workers of the deployment (which share `APIFORGE_SECRET`) can open them, and the stored
//! execution keeps a redacted copy only.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// Why sealed inputs could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(
        "the sealed inputs are damaged or were sealed with another server key: give every server and worker the same APIFORGE_SECRET"
    )]
    Open,
    #[error("sealing failed: {0}")]
    Seal(&'static str),
}

fn key(secret: &str) -> Result<LessSafeKey, SealError> {
    let digest = Sha256::digest(format!("apiforge prompt inputs v1\0{secret}").as_bytes());
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, digest.as_slice())
        .map_err(|_| SealError::Seal("key"))?;
    Ok(LessSafeKey::new(unbound))
}

/// `plain` sealed under `secret`: hex of nonce ‖ ciphertext ‖ tag.
pub fn seal(secret: &str, plain: &[u8]) -> Result<String, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| SealError::Seal("randomness"))?;
    let mut data = plain.to_vec();
    key(secret)?
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
        .map_err(|_| SealError::Seal("encryption"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&data);
    Ok(hex::encode(out))
}

/// The plain bytes of [`seal`]'s output.
pub fn open(secret: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
    let mut bytes = hex::decode(sealed).map_err(|_| SealError::Open)?;
    if bytes.len() < NONCE_LEN {
        return Err(SealError::Open);
    }
    let mut data = bytes.split_off(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = bytes.try_into().map_err(|_| SealError::Open)?;
    let plain = key(secret)?
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
        .map_err(|_| SealError::Open)?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_inputs_open_with_the_same_key_only() {
        let sealed = seal("key one", b"{\"api_key\":\"sk-123\"}").expect("sealed");
        assert!(!sealed.contains("sk-123"));
        assert_ne!(
            sealed,
            seal("key one", b"{\"api_key\":\"sk-123\"}").expect("sealed")
        );
        assert_eq!(
            open("key one", &sealed).expect("opened"),
            b"{\"api_key\":\"sk-123\"}"
        );
        assert!(matches!(open("key two", &sealed), Err(SealError::Open)));
        assert!(matches!(open("key one", "zz"), Err(SealError::Open)));
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).expect("hex");
        assert!(matches!(open("key one", &tampered), Err(SealError::Open)));
    }
}
