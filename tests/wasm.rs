//! Tests that need the wasm/JS environment: randomness from crypto.getRandomValues and
//! time from JS Date, as the worker gets them in workerd. Run under node by
//! wasm-bindgen-test-runner (scripts/test.sh); compiled to nothing natively.
#![cfg(target_arch = "wasm32")]

use std::collections::HashSet;

use uload_core::{code, link};
use uload_edge::runtime;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn random_codes_have_the_right_shape_and_do_not_repeat() {
    let codes: HashSet<String> = (0..2_000).map(|_| runtime::random_code()).collect();
    assert_eq!(
        codes.len(),
        2_000,
        "2,000 draws from 55^7 codes should not collide"
    );
    for c in &codes {
        assert_eq!(c.len(), code::RANDOM_LEN);
        assert!(c.bytes().all(|b| code::ALPHABET.contains(&b)), "{c}");
    }
}

#[wasm_bindgen_test]
fn random_codes_use_the_whole_alphabet() {
    // 2,000 codes × 7 symbols: every one of the 55 symbols appears (p of a miss ≈ 55·e^-254).
    let seen: HashSet<u8> = (0..2_000)
        .flat_map(|_| runtime::random_code().into_bytes())
        .collect();
    assert_eq!(seen.len(), code::ALPHABET.len());
}

#[wasm_bindgen_test]
fn ids_look_like_pocketbase_ids() {
    let id = runtime::random_id();
    assert_eq!(id.len(), link::ID_LEN);
    assert!(id.bytes().all(|b| link::ID_ALPHABET.contains(&b)), "{id}");
    assert_ne!(id, runtime::random_id());
}

#[wasm_bindgen_test]
fn timestamps_are_iso_8601_utc_with_milliseconds() {
    let now = uload_edge::clock::now_iso();
    // e.g. 2026-11-24T18:42:44.600Z
    assert_eq!(now.len(), 24, "{now}");
    assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    let year: u32 = now[..4].parse().unwrap();
    assert!(year >= 2024, "{now}");
    let ms = uload_edge::clock::now_ms();
    assert!(ms > 1_700_000_000_000, "{ms}");
}

#[wasm_bindgen_test]
async fn passwords_hash_with_webcrypto_and_verify() {
    use uload_edge::crypto::{hash_password, verify_password};
    let phc = hash_password("correct horse").await.unwrap();
    assert!(phc.starts_with("$pbkdf2-sha256$i=100000$"), "{phc}");
    assert!(!phc.contains("correct horse"));
    assert!(verify_password("correct horse", &phc).await.unwrap());
    assert!(!verify_password("Correct horse", &phc).await.unwrap());
    assert!(!verify_password("correct horse", "not a hash")
        .await
        .unwrap());
    // Each hash has its own salt.
    assert_ne!(phc, hash_password("correct horse").await.unwrap());
}
