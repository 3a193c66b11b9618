//! Password hashing with WebCrypto's PBKDF2: native code in workerd, where the same
//! derivation in wasm would cost several times the CPU budget of a request. The PHC
//! format and the comparison live in `uload_core::secret`.

use crate::runtime::js_err;
use web_sys::{CryptoKey, Pbkdf2Params, SubtleCrypto};
use worker::js_sys::{self, Array, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

use uload_core::secret::{PasswordHash, HASH_LEN, PBKDF2_ITERATIONS, SALT_LEN};

fn subtle() -> Result<SubtleCrypto, String> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .map_err(|_| "globalThis.crypto is missing".to_string())?;
    Ok(crypto.unchecked_into::<web_sys::Crypto>().subtle())
}

async fn pbkdf2(password: &str, salt: &[u8], iterations: u32) -> Result<Vec<u8>, String> {
    let subtle = subtle()?;
    let key_data = Uint8Array::from(password.as_bytes());
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let key = JsFuture::from(
        subtle
            .import_key_with_str("raw", &key_data, "PBKDF2", false, &usages)
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?;
    let params =
        Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", iterations, &Uint8Array::from(salt));
    let bits = JsFuture::from(
        subtle
            .derive_bits_with_object(
                &params,
                &key.unchecked_into::<CryptoKey>(),
                (HASH_LEN * 8) as u32,
            )
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// A new salted hash of `password`, as a PHC string.
pub async fn hash_password(password: &str) -> Result<String, String> {
    let salt = crate::runtime::random_bytes(SALT_LEN);
    let hash = pbkdf2(password, &salt, PBKDF2_ITERATIONS).await?;
    Ok(PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt,
        hash,
    }
    .to_phc())
}

/// Whether `password` matches a stored PHC string (false for an unreadable one).
pub async fn verify_password(password: &str, phc: &str) -> Result<bool, String> {
    let Some(stored) = PasswordHash::parse(phc) else {
        return Ok(false);
    };
    let derived = pbkdf2(password, &stored.salt, stored.iterations).await?;
    Ok(stored.matches(&derived))
}
