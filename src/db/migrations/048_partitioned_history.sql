-- The history that grows forever and is only appended to — order events, inbound channel notifies,
-- merchant notify attempts and the audit log — partitioned by month of created_at (UTC months), so
-- a month can be archived to a file and dropped without a long DELETE, and queries on recent rows
-- stay on recent partitions. Rows land in the DEFAULT partition until the month's own partition
-- exists; src/db/partitions.ts creates the months (ahead of time, after every migrate and daily
-- from the worker) and moves what the default holds into them.
--
-- Each table is rebuilt under its own name: the old one renamed, its rows copied into the
-- partitioned one (on a large database this migration takes as long as copying them), then dropped.
-- The id sequences carry on. The primary keys gain created_at, as partitioning requires.

-- ---------- order_event ----------
ALTER TABLE order_event RENAME TO order_event_unpartitioned;
ALTER SEQUENCE order_event_id_seq OWNED BY NONE;
CREATE TABLE order_event (LIKE order_event_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (created_at);
CREATE TABLE order_event_default PARTITION OF order_event DEFAULT;
INSERT INTO order_event SELECT * FROM order_event_unpartitioned;
DROP TABLE order_event_unpartitioned;
ALTER SEQUENCE order_event_id_seq OWNED BY order_event.id;
ALTER TABLE order_event ADD PRIMARY KEY (id, created_at);
ALTER TABLE order_event ADD FOREIGN KEY (order_id) REFERENCES pay_order(id);
ALTER TABLE order_event ADD FOREIGN KEY (acknowledged_by) REFERENCES console_user(id);
CREATE INDEX order_event_order ON order_event (order_id, id);
CREATE INDEX order_event_alert ON order_event (created_at) WHERE alert;
CREATE INDEX order_event_alert_unacknowledged ON order_event (kind, created_at)
  WHERE alert AND acknowledged_at IS NULL;

-- ---------- channel_notify ----------
ALTER TABLE channel_notify RENAME TO channel_notify_unpartitioned;
ALTER SEQUENCE channel_notify_id_seq OWNED BY NONE;
CREATE TABLE channel_notify (LIKE channel_notify_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (created_at);
CREATE TABLE channel_notify_default PARTITION OF channel_notify DEFAULT;
INSERT INTO channel_notify SELECT * FROM channel_notify_unpartitioned;
DROP TABLE channel_notify_unpartitioned;
ALTER SEQUENCE channel_notify_id_seq OWNED BY channel_notify.id;
ALTER TABLE channel_notify ADD PRIMARY KEY (id, created_at);
CREATE INDEX channel_notify_order ON channel_notify (order_id);

-- ---------- notify_attempt ----------
ALTER TABLE notify_attempt RENAME TO notify_attempt_unpartitioned;
ALTER SEQUENCE notify_attempt_id_seq OWNED BY NONE;
CREATE TABLE notify_attempt (LIKE notify_attempt_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (created_at);
CREATE TABLE notify_attempt_default PARTITION OF notify_attempt DEFAULT;
INSERT INTO notify_attempt SELECT * FROM notify_attempt_unpartitioned;
DROP TABLE notify_attempt_unpartitioned;
ALTER SEQUENCE notify_attempt_id_seq OWNED BY notify_attempt.id;
ALTER TABLE notify_attempt ADD PRIMARY KEY (id, created_at);
ALTER TABLE notify_attempt ADD FOREIGN KEY (task_id) REFERENCES notify_task(id);
CREATE INDEX notify_attempt_task ON notify_attempt (task_id, id);

-- ---------- audit_log ----------
ALTER TABLE audit_log RENAME TO audit_log_unpartitioned;
ALTER SEQUENCE audit_log_id_seq OWNED BY NONE;
CREATE TABLE audit_log (LIKE audit_log_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (created_at);
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;
INSERT INTO audit_log SELECT * FROM audit_log_unpartitioned;
DROP TABLE audit_log_unpartitioned;
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
ALTER TABLE audit_log ADD PRIMARY KEY (id, created_at);
CREATE INDEX audit_log_created ON audit_log (created_at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_area, actor_id, created_at DESC);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
CREATE INDEX audit_log_action_key ON audit_log (action_key, created_at DESC);
