//! A site's help folder, indexed and kept fresh: the articles (served under `/help`) and the
//! search index built from them are swapped together whenever a file changes.
//!
//! Changes are noticed by polling a cheap fingerprint (names, sizes, modification times) rather
//! than with file-system notifications: help folders are small, a poll works the same on every
//! platform and inside containers, and there is no watcher thread to leak per site.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, RwLock, Weak},
    time::{Duration, SystemTime},
};

use super::{knowledge::Index, Articles};

/// How often the folder is checked for changes. A second keeps edits feeling live while
/// costing one `read_dir` per site.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The articles and their index, built together from one reading of the folder.
pub struct Shelf {
    pub articles: Articles,
    pub index: Index,
}

pub struct Library {
    dir: PathBuf,
    /// Swapped whole on change. `std` lock: readers only clone the `Arc`, never await inside.
    shelf: RwLock<Arc<Shelf>>,
    /// The folder as last indexed; only the poller touches it.
    fingerprint: RwLock<Vec<(PathBuf, u64, Option<SystemTime>)>>,
}

impl Library {
    /// Reads and indexes `dir` now.
    pub fn open(dir: &Path) -> Arc<Self> {
        let fingerprint = fingerprint(dir);
        let shelf = Arc::new(build(dir));
        Arc::new(Self { dir: dir.to_path_buf(), shelf: RwLock::new(shelf), fingerprint: RwLock::new(fingerprint) })
    }

    /// The current articles and index.
    pub fn shelf(&self) -> Arc<Shelf> {
        self.shelf.read().map(|s| s.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Re-indexes if the folder changed since the last look. Returns whether it did.
    pub fn refresh(&self) -> bool {
        let now = fingerprint(&self.dir);
        let unchanged = self.fingerprint.read().is_ok_and(|old| *old == now);
        if unchanged {
            return false;
        }
        let shelf = Arc::new(build(&self.dir));
        tracing::info!(dir = %self.dir.display(), articles = shelf.articles.0.len(), "help articles reindexed");
        if let Ok(mut slot) = self.shelf.write() {
            *slot = shelf;
        }
        if let Ok(mut slot) = self.fingerprint.write() {
            *slot = now;
        }
        true
    }

    /// Polls the folder every `interval` until the library is dropped (the task holds only a
    /// weak reference, so relays started and stopped in one process leave nothing behind).
    pub fn watch(self: &Arc<Self>, interval: Duration) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no runtime: help articles are not watched for changes");
            return;
        };
        let weak: Weak<Self> = Arc::downgrade(self);
        runtime.spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(library) = weak.upgrade() else { break };
                // Reading and indexing a folder is blocking work.
                let _ = tokio::task::spawn_blocking(move || library.refresh()).await;
            }
        });
    }
}

fn build(dir: &Path) -> Shelf {
    let articles = Articles::load(dir);
    let index = Index::build(&articles);
    Shelf { articles, index }
}

fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            Some((entry.path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    entries.sort();
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_folder_is_reindexed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), "# Gift cards\n## Buying\nGift cards come in any amount.\n").unwrap();
        let library = Library::open(dir.path());
        assert!(library.shelf().index.search("gift card").is_some());
        assert!(library.shelf().index.search("loyalty points").is_none());
        assert!(!library.refresh(), "nothing changed");
        std::fs::write(
            dir.path().join("b.html"),
            "<h1>Loyalty</h1><h2>Points</h2><p>Every euro earns loyalty points.</p>",
        )
        .unwrap();
        assert!(library.refresh());
        let shelf = library.shelf();
        assert_eq!(shelf.articles.0.len(), 2);
        assert_eq!(shelf.index.search("loyalty points").map(|hit| hit.passage.slug.as_str()), Some("b"));
    }
}
