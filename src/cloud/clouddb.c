/* SPDX-License-Identifier: MIT */
/* clouddb.c — the SQL store over SQLite or PostgreSQL (see clouddb.h). */
#include "clouddb.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "path.h"

/* The schema, one migration per entry; a migration never changes once released. */
static const char *const migrations[] = {
    /* 1: the fleet model */
    "CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created BIGINT NOT NULL);"
    "CREATE TABLE users (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,"
    "  created BIGINT NOT NULL, UNIQUE (tenant_id, name));"
    "CREATE TABLE tokens (hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), kind TEXT NOT NULL,"
    "  subject TEXT NOT NULL, created BIGINT NOT NULL);"
    "CREATE TABLE products (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,"
    "  description TEXT NOT NULL, created BIGINT NOT NULL, UNIQUE (tenant_id, name));"
    "CREATE TABLE device_groups (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, product_id TEXT NOT NULL"
    "  REFERENCES products(id), name TEXT NOT NULL, description TEXT NOT NULL, app_update TEXT NOT NULL,"
    "  os_feed TEXT NOT NULL, UNIQUE (product_id, name));"
    "CREATE TABLE devices (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), claimed BIGINT NOT NULL,"
    "  group_id TEXT REFERENCES device_groups(id), os_version TEXT, app_development BIGINT NOT NULL DEFAULT 0,"
    "  last_checkin BIGINT, reported TEXT, last_result TEXT);"
    "CREATE TABLE device_tags (device_id TEXT NOT NULL REFERENCES devices(id), tag TEXT NOT NULL,"
    "  PRIMARY KEY (device_id, tag));"
    "CREATE TABLE images (tenant_id TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL, component_id TEXT NOT NULL,"
    "  name TEXT NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL, temporary BIGINT NOT NULL, beta BIGINT NOT NULL,"
    "  source_sha256 TEXT NOT NULL, uploaded BIGINT NOT NULL, PRIMARY KEY (tenant_id, id));"
    "CREATE TABLE deployments (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, group_id TEXT NOT NULL"
    "  REFERENCES device_groups(id), seq BIGINT NOT NULL, created BIGINT NOT NULL, UNIQUE (group_id, seq));"
    "CREATE TABLE deployment_images (deployment_id TEXT NOT NULL REFERENCES deployments(id), image_id TEXT NOT NULL,"
    "  PRIMARY KEY (deployment_id, image_id));"
    "CREATE INDEX devices_group ON devices (group_id);",
    /* 2: external-MCU OTA (src/cloud/cloud_ota.c, docs/ota.md) */
    "CREATE TABLE ota_deployments (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),"
    "  product TEXT NOT NULL, device_group TEXT NOT NULL, version BIGINT NOT NULL, container TEXT NOT NULL,"
    "  name TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL, signature TEXT NOT NULL,"
    "  created BIGINT NOT NULL, expires BIGINT NOT NULL, cancelled BIGINT,"
    "  UNIQUE (tenant_id, product, device_group, version));"
    "CREATE TABLE ota_blobs (container TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (container, version));"
    "CREATE TABLE ota_reports (device_id TEXT PRIMARY KEY REFERENCES devices(id), status TEXT NOT NULL,"
    "  target_version BIGINT, applied_version BIGINT, bytes_done BIGINT, size BIGINT, error TEXT,"
    "  updated BIGINT NOT NULL);",
    /* 3: the device twin (cloudtwin.c): the last desired and reported JSON of each device */
    ("CREATE TABLE device_twin (device_id TEXT PRIMARY KEY REFERENCES devices(id), desired TEXT, reported TEXT,"
     "  desired_updated BIGINT, reported_updated BIGINT);"),
    /* 4: credential lifecycle (cloud_access.c, docs/security.md): tokens may expire, users may be
     * revoked, and a deleted device's claim record is kept for audit */
    ("ALTER TABLE tokens ADD COLUMN expires BIGINT;"
     "ALTER TABLE users ADD COLUMN revoked BIGINT;"
     "CREATE TABLE deleted_devices (id TEXT NOT NULL, tenant_id TEXT NOT NULL, claimed BIGINT NOT NULL,"
     "  group_id TEXT, deleted BIGINT NOT NULL, deleted_by TEXT NOT NULL);"),
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

enum backend { BACKEND_SQLITE, BACKEND_PG };

/* PostgreSQL: the statements this connection has prepared (PQprepare once, then PQexecPrepared:
 * no parse and plan per request), found by a hash of their text, then the text itself. */
#define STMT_CACHE 96

struct prepared {
    unsigned long hash;
    char *sql;
};

struct clouddb_conn {
    enum backend backend;
    sqlite3 *lite;
    PGconn *pg;
    bool busy;
    struct prepared stmts[STMT_CACHE];
    size_t nstmts;
    char last_error[512];
};

struct clouddb {
    enum backend backend;
    struct clouddb_conn conns[CLOUDDB_POOL_MAX];
    int size;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int version;
};

const char *clouddb_backend(const struct clouddb *db) { return db->backend == BACKEND_PG ? "postgresql" : "sqlite"; }
int clouddb_pool_size(const struct clouddb *db) { return db->size; }
bool clouddb_batch_saves_round_trips(const struct clouddb *db) { return db->backend == BACKEND_PG; }
const char *clouddb_last_error(const struct clouddb_conn *c) { return c->last_error; }

void clouddb_rows_free(struct clouddb_rows *rows)
{
    if (!rows)
        return;
    for (size_t i = 0; i < rows->nrows * rows->ncols; i++)
        free(rows->cells[i]);
    free(rows->cells);
    memset(rows, 0, sizeof *rows);
}

static int rows_alloc(struct clouddb_rows *rows, size_t nrows, size_t ncols)
{
    rows->nrows = nrows;
    rows->ncols = ncols;
    rows->cells = calloc(nrows * ncols + 1, sizeof *rows->cells);
    return rows->cells ? 0 : -ENOMEM;
}

/* ---- SQLite ------------------------------------------------------------------------------- */

static int lite_error(struct clouddb_conn *c, int rc)
{
    snprintf(c->last_error, sizeof c->last_error, "%s", sqlite3_errmsg(c->lite));
    int primary = rc & 0xff;
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return -EEXIST;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return -EBUSY;
    return primary == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

/* Runs every statement of `sql` (no parameters): for migrations. */
static int lite_script(struct clouddb_conn *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->lite, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(c->last_error, sizeof c->last_error, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO;
    }
    return 0;
}

static int lite_exec(struct clouddb_conn *c, const char *sql, const char *const *params, size_t n,
                     struct clouddb_rows *rows)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->lite, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return lite_error(c, rc);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "$%zu", i + 1);
        int at = sqlite3_bind_parameter_index(st, name);
        if (at == 0)
            continue;
        rc = params[i] ? sqlite3_bind_text(st, at, params[i], -1, SQLITE_STATIC) : sqlite3_bind_null(st, at);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(st);
            return lite_error(c, rc);
        }
    }
    size_t ncols = (size_t)sqlite3_column_count(st), cap = 0, nrows = 0;
    char **cells = NULL;
    int err = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!rows)
            continue;
        if (nrows == cap) {
            cap = cap ? cap * 2 : 8;
            char **grown = realloc(cells, cap * ncols * sizeof *cells + sizeof *cells);
            if (!grown) {
                err = -ENOMEM;
                break;
            }
            cells = grown;
        }
        for (size_t k = 0; k < ncols; k++) {
            const unsigned char *t = sqlite3_column_text(st, (int)k);
            cells[nrows * ncols + k] = t ? strdup((const char *)t) : NULL;
        }
        nrows++;
    }
    if (!err && rc != SQLITE_DONE)
        err = lite_error(c, sqlite3_extended_errcode(c->lite));
    sqlite3_finalize(st);
    if (rows) {
        rows->nrows = nrows;
        rows->ncols = ncols;
        rows->cells = cells ? cells : calloc(1, sizeof *cells);
        if (err)
            clouddb_rows_free(rows);
    }
    return err;
}

static int lite_open(struct clouddb_conn *c, const char *file, char *why, size_t why_size)
{
    int rc = sqlite3_open_v2(file, &c->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(why, why_size, "cannot open the SQLite database %s: %s", file, sqlite3_errstr(rc));
        return -EIO;
    }
    sqlite3_busy_timeout(c->lite, 10000);
    int err = lite_script(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    if (err)
        snprintf(why, why_size, "cannot configure %s: %s", file, c->last_error);
    return err;
}

/* ---- PostgreSQL --------------------------------------------------------------------------- */

static int pg_result_error(struct clouddb_conn *c, PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->last_error, sizeof c->last_error, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
    if (state && !strcmp(state, "23505"))
        return -EEXIST;
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01")))
        return -EBUSY;
    return -EIO;
}

static unsigned long sql_hash(const char *sql)
{
    unsigned long h = 14695981039346656037ul; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 1099511628211ul;
    return h;
}

/* The name of `sql` prepared on c ("s<index>"), preparing it the first time. 0, or the server's
 * refusal; -ENOSPC when the cache is full (the caller then runs the statement unprepared). */
static int pg_prepared(struct clouddb_conn *c, const char *sql, size_t n, char name[16])
{
    unsigned long h = sql_hash(sql);
    for (size_t i = 0; i < c->nstmts; i++)
        if (c->stmts[i].hash == h && !strcmp(c->stmts[i].sql, sql)) {
            snprintf(name, 16, "s%u", (unsigned)i); /* i < STMT_CACHE */
            return 0;
        }
    if (c->nstmts == STMT_CACHE)
        return -ENOSPC;
    char *copy = strdup(sql);
    if (!copy)
        return -ENOMEM;
    snprintf(name, 16, "s%u", (unsigned)c->nstmts);
    PGresult *res = PQprepare(c->pg, name, sql, (int)n, NULL);
    int err = res && PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : pg_result_error(c, res);
    PQclear(res);
    if (err) {
        free(copy);
        return err;
    }
    c->stmts[c->nstmts++] = (struct prepared){.hash = h, .sql = copy};
    return 0;
}

/* Runs sql: prepared (once per connection) when it has parameters or a result; *err set when
 * preparing it failed (NULL returned). */
static PGresult *pg_run(struct clouddb_conn *c, const char *sql, const char *const *params, size_t n, bool rows,
                        int *err)
{
    char name[16];
    if (!n && !rows)
        return PQexec(c->pg, sql);
    int prep = pg_prepared(c, sql, n, name);
    if (prep == -ENOSPC)
        return PQexecParams(c->pg, sql, (int)n, NULL, params, NULL, NULL, 0);
    if (prep) {
        *err = prep;
        return NULL;
    }
    return PQexecPrepared(c->pg, name, (int)n, params, NULL, NULL, 0);
}

/* Takes res (and clears it): its rows into `rows` when wanted. */
static int pg_take(struct clouddb_conn *c, PGresult *res, struct clouddb_rows *rows)
{
    int err = 0;
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        err = pg_result_error(c, res);
    else if (rows && (err = rows_alloc(rows, (size_t)PQntuples(res), (size_t)PQnfields(res))) == 0) {
        for (size_t r = 0; r < rows->nrows; r++)
            for (size_t k = 0; k < rows->ncols; k++)
                if (!PQgetisnull(res, (int)r, (int)k))
                    rows->cells[r * rows->ncols + k] = strdup(PQgetvalue(res, (int)r, (int)k));
    }
    PQclear(res);
    return err;
}

static int pg_exec(struct clouddb_conn *c, const char *sql, const char *const *params, size_t n,
                   struct clouddb_rows *rows)
{
    int err = 0;
    PGresult *res = pg_run(c, sql, params, n, rows != NULL, &err);
    return err ? err : pg_take(c, res, rows);
}

/* The results of a pipeline: one per statement, each followed by NULL, then the sync. The first
 * error is kept (statements after a failed one come back PGRES_PIPELINE_ABORTED). */
static int pg_batch_results(struct clouddb_conn *c, struct clouddb_stmt *stmts, size_t n)
{
    int err = 0;
    for (size_t i = 0; i < n; i++) {
        PGresult *res = PQgetResult(c->pg);
        int e = pg_take(c, res, err ? NULL : stmts[i].rows);
        err = err ? err : e;
        while ((res = PQgetResult(c->pg)) != NULL) /* the NULL that ends statement i */
            PQclear(res);
    }
    PGresult *sync = PQgetResult(c->pg);
    if (!err && (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC))
        err = pg_result_error(c, sync);
    PQclear(sync);
    return err;
}

/* The first statement of a soft batch: synchronous_commit off until the end of this transaction
 * only (set_config's is_local; the next transaction on the connection is synchronous again). */
#define SOFT_COMMIT_SQL "SELECT set_config('synchronous_commit', 'off', true)"

/* One round trip: every statement prepared beforehand (PQprepare is not allowed in a pipeline),
 * then sent in pipeline mode with one sync, so they also run as one implicit transaction. The
 * caller put SOFT_COMMIT_SQL first for a soft batch. */
static int pg_batch(struct clouddb_conn *c, struct clouddb_stmt *stmts, size_t n)
{
    char names[CLOUDDB_BATCH_MAX + 1][16];
    for (size_t i = 0; i < n; i++) {
        int err = pg_prepared(c, stmts[i].sql, stmts[i].nparams, names[i]);
        if (err == -ENOSPC) { /* no room to prepare: one statement after the other */
            for (size_t k = 0; k < n && !err; k++)
                err = pg_exec(c, stmts[k].sql, stmts[k].params, stmts[k].nparams, stmts[k].rows);
            return err == -ENOSPC ? -EIO : err;
        }
        if (err)
            return err;
    }
    if (!PQenterPipelineMode(c->pg))
        return pg_result_error(c, NULL);
    int err = 0;
    size_t sent = 0;
    for (; sent < n && !err; sent++)
        if (!PQsendQueryPrepared(c->pg, names[sent], (int)stmts[sent].nparams, stmts[sent].params, NULL, NULL, 0))
            err = pg_result_error(c, NULL);
    if (err)
        sent--; /* the one that failed to go */
    if (!PQpipelineSync(c->pg) && !err)
        err = pg_result_error(c, NULL);
    int got = pg_batch_results(c, stmts, sent);
    PQexitPipelineMode(c->pg);
    return err ? err : got;
}

static int pg_open(struct clouddb_conn *c, const char *url, char *why, size_t why_size)
{
    c->pg = PQconnectdb(url);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        snprintf(why, why_size, "cannot connect to PostgreSQL: %s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
        return -EIO;
    }
    return pg_exec(c, "SET client_min_messages TO WARNING", NULL, 0, NULL);
}

/* ---- common ------------------------------------------------------------------------------- */

int clouddb_exec(struct clouddb_conn *c, const char *sql, const char *const *params, size_t nparams,
                 struct clouddb_rows *rows)
{
    if (rows)
        memset(rows, 0, sizeof *rows);
    return c->backend == BACKEND_PG ? pg_exec(c, sql, params, nparams, rows) : lite_exec(c, sql, params, nparams, rows);
}

static int batch(struct clouddb_conn *c, struct clouddb_stmt *stmts, size_t n, bool soft)
{
    if (n > CLOUDDB_BATCH_MAX)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (stmts[i].rows)
            memset(stmts[i].rows, 0, sizeof *stmts[i].rows);
    int err = 0;
    if (c->backend == BACKEND_PG && soft) {
        struct clouddb_stmt all[CLOUDDB_BATCH_MAX + 1] = {{SOFT_COMMIT_SQL, NULL, 0, NULL}};
        memcpy(all + 1, stmts, n * sizeof *stmts);
        err = pg_batch(c, all, n + 1);
    } else if (c->backend == BACKEND_PG)
        err = pg_batch(c, stmts, n);
    else
        for (size_t i = 0; i < n && !err; i++)
            err = lite_exec(c, stmts[i].sql, stmts[i].params, stmts[i].nparams, stmts[i].rows);
    for (size_t i = 0; err && i < n; i++)
        clouddb_rows_free(stmts[i].rows);
    return err;
}

int clouddb_exec_batch(struct clouddb_conn *c, struct clouddb_stmt *stmts, size_t n) { return batch(c, stmts, n, false); }

int clouddb_exec_batch_soft(struct clouddb_conn *c, struct clouddb_stmt *stmts, size_t n) { return batch(c, stmts, n, true); }

int clouddb_begin(struct clouddb_conn *c)
{
    return clouddb_exec(c, c->backend == BACKEND_PG ? "BEGIN" : "BEGIN IMMEDIATE", NULL, 0, NULL);
}

int clouddb_commit(struct clouddb_conn *c) { return clouddb_exec(c, "COMMIT", NULL, 0, NULL); }

void clouddb_rollback(struct clouddb_conn *c) { clouddb_exec(c, "ROLLBACK", NULL, 0, NULL); }

static int script(struct clouddb_conn *c, const char *sql)
{
    return c->backend == BACKEND_PG ? pg_exec(c, sql, NULL, 0, NULL) : lite_script(c, sql);
}

static int migrate(struct clouddb *db, char *why, size_t why_size)
{
    struct clouddb_conn *c = &db->conns[0];
    int err = script(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)");
    struct clouddb_rows rows;
    if (!err)
        err = clouddb_exec(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL, 0, &rows);
    if (err) {
        snprintf(why, why_size, "cannot read the schema version: %s", c->last_error);
        return err;
    }
    db->version = atoi(clouddb_cell(&rows, 0, 0) ? clouddb_cell(&rows, 0, 0) : "0");
    clouddb_rows_free(&rows);
    if (db->version > MIGRATION_COUNT) {
        snprintf(why, why_size, "the database has schema version %d; this build knows up to %d", db->version,
                 MIGRATION_COUNT);
        return -EINVAL;
    }
    for (int v = db->version + 1; v <= MIGRATION_COUNT; v++) {
        char version[16], now[32];
        snprintf(version, sizeof version, "%d", v);
        snprintf(now, sizeof now, "%lld", (long long)time(NULL));
        const char *params[] = {version, now};
        err = clouddb_begin(c);
        err = err ? err : script(c, migrations[v - 1]);
        err = err ? err : clouddb_exec(c, "INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)", params, 2, NULL);
        err = err ? err : clouddb_commit(c);
        if (err) {
            snprintf(why, why_size, "schema migration %d failed: %s", v, c->last_error);
            clouddb_rollback(c);
            return err;
        }
        db->version = v;
    }
    return 0;
}

int clouddb_open(const char *data_dir, const char *url, struct clouddb **out, char *why, size_t why_size)
{
    *out = NULL;
    bool pg = url && url[0];
    if (pg && strncmp(url, "postgresql://", 13) != 0 && strncmp(url, "postgres://", 11) != 0) {
        snprintf(why, why_size, "--db must be a postgresql:// URL (or nothing for SQLite in the data folder), not '%s'", url);
        return -EINVAL;
    }
    struct clouddb *db = calloc(1, sizeof *db);
    if (!db)
        return -ENOMEM;
    db->backend = pg ? BACKEND_PG : BACKEND_SQLITE;
    db->size = pg ? CLOUDDB_POOL_PG : CLOUDDB_POOL_SQLITE;
    pthread_mutex_init(&db->lock, NULL);
    pthread_cond_init(&db->freed, NULL);
    char *file = pg ? NULL : path_join(data_dir, "cloud.db");
    int err = pg || file ? 0 : -ENOMEM;
    for (int i = 0; !err && i < db->size; i++) {
        db->conns[i].backend = db->backend;
        err = pg ? pg_open(&db->conns[i], url, why, why_size) : lite_open(&db->conns[i], file, why, why_size);
        if (!err && i == 0)
            err = migrate(db, why, why_size);
    }
    free(file);
    if (err) {
        clouddb_close(db);
        return err;
    }
    *out = db;
    return 0;
}

void clouddb_close(struct clouddb *db)
{
    if (!db)
        return;
    for (int i = 0; i < db->size; i++) {
        if (db->conns[i].lite)
            sqlite3_close(db->conns[i].lite);
        if (db->conns[i].pg)
            PQfinish(db->conns[i].pg);
        for (size_t k = 0; k < db->conns[i].nstmts; k++)
            free(db->conns[i].stmts[k].sql);
    }
    pthread_mutex_destroy(&db->lock);
    pthread_cond_destroy(&db->freed);
    free(db);
}

struct clouddb_conn *clouddb_acquire(struct clouddb *db)
{
    pthread_mutex_lock(&db->lock);
    for (;;) {
        for (int i = 0; i < db->size; i++)
            if (!db->conns[i].busy) {
                db->conns[i].busy = true;
                pthread_mutex_unlock(&db->lock);
                return &db->conns[i];
            }
        pthread_cond_wait(&db->freed, &db->lock);
    }
}

void clouddb_release(struct clouddb *db, struct clouddb_conn *c)
{
    pthread_mutex_lock(&db->lock);
    c->busy = false;
    pthread_cond_signal(&db->freed);
    pthread_mutex_unlock(&db->lock);
}
