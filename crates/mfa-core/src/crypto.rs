//! Keys and primitives: subkeys derived from the host's master key with HKDF-SHA256, TOTP
//! secrets sealed with XChaCha20-Poly1305 bound to the user's id, recovery codes kept only as
//! keyed hashes, rows' security state bound by a MAC, OS randomness. Every key lives in
//! `Zeroizing` memory.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit as AeadKeyInit, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit as MacKeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

// HKDF's pseudorandom key and every HMAC key live in SHA-256 states; the `zeroize` features of
// sha2 and hmac (root Cargo.toml) wipe them on drop. This stops compiling if they are lost.
const _: fn() = || {
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<sha2::block_api::Sha256VarCore>();
};

/// Domain separation for every derived key; bump the version to rotate all of them.
const HKDF_SALT: &[u8] = b"mfa-core/v1";
const NONCE_LEN: usize = 24;

/// The subkeys of one master key. The master key itself is not kept.
pub(crate) struct Keys {
    secret_seal: Zeroizing<[u8; 32]>,
    /// The recovery-code hash key, as an HMAC state already keyed (see [`RowKey`]).
    code_hash: HmacSha256,
    audit_mac: Zeroizing<[u8; 32]>,
    /// `audit_mac` as an HMAC state already keyed, for the event every write appends.
    audit_chain: HmacSha256,
    key_check: Zeroizing<[u8; 32]>,
    /// Seals the chain keys of retired master keys (see [`RetiredChainKeys`]).
    archive_seal: Zeroizing<[u8; 32]>,
    row_mac: RowKey,
}

/// The audit chain keys of the master keys a store had before, each with the seq of the last
/// event MAC'd under it (the `key.rotate` event that retired it), oldest first. A rotation adds
/// the key it retires and stores the list sealed under the new master key, so that the trail
/// verifies end to end with only the current key.
pub(crate) struct RetiredChainKeys(Vec<(u64, Zeroizing<[u8; 32]>)>);

impl RetiredChainKeys {
    pub(crate) fn none() -> Self {
        RetiredChainKeys(Vec::new())
    }

    /// The chain key event `seq` is MAC'd under: the first retired epoch ending at or after
    /// it, else the current one.
    pub(crate) fn key_for<'a>(&'a self, seq: u64, current: &'a Keys) -> &'a [u8; 32] {
        self.0.iter().find(|(end, _)| seq <= *end).map_or(&current.audit_mac, |(_, key)| key)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// Associated data of the sealed list of retired chain keys.
const ARCHIVE_AAD: &[u8] = b"mfa-core retired audit chain keys v1";

/// The key that binds each stored row's security state (a user's role, status, counters and
/// sealed secret; an org's policy; a recovery code's use) to a MAC. The store keeps its own copy,
/// so that every query checks the rows it reads and seals the rows it writes.
///
/// It holds the HMAC state already keyed (wiped on drop like every HMAC state here), so that the
/// MAC of each row read or written does not hash the key pads again.
#[derive(Clone)]
pub(crate) struct RowKey(HmacSha256);

impl RowKey {
    fn new(key: &[u8; 32]) -> RowKey {
        RowKey(keyed(key))
    }

    /// HMAC-SHA256 over a row's canonical bytes (see `store::integrity`).
    pub(crate) fn mac(&self, canonical: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(canonical);
        mac.finalize().into_bytes().into()
    }

    /// This key with `prefix` already hashed: its [`RowKey::mac`] of `rest` is this key's MAC
    /// of `prefix || rest`. For many rows whose canonical bytes start alike (the recovery
    /// codes of one user), so that the common start is hashed once.
    pub(crate) fn after(&self, prefix: &[u8]) -> RowKey {
        let mut mac = self.0.clone();
        mac.update(prefix);
        RowKey(mac)
    }

    /// Whether `stored` is the MAC of `canonical`, compared in constant time.
    pub(crate) fn matches(&self, canonical: &[u8], stored: &[u8]) -> bool {
        macs_equal(&self.mac(canonical), stored)
    }
}

fn derive(master: &[u8; 32], purpose: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(HKDF_SALT), master)
        .expand(purpose, out.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

/// An HMAC-SHA256 state keyed with `key`: cloning it skips hashing the key pads again.
fn keyed(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as MacKeyInit>::new_from_slice(key).expect("HMAC accepts any key length")
}

fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    finish(keyed(key), parts)
}

/// Hashes `parts` into a keyed state and returns the MAC.
fn finish(mut mac: HmacSha256, parts: &[&[u8]]) -> [u8; 32] {
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl Keys {
    pub(crate) fn derive(master: &[u8; 32]) -> Keys {
        let audit_mac = derive(master, b"audit-mac-chain");
        Keys {
            secret_seal: derive(master, b"totp-secret-seal"),
            code_hash: keyed(&*derive(master, b"recovery-code-hash")),
            audit_chain: keyed(&*audit_mac),
            audit_mac,
            key_check: derive(master, b"key-check"),
            archive_seal: derive(master, b"retired-key-archive"),
            row_mac: RowKey::new(&derive(master, b"row-mac")),
        }
    }

    /// A copy of the row key, for the store.
    pub(crate) fn row_key(&self) -> RowKey {
        self.row_mac.clone()
    }

    /// A value stored in the file so that a wrong key is refused on open, before any change.
    /// It is a MAC of a constant, so it reveals nothing of the key.
    pub(crate) fn check_value(&self) -> [u8; 32] {
        hmac(&self.key_check, &[b"mfa-core key check"])
    }

    pub(crate) fn matches_check_value(&self, stored: &[u8]) -> bool {
        bool::from(self.check_value().ct_eq(stored))
    }

    /// Seals a TOTP secret for one user: `nonce || ciphertext || tag`. The user id is the
    /// associated data, so a sealed secret copied onto another user's row does not open.
    pub(crate) fn seal_secret(&self, user_id: &str, secret: &[u8]) -> Result<Vec<u8>> {
        let cipher = XChaCha20Poly1305::new(&(*self.secret_seal).into());
        let nonce_bytes = random_array::<NONCE_LEN>()?;
        let nonce = XNonce::from(nonce_bytes);
        let sealed = cipher
            .encrypt(&nonce, Payload { msg: secret, aad: user_id.as_bytes() })
            .map_err(|_| Error::Internal("sealing a TOTP secret failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a sealed secret; a tampered or misplaced blob is `storage` (the file is damaged).
    pub(crate) fn open_secret(&self, user_id: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let damaged = || Error::Storage(format!("the TOTP secret of user {user_id} does not open"));
        if blob.len() <= NONCE_LEN {
            return Err(damaged());
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| damaged())?;
        let cipher = XChaCha20Poly1305::new(&(*self.secret_seal).into());
        cipher
            .decrypt(&nonce, Payload { msg: sealed, aad: user_id.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| damaged())
    }

    /// The keyed hash under which a recovery code is stored, bound to its user.
    pub(crate) fn hash_recovery_code(&self, user_id: &str, code: &str) -> [u8; 32] {
        finish(self.code_hash.clone(), &[user_id.as_bytes(), b"\0", code.as_bytes()])
    }

    /// Links an audit event to its predecessor: HMAC(prev_mac || canonical bytes), the same
    /// as [`chain_mac`] under `audit_mac`, from the state keyed once.
    pub(crate) fn audit_mac(&self, prev_mac: &[u8], canonical: &[u8]) -> [u8; 32] {
        finish(self.audit_chain.clone(), &[prev_mac, canonical])
    }

    /// The list after retiring this key set (whose chain ended at `end_seq`), sealed under
    /// `next`: `nonce || ciphertext || tag` over `(end_seq, key)` pairs.
    pub(crate) fn seal_retired(
        &self,
        earlier: &RetiredChainKeys,
        end_seq: u64,
        next: &Keys,
    ) -> Result<Vec<u8>> {
        let mut plain = Zeroizing::new(Vec::with_capacity(40 * (earlier.0.len() + 1)));
        for (end, key) in
            earlier.0.iter().map(|(end, key)| (*end, &**key)).chain([(end_seq, &*self.audit_mac)])
        {
            plain.extend_from_slice(&end.to_be_bytes());
            plain.extend_from_slice(key);
        }
        let cipher = XChaCha20Poly1305::new(&(*next.archive_seal).into());
        let nonce_bytes = random_array::<NONCE_LEN>()?;
        let sealed = cipher
            .encrypt(&XNonce::from(nonce_bytes), Payload { msg: &plain, aad: ARCHIVE_AAD })
            .map_err(|_| Error::Internal("sealing the retired audit keys failed".into()))?;
        Ok([&nonce_bytes[..], &sealed].concat())
    }

    /// Opens the list sealed by [`Keys::seal_retired`]; anything that does not open under this
    /// key, or is not whole pairs, is `storage` (the file is damaged or was tampered with).
    pub(crate) fn open_retired(&self, blob: &[u8]) -> Result<RetiredChainKeys> {
        let damaged =
            || Error::Storage("the retired audit keys of this store do not open: it is damaged".into());
        if blob.len() <= NONCE_LEN {
            return Err(damaged());
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| damaged())?;
        let cipher = XChaCha20Poly1305::new(&(*self.archive_seal).into());
        let plain = Zeroizing::new(
            cipher.decrypt(&nonce, Payload { msg: sealed, aad: ARCHIVE_AAD }).map_err(|_| damaged())?,
        );
        if plain.len() % 40 != 0 {
            return Err(damaged());
        }
        let keys = plain
            .chunks_exact(40)
            .map(|pair| {
                let end = u64::from_be_bytes(pair[..8].try_into().expect("8 bytes"));
                let mut key = Zeroizing::new([0u8; 32]);
                key.copy_from_slice(&pair[8..]);
                (end, key)
            })
            .collect();
        Ok(RetiredChainKeys(keys))
    }
}

/// HMAC(prev_mac || canonical) under one chain key.
pub(crate) fn chain_mac(key: &[u8; 32], prev_mac: &[u8], canonical: &[u8]) -> [u8; 32] {
    hmac(key, &[prev_mac, canonical])
}

/// Whether `stored` is `mac`, in constant time. The MACs are compared as four 64-bit words
/// (`subtle` hides each comparison from the optimizer separately: four times rather than 32);
/// a stored value of another length is never equal.
fn macs_equal(mac: &[u8; 32], stored: &[u8]) -> bool {
    let Ok(stored) = <&[u8; 32]>::try_from(stored) else { return false };
    let words = |bytes: &[u8; 32]| -> [u64; 4] {
        std::array::from_fn(|i| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes")))
    };
    bool::from(words(mac).ct_eq(&words(stored)))
}

/// Fills an array from the operating system's CSPRNG.
pub(crate) fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| Error::Internal(format!("the OS random source failed: {e}")))?;
    Ok(out)
}

/// Alphabet of recovery codes: lowercase letters and digits without the look-alikes 0, 1, l, o.
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// Ten characters in two groups of five (`abcde-23456`): 50 bits, single use.
pub(crate) fn new_recovery_code() -> Result<String> {
    let bytes = Zeroizing::new(random_array::<10>()?);
    let mut code = String::with_capacity(11);
    for (i, b) in bytes.iter().enumerate() {
        if i == 5 {
            code.push('-');
        }
        // 256 is a multiple of 32, so masking keeps the distribution uniform.
        code.push(RECOVERY_ALPHABET[usize::from(b & 31)] as char);
    }
    Ok(code)
}

/// Normalises a candidate recovery code (case and the optional hyphen), or `None` when it
/// cannot be one.
pub(crate) fn normalize_recovery_code(input: &str) -> Option<String> {
    let lower = input.to_ascii_lowercase();
    let compact: String = lower.chars().filter(|&c| c != '-').collect();
    let well_formed =
        compact.len() == 10 && compact.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) && lower.len() <= 11;
    well_formed.then(|| format!("{}-{}", &compact[..5], &compact[5..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(byte: u8) -> Keys {
        Keys::derive(&[byte; 32])
    }

    #[test]
    fn sealed_secrets_open_only_for_their_user_and_key() {
        let k = keys(1);
        let blob = k.seal_secret("user-a", b"twenty bytes secret!").unwrap();
        assert_eq!(&*k.open_secret("user-a", &blob).unwrap(), b"twenty bytes secret!");
        assert_eq!(k.open_secret("user-b", &blob).unwrap_err().code(), "storage");
        assert_eq!(keys(2).open_secret("user-a", &blob).unwrap_err().code(), "storage");
        let mut flipped = blob.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(k.open_secret("user-a", &flipped).is_err());
        assert!(k.open_secret("user-a", &blob[..10]).is_err());
    }

    #[test]
    fn row_macs_depend_on_the_key_and_every_byte() {
        let (a, b) = (keys(1).row_key(), keys(2).row_key());
        let mac = a.mac(b"row bytes");
        assert!(a.matches(b"row bytes", &mac));
        assert!(!a.matches(b"row bytez", &mac));
        assert!(!b.matches(b"row bytes", &mac));
        assert!(!a.matches(b"row bytes", &mac[..31]));
        assert!(!a.matches(b"row bytes", b""));
        assert!(!a.matches(b"row bytes", &[mac.as_slice(), &[0]].concat()));
        // A change in any byte of the stored MAC is seen (the words cover all 32).
        for i in 0..32 {
            let mut changed = mac;
            changed[i] ^= 0x80;
            assert!(!a.matches(b"row bytes", &changed), "byte {i}");
        }
        // A separate subkey: not the audit chain's, so one MAC cannot stand for the other.
        assert_ne!(mac, keys(1).audit_mac(b"", b"row bytes"));
    }

    #[test]
    fn keyed_states_give_the_mac_of_their_key() {
        let k = keys(1);
        // The states kept keyed give exactly the MAC of the derived key, so stores written
        // before them still check.
        assert_eq!(k.audit_mac(b"prev", b"event"), chain_mac(&k.audit_mac, b"prev", b"event"));
        let code_key = derive(&[1; 32], b"recovery-code-hash");
        assert_eq!(k.hash_recovery_code("u", "abcde-23456"), hmac(&code_key, &[b"u", b"\0", b"abcde-23456"]));
        assert_ne!(k.hash_recovery_code("u", "abcde-23456"), k.hash_recovery_code("v", "abcde-23456"));
        // A key with a prefix hashed MACs the prefix and the rest as one message.
        let row = k.row_key();
        assert_eq!(row.after(b"common start ").mac(b"and the rest"), row.mac(b"common start and the rest"));
        assert_ne!(row.after(b"common start").mac(b"and the rest"), row.mac(b"and the rest"));
    }

    #[test]
    fn retired_chain_keys_open_only_under_the_next_key() {
        let (old, new) = (keys(1), keys(2));
        let blob = old.seal_retired(&RetiredChainKeys::none(), 7, &new).unwrap();
        assert_eq!(old.open_retired(&blob).err().unwrap().code(), "storage");
        let retired = new.open_retired(&blob).unwrap();
        assert_eq!(retired.len(), 1);
        assert_eq!(retired.key_for(7, &new), &*old.audit_mac);
        assert_eq!(retired.key_for(8, &new), &*new.audit_mac);
        let mut flipped = blob.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(new.open_retired(&flipped).err().unwrap().code(), "storage");
        // A second rotation keeps the first epoch and adds the second.
        let third = keys(3);
        let both = third.open_retired(&new.seal_retired(&retired, 12, &third).unwrap()).unwrap();
        assert_eq!((both.key_for(1, &third), both.key_for(9, &third)), (&*old.audit_mac, &*new.audit_mac));
        assert_eq!(both.key_for(13, &third), &*third.audit_mac);
    }

    #[test]
    fn key_check_tells_keys_apart() {
        assert!(keys(1).matches_check_value(&keys(1).check_value()));
        assert!(!keys(2).matches_check_value(&keys(1).check_value()));
    }

    #[test]
    fn recovery_codes_are_well_formed_and_normalise() {
        let code = new_recovery_code().unwrap();
        assert_eq!(code.len(), 11);
        assert_eq!(normalize_recovery_code(&code).as_deref(), Some(code.as_str()));
        assert_eq!(normalize_recovery_code(&code.to_uppercase()).as_deref(), Some(code.as_str()));
        assert_eq!(normalize_recovery_code(&code.replace('-', "")).as_deref(), Some(code.as_str()));
        for bad in ["", "abcde-2345", "abcde-234567", "abcd0-23456", "abcde 23456", "ab-cde-23456"] {
            assert_eq!(normalize_recovery_code(bad), None, "{bad:?}");
        }
    }
}
