// The SQLite schema of `history:` (written by the control plane once per interval, read by `gisgate report`).
// One place for it so the writer and the reader cannot disagree. Times are UTC Unix seconds (interval rows) or
// milliseconds (events); histograms are LatencyHistogram::encode() BLOBs of response times in microseconds.
// Interval starts are aligned to the interval (whole minutes by default). Rates are requests / seconds: a row
// may cover less than a whole interval (the first one after a start, the one flushed on SIGTERM), and a
// restart within an interval adds its counts, seconds and histogram to the same row.
//
// Tables added later are created with CREATE TABLE IF NOT EXISTS when the writer opens an older file, so the
// schema version stays 1 as long as changes only add tables: an older gisgate still opens the file (and simply
// does not write the new table), and the report reads an older file without the table as "no rows".
#pragma once

namespace gisgate::metrics::history {

inline constexpr int kSchemaVersion = 1;

inline constexpr const char* kCreateSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL);

-- One row per interval (default one minute) and GIS service that saw requests.
-- service: "folder/name" or "name" for service traffic; "portal", "admin", "other" for the other kinds;
--          "_other" once the tracked-service limit is reached. type: MapServer, FeatureServer, ... or "".
CREATE TABLE IF NOT EXISTS service_interval(
  start      INTEGER NOT NULL,   -- interval start, UTC Unix seconds
  seconds    INTEGER NOT NULL,   -- seconds of the interval covered (60 unless configured otherwise; less after a
                                 -- start and for the flush on shutdown)
  service    TEXT    NOT NULL,
  type       TEXT    NOT NULL,
  kind       TEXT    NOT NULL,   -- service | portal | admin | other
  requests   INTEGER NOT NULL,
  errors     INTEGER NOT NULL,   -- responses with status >= 500 (gisgate's own 502/503/504 included)
  bytes_in   INTEGER NOT NULL,   -- request bytes from clients
  bytes_out  INTEGER NOT NULL,   -- response bytes to clients
  histogram  BLOB    NOT NULL,   -- response times (µs) of the interval's requests
  PRIMARY KEY(start, service, type));

-- One row per interval and server (every configured server, also those without requests, so availability can
-- be computed from up_seconds/seconds).
CREATE TABLE IF NOT EXISTS server_interval(
  start        INTEGER NOT NULL,
  seconds      INTEGER NOT NULL,
  pool         TEXT    NOT NULL,
  server       TEXT    NOT NULL,
  requests     INTEGER NOT NULL,
  errors       INTEGER NOT NULL,
  bytes_in     INTEGER NOT NULL,
  bytes_out    INTEGER NOT NULL,
  up_seconds   REAL    NOT NULL,   -- time in the interval the server was up (healthy, state up or drain)
  histogram    BLOB    NOT NULL,
  PRIMARY KEY(start, pool, server));

-- One row per interval, pool and operation class (interactive, other, heavy; docs/gis.md "Operation classes")
-- that saw requests. Only requests that reached a pool have a class. Added after version 1's first tables.
CREATE TABLE IF NOT EXISTS class_interval(
  start      INTEGER NOT NULL,
  seconds    INTEGER NOT NULL,
  pool       TEXT    NOT NULL,
  class      TEXT    NOT NULL,   -- interactive | other | heavy
  requests   INTEGER NOT NULL,
  errors     INTEGER NOT NULL,
  bytes_in   INTEGER NOT NULL,
  bytes_out  INTEGER NOT NULL,
  histogram  BLOB    NOT NULL,
  PRIMARY KEY(start, pool, class));

-- Health transitions of servers (up → down, down → up, and the admin states drain/maint/ready), sampled every
-- second. state: "up"/"down" for health changes (reason: the check's error, or "health checks passed"); for an
-- admin change the resulting state (drain, maint, or up/down after "ready"; reason "admin state set to ...").
CREATE TABLE IF NOT EXISTS health_event(
  time_ms  INTEGER NOT NULL,   -- UTC Unix milliseconds
  pool     TEXT    NOT NULL,
  server   TEXT    NOT NULL,
  state    TEXT    NOT NULL,   -- up | down | drain | maint
  reason   TEXT    NOT NULL);

-- Alert rule firings and resolutions.
CREATE TABLE IF NOT EXISTS alert_event(
  time_ms  INTEGER NOT NULL,
  rule     TEXT    NOT NULL,   -- the rule's name from the config
  target   TEXT    NOT NULL,   -- what it fired for: "pool/server", "pool", "folder/service"
  state    TEXT    NOT NULL,   -- firing | resolved
  value    REAL    NOT NULL,   -- the measured value that crossed (or came back under) the limit
  message  TEXT    NOT NULL);

CREATE INDEX IF NOT EXISTS health_event_time ON health_event(time_ms);
CREATE INDEX IF NOT EXISTS alert_event_time ON alert_event(time_ms);
)sql";

}  // namespace gisgate::metrics::history
