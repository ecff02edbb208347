//! The market-source part of both services' store contracts (market's
//! `MarketStore`, chart-repo's `RepoStore` keep sources with the same rules):
//! defaults seeded once, put/read back, at most one active remote, delete.
//!
//! [`source_store_contract!`](crate::source_store_contract) instantiates it as
//! `#[tokio::test]`s over a fresh store (an `Arc<dyn …Store>`).

use chrono::{SubsecRound, Utc};
use market_model::{MarketSource, SourceId, SourceType};

/// A valid source id.
pub fn id(s: &str) -> SourceId {
    SourceId::parse(s).expect("test ids are valid")
}

/// A remote source named `name`; backends keep at least millisecond precision.
pub fn remote(name: &str, active: bool) -> MarketSource {
    MarketSource {
        id: id(name),
        name: name.to_owned(),
        kind: SourceType::Remote,
        base_url: format!("http://127.0.0.1:1/{name}"),
        priority: 5,
        is_active: active,
        description: String::new(),
        updated_at: Utc::now().trunc_subsecs(3),
    }
}

/// The fields a seeded source must have (its time is the store's).
pub fn seeded_shape(s: &MarketSource) -> (SourceId, String, SourceType, i32, bool, String) {
    (
        s.id.clone(),
        s.name.clone(),
        s.kind,
        s.priority,
        s.is_active,
        s.base_url.clone(),
    )
}

/// The sources every fresh store starts with, in the order `sources()` returns.
pub fn defaults() -> Vec<MarketSource> {
    MarketSource::defaults(Utc::now())
}

/// Instantiates the source contract over `$fresh` (a future of `(store, guard)`),
/// with `$conflict` the pattern of the store's conflict error.
#[macro_export]
macro_rules! source_store_contract {
    ($fresh:expr, conflict: $conflict:pat) => {
        use $crate::source_contract::{defaults, id, remote, seeded_shape};

        #[tokio::test]
        async fn seeds_the_default_sources() {
            let (store, _guard) = $fresh.await;
            let got: Vec<_> = store
                .sources()
                .await
                .unwrap()
                .iter()
                .map(seeded_shape)
                .collect();
            let want: Vec<_> = defaults().iter().map(seeded_shape).collect();
            assert_eq!(got, want);
        }

        #[tokio::test]
        async fn migrate_is_idempotent_and_seeds_once() {
            let (store, _guard) = $fresh.await;
            store.delete_source(&id("cli")).await.unwrap();
            store.migrate().await.unwrap();
            assert!(
                store.source(&id("cli")).await.unwrap().is_none(),
                "a deleted default stays deleted"
            );
            assert_eq!(store.sources().await.unwrap().len(), 3);
        }

        #[tokio::test]
        async fn puts_and_reads_back_a_source() {
            let (store, _guard) = $fresh.await;
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

        #[tokio::test]
        async fn allows_at_most_one_active_remote() {
            let (store, _guard) = $fresh.await;
            store.put_source(&remote("first", true)).await.unwrap();
            let err = store.put_source(&remote("second", true)).await.unwrap_err();
            assert!(matches!(err, $conflict), "{err:?}");
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
                .filter(|s| s.is_active_remote())
                .collect();
            assert_eq!(active.len(), 1);
            assert_eq!(active[0].id, id("second"));
        }

        #[tokio::test]
        async fn deletes_a_source() {
            let (store, _guard) = $fresh.await;
            assert!(store.delete_source(&id("upload")).await.unwrap());
            assert!(!store.delete_source(&id("upload")).await.unwrap());
            assert!(store.source(&id("upload")).await.unwrap().is_none());
        }

        #[tokio::test]
        async fn answers_ping() {
            let (store, _guard) = $fresh.await;
            store.ping().await.unwrap();
        }
    };
}
