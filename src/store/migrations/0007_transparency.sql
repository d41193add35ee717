-- panke schema 7: the ledger as a Merkle log (RFC 9162) beside its chain,
-- and (until schema 8) stored checkpoints of that tree.
--
-- merkle_nodes holds every perfect subtree: (level, idx) is the hash of
-- leaves [idx * 2^level, (idx + 1) * 2^level); leaf idx is record idx + 1,
-- its hash SHA-256(0x00 || the record's chain hash). Any root and any proof
-- is made of these nodes.
CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- One signed checkpoint per tree size the ledger had (one per record).
CREATE TABLE checkpoints (
    size      INTEGER PRIMARY KEY,
    root      TEXT NOT NULL,
    at        TEXT NOT NULL,
    origin    TEXT NOT NULL,
    signature TEXT NOT NULL
);

CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
BEGIN SELECT RAISE(ABORT, 'the Merkle log is append-only'); END;
CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
BEGIN SELECT RAISE(ABORT, 'the Merkle log is append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
