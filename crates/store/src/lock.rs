//! One writer run per database: an exclusive lock file beside it.
//!
//! `govwatch run`, `run --resume` and the daemon each hold [`RunLock`] on `<db>.lock` while they
//! work; a second one on the same database is refused with [`Locked`], which names the holder
//! (pid, host, what it is, since when) as written in the file. Two runs on one database would
//! ask every host twice as fast, and a resume of a live run would crawl its sites again and then
//! mark the finished run failed.
//!
//! The lock is the operating system's (`flock`, through the `fs4` crate: `std`'s own file locks
//! need Rust 1.89, above the workspace's 1.88), so it is
//! released whenever the holder ends — exit, crash or `kill -9` — and a stale lock cannot
//! outlive its process: a file naming a dead pid is simply locked again by the next run. The
//! file itself is never removed (removing it while another process opens it would let two
//! processes hold two different files); its text is cleared when the lock is released.
//!
//! Within one process the lock is shared: the daemon holds it for its whole life, and the nightly
//! run it starts in the same process takes it again without waiting on itself.
//!
//! Main types: [`RunLock`] (the held lock) and [`Locked`] (another process holds it).

use fs4::TryLockError;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// Another process holds the database's lock (or the lock file cannot be used).
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another writer holds it; `holder` is what it wrote in the file.
    #[error(
        "数据库正被另一个任务使用 (the database is in use by another govwatch process): {holder} — lock file {}",
        lock_file.display()
    )]
    Locked { lock_file: PathBuf, holder: String },
    #[error("cannot use the lock file {}: {source}", lock_file.display())]
    Io {
        lock_file: PathBuf,
        source: std::io::Error,
    },
}

/// Alias kept short for callers matching on the refusal.
pub type Locked = LockError;

/// The lock of one database, held while this value (or a clone made in this process) lives.
#[derive(Clone)]
pub struct RunLock {
    held: Arc<Held>,
}

struct Held {
    file: File,
    path: PathBuf,
}

impl Drop for Held {
    fn drop(&mut self) {
        // clear the holder's text; the OS lock goes with the file
        let _ = self.file.set_len(0);
        let _ = fs4::FileExt::unlock(&self.file);
        holders()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.path);
    }
}

fn holders() -> &'static Mutex<HashMap<PathBuf, Weak<Held>>> {
    static H: OnceLock<Mutex<HashMap<PathBuf, Weak<Held>>>> = OnceLock::new();
    H.get_or_init(Default::default)
}

/// The lock file of a database: `<db>.lock` beside it (beside the file a symbolic link names, so
/// that every name of one database shares one lock).
pub fn lock_path(db: &Path) -> PathBuf {
    if let Ok(real) = db.canonicalize()
        && let Some(file) = real.file_name()
    {
        let mut name = file.to_os_string();
        name.push(".lock");
        return real.with_file_name(name);
    }
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.join(name)
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown host".into())
}

impl RunLock {
    /// Takes the lock of database `db` for `what` (e.g. `govwatch run`), or says who holds it.
    pub fn acquire(db: &Path, what: &str) -> Result<RunLock, LockError> {
        let path = lock_path(db);
        let mut map = holders().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = map.get(&path).and_then(Weak::upgrade) {
            return Ok(RunLock { held });
        }
        let io = |source| LockError::Io {
            lock_file: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Locked {
                    lock_file: path.clone(),
                    holder: if holder.is_empty() {
                        "a process that has not written its name yet".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let text = format!(
            "{what}, pid {}, host {}, since {}",
            std::process::id(),
            host_name(),
            govwatch_model::time::display(&govwatch_model::time::china_now())
        );
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        let held = Arc::new(Held {
            file,
            path: path.clone(),
        });
        map.insert(path, Arc::downgrade(&held));
        Ok(RunLock { held })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.held.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_per_database_shared_within_the_process() {
        let dir = std::env::temp_dir().join(format!("govwatch-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("gw.db");
        let a = RunLock::acquire(&db, "govwatch daemon").unwrap();
        // the nightly run of the same process shares it
        let b = RunLock::acquire(&db, "govwatch run").unwrap();
        assert_eq!(a.path(), b.path());
        let text = std::fs::read_to_string(a.path()).unwrap();
        assert!(text.starts_with("govwatch daemon, pid "), "{text}");
        // another open file description (as another process would have) is refused
        let other = OpenOptions::new().write(true).open(a.path()).unwrap();
        assert!(matches!(
            fs4::FileExt::try_lock(&other),
            Err(TryLockError::WouldBlock)
        ));
        drop(other);
        drop((a, b));
        assert_eq!(std::fs::read_to_string(lock_path(&db)).unwrap(), "");
        let c = RunLock::acquire(&db, "govwatch run").unwrap();
        drop(c);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
