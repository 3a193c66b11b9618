//! Unit tests of `backup`.

use super::*;
use serde_json::json;

fn entry(rows: &[Value]) -> TableEntry {
    let data = ndjson(rows);
    TableEntry {
        name: "links".into(),
        key: "k".into(),
        rows: rows.len() as u64,
        columns: columns(rows),
        sha256: sha256_hex(&data),
        bytes: data.len() as u64,
        gzip_bytes: 0,
    }
}

#[test]
fn ids_sort_and_parse() {
    let t = DateTime::parse_from_rfc3339("2026-11-25T03:05:07.123Z")
        .unwrap()
        .with_timezone(&Utc);
    let id = backup_id(t);
    assert_eq!(id, "2026-11-25T03-05-07.123Z");
    assert_eq!(parse_backup_id(&id), Some(t));
    assert_eq!(parse_backup_id("../etc"), None);
    assert_eq!(
        table_key(&id, "links"),
        "backups/2026-11-25T03-05-07.123Z/links.ndjson.gz"
    );
}

#[test]
fn a_table_round_trips_and_damage_is_refused() {
    let rows = vec![
        json!({ "id": "a", "url": "https://x.example/é", "click_count": 3 }),
        json!({ "id": "b", "url": "https://y.example/\n", "click_count": null }),
    ];
    let e = entry(&rows);
    let data = ndjson(&rows);
    assert_eq!(verify_table(&e, &data).unwrap(), rows);
    assert_eq!(e.columns, ["click_count", "id", "url"]);
    // Truncated, altered, or a row missing: each refused with the table named.
    let cut = &data[..data.len() - 5];
    assert!(matches!(
        verify_table(&e, cut),
        Err(BackupError::Damaged { .. })
    ));
    let mut altered = data.clone();
    altered[10] ^= 1;
    let err = verify_table(&e, &altered).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
    let mut short = e.clone();
    short.rows = 3;
    assert!(verify_table(&short, &data)
        .unwrap_err()
        .to_string()
        .contains("2 rows instead of 3"));
}

#[test]
fn manifests_are_checked() {
    let m = Manifest {
        format: FORMAT,
        id: "x".into(),
        created_at: "t".into(),
        links: Some(1),
        tables: vec![entry(&[json!({ "id": "a" })])],
    };
    let bytes = serde_json::to_vec(&m).unwrap();
    assert_eq!(parse_manifest(&bytes).unwrap(), m);
    assert!(matches!(
        parse_manifest(b"{"),
        Err(BackupError::BadManifest(_))
    ));
    let mut future = m.clone();
    future.format = 2;
    assert_eq!(
        parse_manifest(&serde_json::to_vec(&future).unwrap()),
        Err(BackupError::UnsupportedFormat(2))
    );
    let mut odd = m.clone();
    odd.tables[0].name = "sqlite_master".into();
    assert!(parse_manifest(&serde_json::to_vec(&odd).unwrap()).is_err());
    let mut injected = m;
    injected.tables[0].columns = vec!["id) VALUES (1); DROP TABLE links; --".into()];
    assert!(parse_manifest(&serde_json::to_vec(&injected).unwrap()).is_err());
}

#[test]
fn retention_keeps_recent_backups_and_always_the_newest() {
    let now = DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let id = |days: i64| backup_id(now - chrono::Duration::days(days));
    let ids = vec![id(1), id(6), id(8), id(30), "not-a-backup".to_string()];
    assert_eq!(expired(&ids, now, 7, None), vec![id(8), id(30)]);
    // Only old ones: the newest stays.
    let old = vec![id(20), id(30)];
    assert_eq!(expired(&old, now, 7, None), vec![id(30)]);
    // The last good backup stays, however old.
    assert_eq!(expired(&ids, now, 7, Some(&id(30))), vec![id(8)]);
}

#[test]
fn restored_rows_follow_the_api_rules() {
    let policy = crate::target::Policy::new(&["ulo.ad".to_string()], &["evil.example".to_string()]);
    let users: std::collections::HashMap<String, String> =
        [("u1".to_string(), "alice".to_string())]
            .into_iter()
            .collect();
    let link =
        |code: &str, url: &str| serde_json::json!({ "code": code, "url": url, "user_id": "u1" });
    assert_eq!(
        validate_row(
            "links",
            &link("spring", "https://example.com/"),
            &policy,
            &users
        ),
        Ok(())
    );
    assert_eq!(
        validate_row(
            "links",
            &link("alice/resume", "https://example.com/"),
            &policy,
            &users
        ),
        Ok(())
    );
    for bad in [
        link("../x", "https://example.com/"),
        link("bob/resume", "https://example.com/"),
        link("login", "https://example.com/"),
        link("ok1", "javascript:alert(1)"),
        link("ok2", "https://ulo.ad/loop"),
        link("ok3", "https://evil.example/"),
    ] {
        assert!(
            validate_row("links", &bad, &policy, &users).is_err(),
            "{bad}"
        );
    }
    let weak = serde_json::json!({ "code": "pwd1", "url": "https://example.com/", "password_hash": "$pbkdf2-sha256$i=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g" });
    assert!(validate_row("links", &weak, &policy, &users)
        .unwrap_err()
        .contains("PBKDF2"));
    let plain = serde_json::json!({ "code": "pwd1", "url": "https://example.com/", "password_hash": "hunter2" });
    assert!(validate_row("links", &plain, &policy, &users).is_err());
    assert!(validate_row(
        "users",
        &serde_json::json!({ "username": "Jürgen" }),
        &policy,
        &users
    )
    .is_err());
    assert!(validate_row(
        "api_keys",
        &serde_json::json!({ "key_hash": "ul_plaintext" }),
        &policy,
        &users
    )
    .is_err());
    assert_eq!(
        validate_row("tags", &serde_json::json!({}), &policy, &users),
        Ok(())
    );
}
