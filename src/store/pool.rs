//! Database access for async handlers; SQLite never runs on the async
//! executor's threads.
//!
//! Reads use a small pool of connections on tokio's blocking pool (WAL lets
//! them run beside the writer). Writes go to one writer thread that commits
//! in groups: it takes every write waiting in its queue, runs each in its
//! own savepoint inside one IMMEDIATE transaction, commits once — one fsync
//! for the group — and only then answers each caller. Nobody is told a
//! write is saved before it is on disk, and one refused write does not undo
//! the others in its group.

use crate::store::{Store, StoreError};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, mpsc};

/// At most this many writes share one commit.
const MAX_GROUP: usize = 64;

struct Pool {
    idle: Mutex<Vec<Store>>,
    available: Condvar,
}

/// Runs on the writer thread; returns what to tell the caller once the
/// group's commit is known (`true`: committed).
type WriteJob = Box<dyn FnOnce(&mut Store) -> Box<dyn FnOnce(bool) + Send> + Send>;

#[derive(Clone)]
pub struct Db {
    pool: Arc<Pool>,
    writer: mpsc::Sender<WriteJob>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the database task stopped: {0}")]
    Join(String),
    #[error("保存失败,未记录任何内容,请重试 / the database could not commit; nothing was saved, try again")]
    NotCommitted,
}

/// Gives the connection back to the pool even if the job panics (an open
/// transaction is rolled back when its guard drops first).
struct Checkout {
    store: Option<Store>,
    pool: Arc<Pool>,
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            self.pool.idle.lock().unwrap_or_else(|p| p.into_inner()).push(store);
            self.pool.available.notify_one();
        }
    }
}

impl Db {
    pub fn open(path: &std::path::Path, ledger_key: &[u8], readers: usize) -> Result<Db, StoreError> {
        let stores = (0..readers.max(1)).map(|_| Store::open(path, ledger_key)).collect::<Result<Vec<_>, _>>()?;
        let writer_store = Store::open(path, ledger_key)?;
        let (writer, jobs) = mpsc::channel::<WriteJob>();
        std::thread::Builder::new()
            .name("panke-writer".into())
            .spawn(move || write_loop(writer_store, jobs))
            .map_err(|e| StoreError::TaskStopped(e.to_string()))?;
        Ok(Db { pool: Arc::new(Pool { idle: Mutex::new(stores), available: Condvar::new() }), writer })
    }

    /// Runs a job that only reads, with a pooled connection.
    pub async fn run<T, E>(&self, job: impl FnOnce(&mut Store) -> Result<T, E> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let store = {
                let mut idle = pool.idle.lock().unwrap_or_else(|p| p.into_inner());
                loop {
                    if let Some(s) = idle.pop() {
                        break s;
                    }
                    idle = pool.available.wait(idle).unwrap_or_else(|p| p.into_inner());
                }
            };
            let mut checkout = Checkout { store: Some(store), pool };
            match checkout.store.as_mut() {
                Some(store) => job(store),
                None => Err(E::from(DbError::Join("no connection".into()))),
            }
        })
        .await
        .map_err(|e| E::from(DbError::Join(e.to_string())))?
    }

    /// Runs a job that writes, on the writer thread; answers after the
    /// durable commit of its group.
    pub async fn write<T, E>(&self, job: impl FnOnce(&mut Store) -> Result<T, E> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let wrapped: WriteJob = Box::new(move |store| {
            let result = catch_unwind(AssertUnwindSafe(|| job(store)))
                .unwrap_or_else(|_| Err(E::from(DbError::Join("a write panicked".into()))));
            Box::new(move |committed| {
                let result = match result {
                    Ok(_) if !committed => Err(E::from(DbError::NotCommitted)),
                    other => other,
                };
                let _ = reply.send(result);
            })
        });
        self.writer.send(wrapped).map_err(|_| E::from(DbError::Join("the writer thread stopped".into())))?;
        answer.await.map_err(|_| E::from(DbError::Join("the writer thread stopped".into())))?
    }
}

fn write_loop(mut store: Store, jobs: mpsc::Receiver<WriteJob>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        // If the group transaction cannot start (another process holds the
        // lock past the busy timeout), each write commits on its own.
        let grouped = store.conn().execute_batch("BEGIN IMMEDIATE").is_ok();
        let answers: Vec<_> = group.into_iter().map(|job| job(&mut store)).collect();
        let committed = !grouped || store.conn().execute_batch("COMMIT").is_ok();
        if grouped && !committed {
            let _ = store.conn().execute_batch("ROLLBACK");
            tracing::error!("a group commit failed; its writes were rolled back and reported as not saved");
        }
        if grouped {
            store.outer_finished(committed);
        }
        for answer in answers {
            answer(committed);
        }
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Store(s) => s,
            DbError::Join(m) => StoreError::TaskStopped(m),
            DbError::NotCommitted => StoreError::TaskStopped(DbError::NotCommitted.to_string()),
        }
    }
}
