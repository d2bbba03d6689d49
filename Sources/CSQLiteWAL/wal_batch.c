/*
 * A SQLite VFS that batches the writes to WAL files.
 *
 * Why: SQLite writes every WAL frame as two writes (its 24-byte header, then the page), so a
 * commit of 15 pages costs 30 pwrite(2) calls — ~59 per provision here, each a system call with
 * its own inode lock and timestamp update. This VFS keeps the contiguous writes to a WAL file in a
 * buffer and writes them in one call (per 64 KiB, see CGWAL_MAX_WRITE) at the points where SQLite,
 * or another connection, could depend on them being in the file:
 *
 *   - after the page of a commit frame (a frame header whose "database size" field is non-zero),
 *     so a commit's frames are in the file before SQLite publishes them in the WAL index (the same
 *     moment as without this VFS, synchronous or not);
 *   - before xSync (durability is unchanged: the same bytes are synced at the same call);
 *   - before any read, truncate, size query, file control, mapping or close of that file;
 *   - when a write is not contiguous with the buffer (an earlier frame rewritten in place) or
 *     would overflow it.
 *
 * The writes reach the file in the order SQLite made them; an error of the batched write is
 * returned by the call that made it (at the latest the commit frame's write or xSync, inside the
 * commit), exactly like an error of the write it replaces. Files other than WAL files are the
 * underlying VFS's own objects, untouched.
 */
#include "wal_batch.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define CGWAL_CAPACITY (512 * 1024)
/* Largest single write handed to the unix VFS: its seekAndWriteFd() masks the length with
 * 0x1ffff, so a write of 128 KiB or more would be cut short (and a remainder that is a multiple of
 * 128 KiB reported as SQLITE_FULL). SQLite itself never writes more than a frame at once. */
#define CGWAL_MAX_WRITE (64 * 1024)
#define CGWAL_FRAME_HEADER 24

typedef struct BatchFile {
    sqlite3_file base;    /* must be first: SQLite sees this */
    sqlite3_file *real;   /* the underlying VFS's file, stored after this struct */
    unsigned char *buffer;
    int length;
    sqlite3_int64 start;  /* file offset of buffer[0] */
    int commitPending;    /* the last write was a commit frame's header */
    sqlite3_int64 commitPageOffset;
    long long requested;  /* writes SQLite asked for */
    long long written;    /* writes made to the real file */
} BatchFile;

static sqlite3_vfs batchVfs;
static sqlite3_vfs *parentVfs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registerResult = SQLITE_OK;

#define REAL(file) (((BatchFile *)(file))->real)

static int flush(BatchFile *p) {
    int length = p->length;
    p->length = 0;  /* a failed write is not retried: SQLite fails the transaction */
    for (int done = 0; done < length;) {
        int amount = length - done < CGWAL_MAX_WRITE ? length - done : CGWAL_MAX_WRITE;
        p->written++;
        int rc = p->real->pMethods->xWrite(p->real, p->buffer + done, amount, p->start + done);
        if (rc != SQLITE_OK) return rc;
        done += amount;
    }
    return SQLITE_OK;
}

static int batchClose(sqlite3_file *file) {
    BatchFile *p = (BatchFile *)file;
    int rc = flush(p);
    int closeRc = p->real->pMethods->xClose(p->real);
    free(p->buffer);
    p->buffer = NULL;
    return rc != SQLITE_OK ? rc : closeRc;
}

static int batchRead(sqlite3_file *file, void *data, int amount, sqlite3_int64 offset) {
    int rc = flush((BatchFile *)file);
    if (rc != SQLITE_OK) return rc;
    return REAL(file)->pMethods->xRead(REAL(file), data, amount, offset);
}

static int batchWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    BatchFile *p = (BatchFile *)file;
    p->requested++;
    int commitPage = p->commitPending && offset == p->commitPageOffset;
    p->commitPending = 0;
    int rc;
    if (p->length > 0 && offset == p->start + p->length && p->length + amount <= CGWAL_CAPACITY) {
        memcpy(p->buffer + p->length, data, amount);
        p->length += amount;
    } else {
        if ((rc = flush(p)) != SQLITE_OK) return rc;
        if (amount > CGWAL_MAX_WRITE || (p->buffer == NULL && (p->buffer = malloc(CGWAL_CAPACITY)) == NULL)) {
            p->written++;
            return p->real->pMethods->xWrite(p->real, data, amount, offset);
        }
        memcpy(p->buffer, data, amount);
        p->start = offset;
        p->length = amount;
    }
    if (commitPage) return flush(p);
    if (amount == CGWAL_FRAME_HEADER) {
        /* A frame header: bytes 4..7 hold the database size after a commit, 0 otherwise. */
        const unsigned char *header = data;
        if (header[4] | header[5] | header[6] | header[7]) {
            p->commitPending = 1;
            p->commitPageOffset = offset + CGWAL_FRAME_HEADER;
        }
    }
    return SQLITE_OK;
}

static int batchTruncate(sqlite3_file *file, sqlite3_int64 size) {
    int rc = flush((BatchFile *)file);
    if (rc != SQLITE_OK) return rc;
    return REAL(file)->pMethods->xTruncate(REAL(file), size);
}

static int batchSync(sqlite3_file *file, int flags) {
    int rc = flush((BatchFile *)file);
    if (rc != SQLITE_OK) return rc;
    return REAL(file)->pMethods->xSync(REAL(file), flags);
}

static int batchFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    int rc = flush((BatchFile *)file);
    if (rc != SQLITE_OK) return rc;
    return REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int batchLock(sqlite3_file *file, int level) { return REAL(file)->pMethods->xLock(REAL(file), level); }
static int batchUnlock(sqlite3_file *file, int level) { return REAL(file)->pMethods->xUnlock(REAL(file), level); }
static int batchCheckReservedLock(sqlite3_file *file, int *out) {
    return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int batchFileControl(sqlite3_file *file, int op, void *arg) {
    int rc = flush((BatchFile *)file);
    if (rc != SQLITE_OK) return rc;
    return REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int batchSectorSize(sqlite3_file *file) { return REAL(file)->pMethods->xSectorSize(REAL(file)); }
static int batchDeviceCharacteristics(sqlite3_file *file) {
    return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static int batchShmMap(sqlite3_file *file, int page, int size, int extend, void volatile **out) {
    return REAL(file)->pMethods->xShmMap(REAL(file), page, size, extend, out);
}
static int batchShmLock(sqlite3_file *file, int offset, int n, int flags) {
    return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}
static void batchShmBarrier(sqlite3_file *file) { REAL(file)->pMethods->xShmBarrier(REAL(file)); }
static int batchShmUnmap(sqlite3_file *file, int deleteFlag) {
    return REAL(file)->pMethods->xShmUnmap(REAL(file), deleteFlag);
}

static int batchFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out) {
    int rc = flush((BatchFile *)file);
    if (rc != SQLITE_OK) return rc;
    return REAL(file)->pMethods->xFetch(REAL(file), offset, amount, out);
}
static int batchUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *pointer) {
    return REAL(file)->pMethods->xUnfetch(REAL(file), offset, pointer);
}

/* Version 3 methods; a version the underlying file lacks is never called by SQLite, since the
 * version reported is the underlying file's (see batchOpen). */
static sqlite3_io_methods batchMethods[4];

static int batchOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL)) {
        /* Not a WAL: the underlying VFS's own object, in place (our szOsFile is larger). */
        return parentVfs->xOpen(parentVfs, name, file, flags, outFlags);
    }
    BatchFile *p = (BatchFile *)file;
    memset(p, 0, sizeof(BatchFile));
    p->real = (sqlite3_file *)((char *)p + ((sizeof(BatchFile) + 15) & ~(size_t)15));
    int rc = parentVfs->xOpen(parentVfs, name, p->real, flags, outFlags);
    if (rc != SQLITE_OK || p->real->pMethods == NULL) {
        p->base.pMethods = NULL;
        return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
    }
    int version = p->real->pMethods->iVersion;
    p->base.pMethods = &batchMethods[version < 1 ? 1 : version > 3 ? 3 : version];
    return SQLITE_OK;
}

static int vfsDelete(sqlite3_vfs *v, const char *name, int syncDir) {
    (void)v;
    return parentVfs->xDelete(parentVfs, name, syncDir);
}
static int vfsAccess(sqlite3_vfs *v, const char *name, int flags, int *out) {
    (void)v;
    return parentVfs->xAccess(parentVfs, name, flags, out);
}
static int vfsFullPathname(sqlite3_vfs *v, const char *name, int n, char *out) {
    (void)v;
    return parentVfs->xFullPathname(parentVfs, name, n, out);
}
static void *vfsDlOpen(sqlite3_vfs *v, const char *name) {
    (void)v;
    return parentVfs->xDlOpen(parentVfs, name);
}
static void vfsDlError(sqlite3_vfs *v, int n, char *out) {
    (void)v;
    parentVfs->xDlError(parentVfs, n, out);
}
static void (*vfsDlSym(sqlite3_vfs *v, void *handle, const char *symbol))(void) {
    (void)v;
    return parentVfs->xDlSym(parentVfs, handle, symbol);
}
static void vfsDlClose(sqlite3_vfs *v, void *handle) {
    (void)v;
    parentVfs->xDlClose(parentVfs, handle);
}
static int vfsRandomness(sqlite3_vfs *v, int n, char *out) {
    (void)v;
    return parentVfs->xRandomness(parentVfs, n, out);
}
static int vfsSleep(sqlite3_vfs *v, int microseconds) {
    (void)v;
    return parentVfs->xSleep(parentVfs, microseconds);
}
static int vfsCurrentTime(sqlite3_vfs *v, double *out) {
    (void)v;
    return parentVfs->xCurrentTime(parentVfs, out);
}
static int vfsGetLastError(sqlite3_vfs *v, int n, char *out) {
    (void)v;
    return parentVfs->xGetLastError ? parentVfs->xGetLastError(parentVfs, n, out) : 0;
}
static int vfsCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *out) {
    (void)v;
    return parentVfs->xCurrentTimeInt64(parentVfs, out);
}

static void registerOnce(void) {
    parentVfs = sqlite3_vfs_find(NULL);
    if (parentVfs == NULL) {
        registerResult = SQLITE_ERROR;
        return;
    }
    for (int version = 1; version <= 3; version++) {
        sqlite3_io_methods m = {0};
        m.iVersion = version;
        m.xClose = batchClose;
        m.xRead = batchRead;
        m.xWrite = batchWrite;
        m.xTruncate = batchTruncate;
        m.xSync = batchSync;
        m.xFileSize = batchFileSize;
        m.xLock = batchLock;
        m.xUnlock = batchUnlock;
        m.xCheckReservedLock = batchCheckReservedLock;
        m.xFileControl = batchFileControl;
        m.xSectorSize = batchSectorSize;
        m.xDeviceCharacteristics = batchDeviceCharacteristics;
        if (version >= 2) {
            m.xShmMap = batchShmMap;
            m.xShmLock = batchShmLock;
            m.xShmBarrier = batchShmBarrier;
            m.xShmUnmap = batchShmUnmap;
        }
        if (version >= 3) {
            m.xFetch = batchFetch;
            m.xUnfetch = batchUnfetch;
        }
        batchMethods[version] = m;
    }
    batchVfs = (sqlite3_vfs){0};
    batchVfs.iVersion = parentVfs->iVersion < 2 ? parentVfs->iVersion : 2;
    batchVfs.szOsFile = (int)((sizeof(BatchFile) + 15) & ~(size_t)15) + parentVfs->szOsFile;
    batchVfs.mxPathname = parentVfs->mxPathname;
    batchVfs.zName = "claimgate-wal-batch";
    batchVfs.xOpen = batchOpen;
    batchVfs.xDelete = vfsDelete;
    batchVfs.xAccess = vfsAccess;
    batchVfs.xFullPathname = vfsFullPathname;
    batchVfs.xDlOpen = vfsDlOpen;
    batchVfs.xDlError = vfsDlError;
    batchVfs.xDlSym = vfsDlSym;
    batchVfs.xDlClose = vfsDlClose;
    batchVfs.xRandomness = vfsRandomness;
    batchVfs.xSleep = vfsSleep;
    batchVfs.xCurrentTime = vfsCurrentTime;
    batchVfs.xGetLastError = vfsGetLastError;
    if (batchVfs.iVersion >= 2) batchVfs.xCurrentTimeInt64 = vfsCurrentTimeInt64;
    registerResult = sqlite3_vfs_register(&batchVfs, 0);
}

int cgwal_register(void) {
    pthread_once(&once, registerOnce);
    return registerResult;
}

const char *cgwal_vfs_name(void) { return "claimgate-wal-batch"; }

int cgwal_write_counts(sqlite3 *db, long long *requested, long long *written) {
    sqlite3_file *file = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK || file == NULL) return 0;
    if (file->pMethods < &batchMethods[1] || file->pMethods > &batchMethods[3]) return 0;
    BatchFile *p = (BatchFile *)file;
    *requested = p->requested;
    *written = p->written;
    return 1;
}
