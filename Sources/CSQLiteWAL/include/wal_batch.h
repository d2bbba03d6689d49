#ifndef CSQLITEWAL_WAL_BATCH_H
#define CSQLITEWAL_WAL_BATCH_H

#include <sqlite3.h>

/* A SQLite VFS that gathers the writes to a WAL file and hands them to the real file in one
 * write: see wal_batch.c. */

/* Registers the VFS "claimgate-wal-batch" over the default one; idempotent, thread-safe.
 * Returns SQLITE_OK or SQLite's error code. */
int cgwal_register(void);

/* The VFS's name, for sqlite3_open_v2. */
const char *cgwal_vfs_name(void);

/* The writes SQLite made to the WAL of `db` so far, and the writes that reached the file (for
 * tests and diagnostics). Returns 0 when that WAL is not open or not opened through this VFS. */
int cgwal_write_counts(sqlite3 *db, long long *requested, long long *written);

#endif
