//! Database access for async handlers: a few `Store` connections, each
//! used on tokio's blocking pool, so SQLite never runs on the executor's
//! threads. SQLite serialises writers itself; readers proceed in WAL.

use crate::store::{Store, StoreError};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

struct Pool {
    idle: Mutex<Vec<Store>>,
    available: Condvar,
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

#[derive(Clone)]
pub struct Db {
    pool: Arc<Pool>,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the database task stopped: {0}")]
    Join(String),
}

impl Db {
    pub fn open(path: &std::path::Path, ledger_key: &[u8], connections: usize) -> Result<Db, StoreError> {
        let stores = (0..connections.max(1)).map(|_| Store::open(path, ledger_key)).collect::<Result<Vec<_>, _>>()?;
        Ok(Db { pool: Arc::new(Pool { idle: Mutex::new(stores), available: Condvar::new() }), path: path.to_owned() })
    }

    /// Runs `job` with a connection on the blocking pool.
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
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Store(s) => s,
            DbError::Join(m) => StoreError::TaskStopped(m),
        }
    }
}
