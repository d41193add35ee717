-- Issue 16: cost at growth.

-- A signature recorded since issue 16 is its pen strokes in the compact
-- `PK1` form (src/domain/signature/pen.rs), sealed by `pen_sha256` in the
-- record's body; its image is drawn from them. Such a row keeps an empty
-- `png`, an empty `png_sha256` and empty `strokes`. Rows from before keep
-- their PNG and strokes JSON as they were, and `pen` is NULL.
ALTER TABLE signatures ADD COLUMN pen BLOB;

-- Where `panke verify` last found the whole ledger intact: the signed
-- checkpoint of that many records. `panke verify --since-checkpoint`
-- checks the records after it (and that the log still has its root).
-- Each row is sealed (HMAC with the ledger key): a signed checkpoint alone
-- is in every receipt, and must not pass for "verified" when copied here.
CREATE TABLE verified_checkpoints (
    size         INTEGER PRIMARY KEY,
    checkpoint   TEXT NOT NULL,   -- the signed checkpoint (JSON)
    verified_at  TEXT NOT NULL,
    seal         TEXT NOT NULL    -- HMAC-SHA256 over size, checkpoint and verified_at
);
