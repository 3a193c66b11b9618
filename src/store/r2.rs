//! R2 for backups: put, get, list folders, delete a folder. Binding failures become
//! `StoreError`.

use worker::{Bucket, Env};

use super::StoreError;
use uload_core::backup::{self, Manifest};

pub const BINDING: &str = "BACKUPS";

pub struct Backups {
    bucket: Bucket,
}

fn err(e: worker::Error) -> StoreError {
    StoreError::unavailable("R2", e)
}

impl Backups {
    pub fn from_env(env: &Env) -> Result<Self, StoreError> {
        Ok(Self {
            bucket: env.bucket(BINDING).map_err(err)?,
        })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.bucket.put(key, bytes).execute().await.map_err(err)?;
        Ok(())
    }

    /// The object's bytes, or `None` when there is no such key.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(object) = self.bucket.get(key).execute().await.map_err(err)? else {
            return Ok(None);
        };
        match object.body() {
            Some(body) => body.bytes().await.map(Some).map_err(err),
            None => Ok(Some(Vec::new())),
        }
    }

    /// The folder names directly under `prefix` (without the prefix and the trailing '/').
    pub async fn folders(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut list = self.bucket.list().prefix(prefix).delimiter("/");
            if let Some(c) = cursor.take() {
                list = list.cursor(c);
            }
            let page = list.execute().await.map_err(err)?;
            out.extend(page.delimited_prefixes().into_iter().map(|p| {
                p.trim_start_matches(prefix)
                    .trim_end_matches('/')
                    .to_string()
            }));
            match (page.truncated(), page.cursor()) {
                (true, Some(c)) => cursor = Some(c),
                _ => return Ok(out),
            }
        }
    }

    /// Deletes every object under `prefix`; returns how many.
    /// Complete backups (those with a readable manifest), newest first.
    pub async fn manifests(&self) -> Result<Vec<Manifest>, StoreError> {
        let mut ids = self.folders(backup::PREFIX).await?;
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let mut out = Vec::new();
        for id in ids {
            if let Some(bytes) = self.get(&backup::manifest_key(&id)).await? {
                if let Ok(m) = backup::parse_manifest(&bytes) {
                    out.push(m);
                }
            }
        }
        Ok(out)
    }

    pub async fn delete_all(&self, prefix: &str) -> Result<usize, StoreError> {
        let mut deleted = 0;
        loop {
            let page = self
                .bucket
                .list()
                .prefix(prefix)
                .execute()
                .await
                .map_err(err)?;
            let keys: Vec<String> = page.objects().iter().map(|o| o.key()).collect();
            if keys.is_empty() {
                return Ok(deleted);
            }
            deleted += keys.len();
            self.bucket.delete_multiple(keys).await.map_err(err)?;
        }
    }
}
