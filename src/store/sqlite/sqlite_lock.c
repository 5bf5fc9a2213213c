/* One dispatcher per SQLite database file (sg_store_dispatch_lock).
 *
 * A dispatcher that starts takes back every claim in the database at once
 * (sg_store_claims_recover), which is only right when no other dispatcher is
 * sending from the same file; two would also each apply a provider's mps on their
 * own. So `serve` holds an exclusive flock(2) on "<db>.lock" for its whole life.
 * The kernel drops a flock when the last descriptor of its open file goes, so the
 * lock is released however the process ends, kill -9 included. The lock file is
 * separate from the database because SQLite locks the database with fcntl(2)
 * locks, which flock emulations (NFS) may mix with. The file is never removed:
 * removing it could let two processes lock two different files of that name. */
#include "store/sqlite/sqlite_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define LOCK_PATH_MAX 4096

/* The process id its holder wrote in the lock file, or 0 when there is none to
 * trust (the holder may be between its flock and its write). */
static long holder_pid(int fd)
{
    char text[24];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    char *end;
    long pid = strtol(text, &end, 10);
    return pid > 0 && (*end == '\n' || *end == '\0') ? pid : 0;
}

/* For the message of the next serve refused; the lock itself is the flock. */
static void write_pid(int fd)
{
    char text[24];
    int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len)
        return; /* only the message of a refused serve loses the pid */
}

static sg_err refused(sq_store *s, int fd, sg_error *e)
{
    long pid = holder_pid(fd);
    char who[32] = "";
    if (pid)
        snprintf(who, sizeof who, " (pid %ld)", pid);
    return sg_error_set(e, SG_ERR_CONFLICT, "db",
                        "%s is in use by another smsgate serve%s: one serve per database file "
                        "(it holds %s.lock)",
                        s->path, who, s->path);
}

sg_err sq_dispatch_lock(sg_store *store, sg_error *e)
{
    sq_store *s = sq_of(store);
    if (s->dispatch_locked)
        return SG_OK;
    char path[LOCK_PATH_MAX];
    if (snprintf(path, sizeof path, "%s.lock", s->path) >= (int)sizeof path)
        return sg_error_set(e, SG_ERR_TOO_LARGE, "db", "the database path is too long");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return sg_error_set(e, SG_ERR_IO, "db", "cannot open the lock file %s: %s", path,
                            strerror(errno));
    sg_err err = SG_OK;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        err = errno == EWOULDBLOCK
                  ? refused(s, fd, e)
                  : sg_error_set(e, SG_ERR_IO, "db", "cannot lock %s: %s", path, strerror(errno));
        goto out;
    }
    write_pid(fd);
    s->dispatch_lock_fd = fd;
    s->dispatch_locked = true;
out:
    if (err)
        close(fd);
    return err;
}

void sq_dispatch_unlock(sg_store *store)
{
    sq_store *s = sq_of(store);
    if (!s->dispatch_locked)
        return;
    close(s->dispatch_lock_fd); /* drops the flock */
    s->dispatch_locked = false;
}
