/* SPDX-License-Identifier: MIT */
/*
 * The state store (DESIGN.md §7): one private directory per organisation
 * that holds what excert must remember between runs and that git must never
 * see: the ACME account key, orders in flight, the apply journal, the last
 * observation.
 *
 *   DIR/lock           flock(2)ed by the one apply that runs; while held, one
 *                      JSON line naming the holder (pid, host, since, command)
 *   DIR/journal.jsonl  the apply journal: one JSON object per line, appended
 *                      and fsynced one entry at a time
 *   DIR/NAME           files of the callers ("account.json",
 *                      "orders/mail.json"), each replaced atomically
 *
 * Layout rules: the directory is mode 0700, owned by the user running excert
 * and never group- or world-writable; subdirectories are created 0700.  A
 * write goes to a temporary file in the same directory ("NAME~tmp.PID.N",
 * a name no store file can have, since '~' is refused), is fsynced, renamed
 * over NAME and the directory is fsynced: a reader sees the old or the new
 * contents, never a mix, and a crash at any point leaves one of the two.  A
 * crash between the temporary file's creation and the rename leaves that
 * temporary file behind (mode 0600 until the rename); it is never read and
 * may be deleted by hand.  Never delete DIR/lock while excert runs: the lock
 * lives on its inode.
 *
 * Thread rules: xc_store_dir, xc_store_read, xc_store_write,
 * xc_store_remove and xc_store_journal_read use only what xc_store_open
 * fixed, and may run on one handle from several threads at once, also while
 * another thread is in xc_store_lock or xc_store_journal.  xc_store_lock,
 * xc_store_unlock and xc_store_journal run one at a time per handle;
 * xc_store_close runs alone.  Two handles on one directory, in one process or
 * two, exclude each other through the lock.
 */
#ifndef XC_STATE_STORE_H
#define XC_STATE_STORE_H

#include <stddef.h>

#include "state/error.h"

struct xc_store;

/* Largest journal xc_store_journal_read accepts: years of applies. */
#define XC_STORE_JOURNAL_MAX ((size_t)64 * 1024 * 1024)

/*
 * Where the state of an organisation lives when --state is not given:
 * $XDG_STATE_HOME/excert/ORG, else $HOME/.local/state/excert/ORG.  A relative
 * or empty XDG_STATE_HOME is ignored (XDG Base Directory specification).  By
 * design this is outside any git repository: the store holds the ACME
 * account key and order URLs, which must never be committed next to
 * excert.yaml.
 *
 * Returns the path (caller frees), or NULL when neither variable is set (or
 * both are empty) or when organization is not one path component of
 * [A-Za-z0-9._-] ("", ".", ".." and names with '/' give NULL).
 * Reads the environment: call it before starting threads.
 */
char *xc_store_default_dir(const char *organization);

/*
 * Opens the state directory dir, creating it and its missing parents with
 * mode 0700 (exactly, whatever the umask).  Refuses, with XC_EINVAL and a
 * message saying how to fix it, a dir that is not a directory, that is
 * writable by group or others, or that belongs to another user than the
 * effective uid.  Parents that already exist are not checked.
 *
 * Returns 0 and sets *out (caller frees with xc_store_close); or a negative
 * xc_code (XC_EINVAL, XC_EIO) with err set and *out untouched.  dir is
 * copied.
 */
int xc_store_open(struct xc_store **out, const char *dir, struct xc_error *err);

/*
 * Releases the lock when this handle holds it (as xc_store_unlock), closes
 * and frees s.  NULL is a no-op.
 */
void xc_store_close(struct xc_store *s);

/* The directory as given to xc_store_open; borrowed, valid while s lives. */
const char *xc_store_dir(const struct xc_store *s);

/*
 * Takes the lock of the store: one apply at a time.  Uses flock(2) on
 * DIR/lock, which the kernel releases when the holder dies, however it dies;
 * then writes the holder line into DIR/lock:
 *   {"pid":1234,"host":"ops1","since":"2026-11-24T19:00:00Z",
 *    "command":"excert apply"}
 * command says who holds the lock in other runs' messages ("excert apply");
 * NULL means "excert".
 *
 * When another process holds the lock, polls every 100 ms for up to
 * wait_seconds (0 or less: one try), then fails with XC_ELOCKED and a
 * message naming the holder: "state directory DIR is locked by excert apply
 * (pid 1234 on ops1, since 2026-11-24T19:00:00Z)".
 *
 * When the lock is free but DIR/lock still names a holder, that holder died
 * holding it (its apply was interrupted; its pid is gone on this host, or it
 * ran on another host, or its pid now belongs to another process): the lock
 * is taken over and note receives one line for the user, such as "taking
 * over the lock of pid 1234 (excert apply since 2026-11-24T19:00:00Z), which
 * is no longer running".  Otherwise note is "".  note may be NULL (with
 * note_size 0); it is always NUL-terminated when note_size > 0.
 *
 * The lock's descriptor is close-on-exec: a program that excert starts
 * (ssh, a hook) does not keep the lock alive after excert dies; a child
 * made with fork() alone shares the lock until it exits or execs.
 *
 * Returns 0 (the lock is held until xc_store_unlock or xc_store_close), or
 * XC_ELOCKED, XC_EINVAL (this handle already holds the lock) or XC_EIO,
 * with err set.
 */
int xc_store_lock(struct xc_store *s, const char *command, int wait_seconds,
                  char *note, size_t note_size, struct xc_error *err);

/*
 * Clears the holder line (fsynced, so a crash later is not mistaken for an
 * interrupted apply) and releases the lock.  A no-op when this handle does
 * not hold it.
 */
void xc_store_unlock(struct xc_store *s);

/*
 * Replaces DIR/name with len bytes of data, atomically and durably (see the
 * layout rules above), with file mode mode exactly (0600 for anything
 * secret; only permission bits, 0 to 0777).  Missing subdirectories of name
 * are created 0700.
 *
 * name is relative: components of [A-Za-z0-9._-] (at most 200 characters
 * each, 1024 in all) separated by single '/', none empty, "." or "..".  The
 * store's own files, "lock" and "journal.jsonl", are refused.  Symbolic
 * links inside the store are not followed.
 *
 * Returns 0, or XC_EINVAL (bad name or mode) or XC_EIO with err set.  On
 * failure no temporary file is left, and DIR/name is unchanged unless only
 * the last step, the fsync of the directory after the rename, failed (then
 * the new contents are in place but may not survive a crash).  data is
 * borrowed.
 */
int xc_store_write(struct xc_store *s, const char *name, const void *data,
                   size_t len, int mode, struct xc_error *err);

/*
 * Reads DIR/name (name as for xc_store_write; the store's own files may be
 * read).  At most max bytes are accepted (0: no limit).
 *
 * Returns 0 with *out (NUL-terminated, caller frees) and *len_out (may be
 * NULL) set; or XC_ENOTFOUND when the file or a directory on its way does
 * not exist, XC_ENOMEM when it is larger than max, XC_EINVAL (bad name, a
 * symbolic link, not a regular file) or XC_EIO, with err set and *out NULL.
 */
int xc_store_read(struct xc_store *s, const char *name, size_t max, char **out,
                  size_t *len_out, struct xc_error *err);

/*
 * Removes DIR/name (name as for xc_store_write) and fsyncs its directory.
 * Returns 0, also when the file does not exist; or XC_EINVAL or XC_EIO with
 * err set.  Emptied subdirectories are left in place.
 */
int xc_store_remove(struct xc_store *s, const char *name, struct xc_error *err);

/*
 * Appends json_line, one JSON object without its newline, to
 * DIR/journal.jsonl (created 0600) and fsyncs it before returning, so that
 * an apply killed at any point leaves every entry already returned on disk.
 * Only the holder of the lock appends: a torn last line, left by a holder
 * that died in the middle of an append, was never acknowledged and is cut
 * off before the new entry is written.
 *
 * Returns 0; XC_EINVAL when this handle does not hold the lock or json_line
 * is NULL, holds a newline or is not a JSON object; XC_EIO with err set,
 * and the entry is not acknowledged (a failed write is cut off again; after
 * a failed fsync the entry may or may not survive a crash).
 */
int xc_store_journal(struct xc_store *s, const char *json_line,
                     struct xc_error *err);

/*
 * Reads the journal: every complete line, oldest first, without newlines.
 * A torn last line (no final newline: an append that did not finish) and
 * empty lines are skipped, not errors; a missing journal has no lines.
 * Needs no lock.
 *
 * Returns 0 with *lines_out (caller frees with xc_store_lines_free; NULL
 * when *n_out is 0) and *n_out set; or XC_ENOMEM (larger than
 * XC_STORE_JOURNAL_MAX) or XC_EIO with err set.
 */
int xc_store_journal_read(struct xc_store *s, char ***lines_out, size_t *n_out,
                          struct xc_error *err);

/* Frees the n lines of xc_store_journal_read and the array; NULL is fine. */
void xc_store_lines_free(char **lines, size_t n);

/* Creates dir and the directories above it that are missing, each made
 * with mode exactly (whatever the umask); existing ones are left as they
 * are.  0, or XC_EIO with err naming the directory. */
int xc_make_dirs(const char *dir, int mode, struct xc_error *err);

/*
 * Replaces the file at path (anywhere, e.g. a saved plan) with len bytes of
 * data, atomically and durably: a temporary file beside it (an
 * unpredictable name, made with O_EXCL, so never through a link; mode set
 * whatever the umask), fsync, rename, fsync of the directory.  Mode as for
 * xc_store_write.  0 or XC_EIO with
 * err naming the file; on failure path is unchanged and no temporary file
 * is left.
 */
int xc_write_file_atomic(const char *path, const void *data, size_t len,
                         int mode, struct xc_error *err);

#endif
