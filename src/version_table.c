/*
 * version_table.c - the version table's columns, and rendering them (see version_table.h).
 */
#include "version_table.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const vmig_column_def vmig_version_columns[VMIG_NVCOLS] = {
    [VMIG_VCOL_REVISION] = {"revision", VMIG_COLTYPE_TEXT, false, true, true, NULL, NULL},
    [VMIG_VCOL_STATE] = {"state", VMIG_COLTYPE_TEXT, false, false, true,
                         "state IN ('" VMIG_STATE_APPLIED "', '" VMIG_STATE_IN_PROGRESS "')",
                         "CASE state WHEN 'pending' THEN '" VMIG_STATE_IN_PROGRESS
                         "' ELSE state END"},
    [VMIG_VCOL_PARENTS] = {"parents", VMIG_COLTYPE_TEXT, false, false, false, NULL, NULL},
    [VMIG_VCOL_MESSAGE] = {"message", VMIG_COLTYPE_TEXT, false, false, false, NULL, NULL},
    [VMIG_VCOL_CHECKSUM] = {"checksum", VMIG_COLTYPE_TEXT, false, false, false, NULL, NULL},
    [VMIG_VCOL_CHECKSUM_VERSION] = {"checksum_version", VMIG_COLTYPE_INTEGER, false, false, false,
                                    NULL, NULL},
    [VMIG_VCOL_APPLIED_AT] = {"applied_at", VMIG_COLTYPE_TEXT, false, false, false, NULL, NULL},
    [VMIG_VCOL_DURATION_MS] = {"duration_ms", VMIG_COLTYPE_REAL, false, false, false, NULL, NULL},
    [VMIG_VCOL_DOWN_SQL] = {"down_sql", VMIG_COLTYPE_TEXT, true, false, false, NULL, NULL},
    /* Shape 1 did not record it; the revisions it applied ran as their files
     * said, and a file that is gone is read as transactional, as shape 1 did. */
    [VMIG_VCOL_TRANSACTIONAL] = {"transactional", VMIG_COLTYPE_BOOLEAN, false, false, false, NULL,
                                 "true"},
    [VMIG_VCOL_SEQ] = {"seq", VMIG_COLTYPE_INTEGER, false, false, false, NULL,
                       "row_number() OVER (ORDER BY %s)"},
};

void vmig_vt_render_create(vmig_buf *b, const char *table, vmig_type_names types,
                           bool if_not_exists)
{
	vmig_buf_printf(b, "CREATE TABLE %s%s (", if_not_exists ? "IF NOT EXISTS " : "", table);
	for (int i = 0; i < VMIG_NVCOLS; i++) {
		const vmig_column_def *c = &vmig_version_columns[i];
		vmig_buf_printf(b, "%s%s %s%s%s", i ? ", " : "", c->name, types[c->type],
		                c->primary_key ? " PRIMARY KEY" : "",
		                c->nullable ? "" : " NOT NULL");
		if (c->check)
			vmig_buf_printf(b, " CHECK (%s)", c->check);
	}
	vmig_buf_putc(b, ')');
}

int vmig_vt_read_columns(bool ids_only, vmig_vcol out[VMIG_NVCOLS])
{
	int n = 0;
	for (int i = 0; i < VMIG_NVCOLS; i++)
		if (!ids_only || vmig_version_columns[i].ids_only)
			out[n++] = (vmig_vcol)i;
	return n;
}

void vmig_vt_render_columns(vmig_buf *b, bool ids_only)
{
	vmig_vcol cols[VMIG_NVCOLS];
	int n = vmig_vt_read_columns(ids_only, cols);
	for (int i = 0; i < n; i++)
		vmig_buf_printf(b, "%s%s", i ? ", " : "", vmig_version_columns[cols[i]].name);
}

void vmig_vt_render_select_list(vmig_buf *b, int shape, bool ids_only, const char *shape1_order)
{
	vmig_vcol cols[VMIG_NVCOLS];
	int n = vmig_vt_read_columns(ids_only, cols);
	for (int i = 0; i < n; i++) {
		const vmig_column_def *c = &vmig_version_columns[cols[i]];
		if (i)
			vmig_buf_puts(b, ", ");
		if (shape == 1 && c->from_shape1) {
			/* Only seq's expression has a %s: shape 1's row order. */
			if (strstr(c->from_shape1, "%s"))
				vmig_buf_printf(b, c->from_shape1, shape1_order);
			else
				vmig_buf_puts(b, c->from_shape1);
			vmig_buf_printf(b, " AS %s", c->name);
		} else {
			vmig_buf_puts(b, c->name);
		}
	}
}

vmig_value vmig_vt_get(const vmig_applied *row, vmig_vcol col)
{
	vmig_value v = {.type = vmig_version_columns[col].type};
	switch (col) {
	case VMIG_VCOL_REVISION:
		v.text = row->revision;
		break;
	case VMIG_VCOL_STATE:
		v.text = row->dirty ? VMIG_STATE_IN_PROGRESS : VMIG_STATE_APPLIED;
		break;
	case VMIG_VCOL_PARENTS:
		v.text = row->parents ? row->parents : "";
		break;
	case VMIG_VCOL_MESSAGE:
		v.text = row->message ? row->message : "";
		break;
	case VMIG_VCOL_CHECKSUM:
		v.text = row->checksum ? row->checksum : "";
		break;
	case VMIG_VCOL_CHECKSUM_VERSION:
		v.integer = row->checksum_version;
		break;
	case VMIG_VCOL_APPLIED_AT:
		v.text = row->applied_at ? row->applied_at : "";
		break;
	case VMIG_VCOL_DURATION_MS:
		v.real = row->duration_ms;
		break;
	case VMIG_VCOL_DOWN_SQL:
		v.text = row->down_sql;
		break;
	case VMIG_VCOL_TRANSACTIONAL:
		v.integer = row->transactional;
		break;
	case VMIG_VCOL_SEQ:
	case VMIG_NVCOLS:
		v.integer = row->seq;
		break;
	}
	return v;
}

static int bad_value(vmig_vcol col, const char *text, vmig_error *err)
{
	return vmig_fail(err, VMIG_ERR_RUNTIME,
	                 "the version table holds a value vmig cannot read in column %s: '%.40s'",
	                 vmig_version_columns[col].name, text ? text : "NULL");
}

static int parse_integer(const char *text, long long *out)
{
	char *end;
	errno = 0;
	*out = strtoll(text, &end, 10);
	return end != text && !*end && errno == 0;
}

static int parse_boolean(const char *text, long long *out)
{
	static const char *const yes[] = {"t", "true", "1"}, *const no[] = {"f", "false", "0"};
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return *out = 1, 1;
		if (strcasecmp(text, no[i]) == 0)
			return *out = 0, 1;
	}
	return 0;
}

static char **text_field(vmig_applied *row, vmig_vcol col)
{
	switch (col) {
	case VMIG_VCOL_REVISION:
		return &row->revision;
	case VMIG_VCOL_PARENTS:
		return &row->parents;
	case VMIG_VCOL_MESSAGE:
		return &row->message;
	case VMIG_VCOL_CHECKSUM:
		return &row->checksum;
	case VMIG_VCOL_APPLIED_AT:
		return &row->applied_at;
	case VMIG_VCOL_DOWN_SQL:
		return &row->down_sql;
	default:
		return NULL;
	}
}

int vmig_vt_set(vmig_applied *row, vmig_vcol col, const char *text, vmig_error *err)
{
	const vmig_column_def *c = &vmig_version_columns[col];
	long long n = 0;
	char **field = text_field(row, col);
	if (!text && !c->nullable)
		return bad_value(col, text, err);
	if (field) {
		free(*field);
		*field = text ? xstrdup(text) : NULL;
		return VMIG_OK;
	}
	switch (col) {
	case VMIG_VCOL_STATE:
		if (strcmp(text, VMIG_STATE_APPLIED) != 0 &&
		    strcmp(text, VMIG_STATE_IN_PROGRESS) != 0)
			return bad_value(col, text, err);
		row->dirty = strcmp(text, VMIG_STATE_IN_PROGRESS) == 0;
		return VMIG_OK;
	case VMIG_VCOL_DURATION_MS: {
		char *end;
		row->duration_ms = strtod(text, &end);
		return end != text && !*end ? VMIG_OK : bad_value(col, text, err);
	}
	case VMIG_VCOL_TRANSACTIONAL:
		if (!parse_boolean(text, &n))
			return bad_value(col, text, err);
		row->transactional = n != 0;
		return VMIG_OK;
	case VMIG_VCOL_CHECKSUM_VERSION:
		if (!parse_integer(text, &n) || n < 0 || n > 1000000)
			return bad_value(col, text, err);
		row->checksum_version = (int)n;
		return VMIG_OK;
	case VMIG_VCOL_SEQ:
		if (!parse_integer(text, &n))
			return bad_value(col, text, err);
		row->seq = n;
		return VMIG_OK;
	default:
		return bad_value(col, text, err);
	}
}

int vmig_vt_check_shape(const char *value, const char *table_shown, int *shape, vmig_error *err)
{
	long long n = 0;
	if (!value || !parse_integer(value, &n) || n < 1)
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 "the version table %s has an unreadable shape '%.20s' in %s_meta; "
		                 "it was not written by vmig, or was edited by hand",
		                 table_shown, value ? value : "", table_shown);
	if (n > VMIG_TABLE_SHAPE)
		return vmig_fail(
		    err, VMIG_ERR_RUNTIME,
		    "the version table %s has shape %lld, written by a newer vmig; this "
		    "vmig knows shapes 1 to %d: upgrade vmig",
		    table_shown, n, VMIG_TABLE_SHAPE);
	*shape = (int)n;
	return VMIG_OK;
}
