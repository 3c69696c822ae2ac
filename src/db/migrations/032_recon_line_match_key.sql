-- A statement line is classified as it is staged (its order or refund looked up then); the number it
-- is accounted under (our order number, found by the channel's trade number when the line lost it, or
-- the refund number) is kept so that a number listed twice is found by one grouping of the batch.
ALTER TABLE recon_line ADD COLUMN match_key TEXT;

-- Staging writes a million lines in one run, and the foreign key's check per line doubled the cost of
-- the insert. Lines are written only by the staging of a batch its runner has claimed, and batches
-- are never deleted.
ALTER TABLE recon_line DROP CONSTRAINT recon_line_batch_id_fkey;
