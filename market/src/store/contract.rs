//! The contract every [`MarketStore`] backend passes: plain async functions over
//! `&dyn MarketStore`, instantiated per backend with [`store_contract!`](crate::store_contract).
//!
//! A backend's test module calls `market::store_contract!(fresh_store())`, where
//! `fresh_store()` is a future of `(Arc<dyn MarketStore>, guard)`: a migrated,
//! empty store and whatever keeps its server alive.

// Test code that lives in the library so each backend's test binary can call
// it: a failed expectation must panic.
#![allow(clippy::unwrap_used)]

use chrono::{SubsecRound, Utc};
use market_model::{MarketSource, SourceId, SourceType};

use super::{MarketStore, SettingKey, StoreError};

fn id(s: &str) -> SourceId {
    SourceId::parse(s).expect("test ids are valid")
}

fn remote(name: &str, active: bool) -> MarketSource {
    MarketSource {
        id: id(name),
        name: name.to_owned(),
        kind: SourceType::Remote,
        base_url: format!("http://127.0.0.1:1/{name}"),
        priority: 5,
        is_active: active,
        description: String::new(),
        // Backends keep at least millisecond precision.
        updated_at: Utc::now().trunc_subsecs(3),
    }
}

pub async fn seeds_the_default_sources(store: &dyn MarketStore) {
    let got = store.sources().await.unwrap();
    let want = MarketSource::defaults(Utc::now());
    let strip = |s: &MarketSource| {
        (
            s.id.clone(),
            s.name.clone(),
            s.kind,
            s.priority,
            s.is_active,
            s.base_url.clone(),
        )
    };
    assert_eq!(
        got.iter().map(strip).collect::<Vec<_>>(),
        want.iter().map(strip).collect::<Vec<_>>()
    );
}

pub async fn migrate_is_idempotent(store: &dyn MarketStore) {
    store.delete_source(&id("cli")).await.unwrap();
    store.migrate().await.unwrap();
    // Seeding happens once: a deleted default stays deleted.
    assert!(store.source(&id("cli")).await.unwrap().is_none());
    assert_eq!(store.sources().await.unwrap().len(), 3);
}

pub async fn puts_and_reads_back_a_source(store: &dyn MarketStore) {
    let mut s = remote("mirror", false);
    store.put_source(&s).await.unwrap();
    assert_eq!(store.source(&s.id).await.unwrap(), Some(s.clone()));
    s.description = "changed".into();
    s.priority = 7;
    store.put_source(&s).await.unwrap();
    assert_eq!(store.source(&s.id).await.unwrap(), Some(s.clone()));
    assert_eq!(
        store
            .sources()
            .await
            .unwrap()
            .iter()
            .filter(|x| x.id == s.id)
            .count(),
        1
    );
    assert!(store.source(&id("absent")).await.unwrap().is_none());
}

pub async fn allows_at_most_one_active_remote(store: &dyn MarketStore) {
    store.put_source(&remote("first", true)).await.unwrap();
    let err = store.put_source(&remote("second", true)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(!err.is_retryable());
    assert!(
        store.source(&id("second")).await.unwrap().is_none(),
        "a refused put leaves nothing"
    );
    // Inactive remotes and re-putting the active one are fine.
    store.put_source(&remote("second", false)).await.unwrap();
    store.put_source(&remote("first", true)).await.unwrap();
    // After deactivating the first, the second may take the slot.
    store.put_source(&remote("first", false)).await.unwrap();
    store.put_source(&remote("second", true)).await.unwrap();
    let active: Vec<_> = store
        .sources()
        .await
        .unwrap()
        .into_iter()
        .filter(MarketSource::is_active_remote)
        .collect();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].id, id("second"));
}

pub async fn deletes_a_source(store: &dyn MarketStore) {
    assert!(store.delete_source(&id("upload")).await.unwrap());
    assert!(!store.delete_source(&id("upload")).await.unwrap());
    assert!(store.source(&id("upload")).await.unwrap().is_none());
}

pub async fn keeps_settings(store: &dyn MarketStore) {
    assert_eq!(
        store.setting(SettingKey::MarketSettings).await.unwrap(),
        None
    );
    let v =
        serde_json::json!({"selected_source": "market.olares", "nested": {"list": [1, "é", null]}});
    store
        .put_setting(SettingKey::MarketSettings, &v)
        .await
        .unwrap();
    assert_eq!(
        store.setting(SettingKey::MarketSettings).await.unwrap(),
        Some(v)
    );
    let w = serde_json::json!({"selected_source": "upload"});
    store
        .put_setting(SettingKey::MarketSettings, &w)
        .await
        .unwrap();
    assert_eq!(
        store.setting(SettingKey::MarketSettings).await.unwrap(),
        Some(w)
    );
}

pub async fn answers_ping(store: &dyn MarketStore) {
    store.ping().await.unwrap();
}

/// Instantiates every contract function as a `#[tokio::test]` over a fresh store.
#[macro_export]
macro_rules! store_contract {
    ($fresh:expr) => {
        $crate::store_contract!(@each $fresh;
            seeds_the_default_sources,
            migrate_is_idempotent,
            puts_and_reads_back_a_source,
            allows_at_most_one_active_remote,
            deletes_a_source,
            keeps_settings,
            answers_ping
        );
    };
    (@each $fresh:expr; $($name:ident),*) => {$(
        #[tokio::test]
        async fn $name() {
            let (store, _guard) = $fresh.await;
            $crate::store::contract::$name(&*store).await;
        }
    )*};
}
