/* SPDX-License-Identifier: MIT */
/*
 * clouddb.h — the cloud service's SQL store: SQLite (a file in the data folder) or PostgreSQL
 * (a postgresql:// URL), behind one tiny interface, with the same schema migrations for both.
 *
 * SQL is written once in the common dialect: parameters are $1..$n (SQLite binds them by name),
 * types are TEXT and BIGINT, no autoincrement (the service makes its own IDs and sequence
 * numbers). Every parameter is passed as text (NULL for SQL NULL); every result cell comes back
 * as text (NULL for SQL NULL).
 *
 * A struct clouddb is a fixed pool of connections (clouddb_pool_size: CLOUDDB_POOL_SQLITE, or
 * CLOUDDB_POOL_PG for PostgreSQL, where more requests in flight share each WAL flush);
 * clouddb_acquire blocks until one is free, so each request thread uses its own connection and
 * may run a transaction on it. PostgreSQL statements with parameters or results are prepared
 * once per connection.
 *
 * Errors: -EEXIST (a unique or primary-key constraint refused the row), -EBUSY (SQLite busy or
 * a PostgreSQL serialization failure: retry), -EIO (anything else; the message goes to the
 * connection's last_error), -ENOMEM, -EINVAL (a malformed --db value).
 */
#ifndef OPENSPHERE_CLOUD_CLOUDDB_H
#define OPENSPHERE_CLOUD_CLOUDDB_H

#include <stdbool.h>
#include <stddef.h>

#define CLOUDDB_POOL_SQLITE 4
#define CLOUDDB_POOL_PG 12
#define CLOUDDB_POOL_MAX CLOUDDB_POOL_PG

struct clouddb;
struct clouddb_conn;

/* Rows of a result: cells[row * ncols + col], each malloc'd text or NULL. */
struct clouddb_rows {
    size_t nrows, ncols;
    char **cells;
};

/* Opens the store: `url` NULL or "" means SQLite in data_dir/cloud.db; "postgresql://..." or
 * "postgres://..." means PostgreSQL. Applies any missing migrations. why gets a sentence. */
int clouddb_open(const char *data_dir, const char *url, struct clouddb **out, char *why, size_t why_size);
void clouddb_close(struct clouddb *db);
/* "sqlite" or "postgresql". */
const char *clouddb_backend(const struct clouddb *db);
/* How many connections the pool holds (the HTTP service runs as many request threads). */
int clouddb_pool_size(const struct clouddb *db);
/* Whether clouddb_exec_batch sends its statements in one round trip to a server (PostgreSQL),
 * rather than running them one after the other in this process (SQLite). */
bool clouddb_batch_saves_round_trips(const struct clouddb *db);

struct clouddb_conn *clouddb_acquire(struct clouddb *db);
void clouddb_release(struct clouddb *db, struct clouddb_conn *c);

/* Runs one statement. `rows` may be NULL when no result is wanted; otherwise it is filled
 * (and must be freed with clouddb_rows_free, also on error, where it is empty). */
int clouddb_exec(struct clouddb_conn *c, const char *sql, const char *const *params, size_t nparams,
                 struct clouddb_rows *rows);
const char *clouddb_last_error(const struct clouddb_conn *c);
void clouddb_rows_free(struct clouddb_rows *rows);
static inline const char *clouddb_cell(const struct clouddb_rows *r, size_t row, size_t col)
{
    return row < r->nrows && col < r->ncols ? r->cells[row * r->ncols + col] : NULL;
}

/* One statement of a batch: rows as for clouddb_exec (NULL: no result wanted). */
struct clouddb_stmt {
    const char *sql;
    const char *const *params;
    size_t nparams;
    struct clouddb_rows *rows;
};
#define CLOUDDB_BATCH_MAX 8

/* Runs up to CLOUDDB_BATCH_MAX statements that do not need each other's results, in order. With
 * PostgreSQL they travel in one round trip (pipeline mode) and run as one transaction: on an
 * error none of them took effect. With SQLite they run one after the other, each on its own
 * (autocommit) as clouddb_exec would. On error every rows is empty; the first error is returned. */
int clouddb_exec_batch(struct clouddb_conn *c, struct clouddb_stmt *stmts, size_t n);

/* clouddb_exec_batch for soft state only: records the client sends again at its next request
 * anyway (a device's check-in: when it last checked in, what it runs). With PostgreSQL the
 * batch's transaction commits without waiting for its WAL to reach the disk (synchronous_commit
 * off for that one transaction; every other transaction on the connection stays synchronous).
 * PostgreSQL writes its WAL in order, so the next synchronous commit makes it durable too; a
 * crash of the server or the machine loses at most the last 3 × wal_writer_delay (600 ms by
 * default) of such records, never a part of one, never a synchronous commit. That is the
 * durability every commit of the SQLite backend has (WAL, synchronous=NORMAL), where this is
 * the same as clouddb_exec_batch. docs/cloud.md, "Durability". */
int clouddb_exec_batch_soft(struct clouddb_conn *c, struct clouddb_stmt *stmts, size_t n);

/* BEGIN / COMMIT / ROLLBACK. */
int clouddb_begin(struct clouddb_conn *c);
int clouddb_commit(struct clouddb_conn *c);
void clouddb_rollback(struct clouddb_conn *c);

#endif
