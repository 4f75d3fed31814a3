/*
 * revision.h - one migration file: its directives, its SQL and its checksum.
 *
 * File format (SPEC "Migration files"): directive lines `-- vmig:NAME VALUE`
 * with NAME one of revision, down_revision, message, transaction, up, down.
 * revision/down_revision/message/transaction come before `-- vmig:up`;
 * `-- vmig:up` is required and comes before the optional `-- vmig:down`.
 *
 * A line ends at LF, at CRLF or at a lone CR: for the parser, for every line
 * number (in messages and vmig_revision_line_at) and for the checksum alike.
 * The SQL itself is kept as written, line ends included.  Messages that
 * quote the file show its control bytes escaped (vmig_buf_put_escaped).
 */
#ifndef VMIG_REVISION_H
#define VMIG_REVISION_H

#include "buf.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>

#define VMIG_ID_MAX           64
#define VMIG_CHECKSUM_VERSION 1
#define VMIG_CHECKSUM_HEX     65 /* 64 hex digits and NUL */

typedef struct vmig_revision {
	char *id;
	char **parents; /* nparents ids, each owned */
	size_t nparents;
	char *message;      /* "" when the file has none */
	bool transactional; /* false for `-- vmig:transaction off` */
	char *up_sql;       /* the lines after `-- vmig:up`, as written */
	char *down_sql;     /* the lines after `-- vmig:down`; NULL: irreversible */
	int up_line;        /* line number (1-based) of up_sql's first line in the file */
	int down_line;      /* same for down_sql; 0 when irreversible */
	int parents_line;   /* line of `-- vmig:down_revision`, 0 when absent */
	char *path;         /* the file, as found under the migrations directory */
	char checksum[VMIG_CHECKSUM_HEX]; /* "" until vmig_revision_checksum() computes it */
	bool from_db; /* synthesized from a version-table row whose file is gone */
} vmig_revision;

/* True when s is a valid revision id: 1-64 of [A-Za-z0-9_], first not '_'. */
bool vmig_revision_id_valid(const char *s);

/*
 * Parses the text of the file at path (used for messages only) into *out.
 * On error returns VMIG_ERR_INPUT with "path:line: what is wrong; what to do"
 * and leaves *out zeroed.  *out's strings are owned by it (vmig_revision_free).
 */
int vmig_revision_parse(const char *path, const char *text, size_t len, vmig_revision *out,
                        vmig_error *err);

/* Reads and parses one file. */
int vmig_revision_load(const char *path, vmig_revision *out, vmig_error *err);

/* Reads a whole file into buf (reset first; reused across calls to save allocations). */
int vmig_revision_read(const char *path, struct vmig_buf *buf, vmig_error *err);

/* The revision's checksum (lowercase hex), computed on first use and kept. */
const char *vmig_revision_checksum(const vmig_revision *rev);

void vmig_revision_free(vmig_revision *rev);

/* "Add users!" -> "add_users": the part of a file name that a message gives
 * (ASCII letters and digits, lowercased, at most about 40 bytes). */
char *vmig_revision_slug(const char *message);

/*
 * Checksum, version 1: SHA-256, as lowercase hex, of
 *     norm(up) "\n-- vmig:down\n" norm(down)      when there is a down section
 *     norm(up)                                     when there is none
 * where norm() turns every line end (CRLF, lone CR, LF: the parser's rule)
 * into LF, drops a leading byte-order mark, drops white space (space, tab,
 * form feed, vertical tab) at the end of every line and blank lines at the end.
 */
void vmig_checksum(const char *up_sql, const char *down_sql, char out[VMIG_CHECKSUM_HEX]);

/* SHA-256 of data as lowercase hex: the first nhex digits (at most 64) and
 * a NUL into out (room for nhex + 1). */
void vmig_sha256_hex(const void *data, size_t len, char *out, size_t nhex);

/* Appends norm(s) (above) to b: what the checksum sees of a text, so that
 * two texts that differ only in line ends and trailing white space are one. */
void vmig_text_normalize(vmig_buf *b, const char *s);

/* Maps a byte offset into up_sql/down_sql to the file's line number (line ends as above). */
int vmig_revision_line_at(const vmig_revision *rev, bool down, size_t offset);

#endif
