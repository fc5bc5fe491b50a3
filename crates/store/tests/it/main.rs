//! Integration tests of `store`: every case runs against SQLite and against a
//! throwaway PostgreSQL server (skipped only with `TERTULIA_SKIP_PG=1`).

/// For each listed `async fn case(target: &Target)` of the calling module,
/// defines the tests `sqlite::case` and `postgres::case`. The optional
/// `current_thread;` prefix runs them on a single-threaded runtime, for
/// cases that rely on task scheduling order.
macro_rules! both_backends {
    (current_thread; $($case:ident),+ $(,)?) => {
        both_backends!(@flavor "current_thread"; $($case),+);
    };
    ($($case:ident),+ $(,)?) => {
        both_backends!(@flavor "multi_thread"; $($case),+);
    };
    (@flavor $flavor:literal; $($case:ident),+) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = $flavor)]
                async fn $case() {
                    let target = crate::harness::sqlite();
                    super::$case(&target).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = $flavor)]
                async fn $case() {
                    let Some(target) = crate::harness::postgres().await else {
                        return;
                    };
                    super::$case(&target).await;
                }
            )+
        }
    };
}

mod harness;

mod appends;
mod chat;
mod concurrency;
mod lifecycle;
mod snapshots;
mod versions;
