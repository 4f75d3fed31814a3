/*
 * envexpand.c - ${VAR} and ${VAR:-default} (rules in envexpand.h).
 *
 * One recursive-descent pass: a span is text up to the end (at the top) or up
 * to the "}" that closes the reference whose default it is.  A default that is
 * not used is still parsed, with output off, so that it is checked too.
 */
#include "envexpand.h"

#include "alloc.h"
#include "buf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STRINGIFY2(x) #x
#define STRINGIFY(x)  STRINGIFY2(x)
#define DEPTH_TEXT    STRINGIFY(VMIG_ENV_MAX_DEPTH)

struct expander {
	const char *text, *end;
	vmig_env_lookup_fn *lookup;
	void *ctx;
	vmig_buf out;
	size_t err_offset;
	vmig_error *err;
};

const char *vmig_env_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* ASCII on purpose: shell names are ASCII. */
static bool is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static const char how_to_write[] =
    "write ${NAME} or ${NAME:-default}, NAME being letters, digits and _ (and \"$$\" for a "
    "literal \"$\")";

/*
 * Fails for the reference whose "$" is at dollar, quoting "${" and the
 * shown_len bytes after it (escaped) followed by what.
 */
static int fail_ref(struct expander *x, const char *dollar, size_t shown_len, const char *what)
{
	vmig_buf quoted = {0};

	vmig_buf_put_escaped(&quoted, dollar, 2 + shown_len);
	x->err_offset = (size_t)(dollar - x->text);
	vmig_fail(x->err, VMIG_ERR_INPUT, "\"%s\" %s; %s", vmig_buf_str(&quoted), what,
	          how_to_write);
	vmig_buf_free(&quoted);
	return VMIG_ERR_INPUT;
}

static int expand_span(struct expander *x, const char **pos, int depth, bool emit);

/*
 * The reference whose "$" is at *pos: appends its value (when emit) and moves
 * *pos past its "}".
 */
static int expand_ref(struct expander *x, const char **pos, int depth, bool emit)
{
	const char *dollar = *pos, *name = dollar + 2, *end = x->end;
	size_t name_len = 0;

	while (name + name_len < end && is_name_char(name[name_len]))
		name_len++;
	const char *rest = name + name_len;
	if (rest == end)
		return fail_ref(x, dollar, name_len, "has no closing \"}\"");
	bool has_default = rest[0] == ':' && rest + 1 < end && rest[1] == '-';
	if (name_len == 0 || (name[0] >= '0' && name[0] <= '9') || (*rest != '}' && !has_default))
		return fail_ref(x, dollar, name_len + 1, "is not a valid reference");
	if (has_default && depth + 1 > VMIG_ENV_MAX_DEPTH)
		return fail_ref(x, dollar, name_len + 2,
		                "nests defaults more than " DEPTH_TEXT " deep");

	const char *value = NULL;
	if (emit) {
		char *key = xstrndup(name, name_len);
		value = x->lookup(x->ctx, key);
		free(key);
	}
	/* As in the shell, ":-" also replaces a variable that is set but empty. */
	bool is_set = value && *value;
	if (is_set)
		vmig_buf_puts(&x->out, value);
	if (!has_default) {
		*pos = rest + 1;
		return VMIG_OK;
	}
	const char *body = rest + 2;
	int rc = expand_span(x, &body, depth + 1, emit && !is_set);
	if (rc)
		return rc;
	if (body == end)
		return fail_ref(x, dollar, name_len, "has no closing \"}\"");
	*pos = body + 1;
	return VMIG_OK;
}

static int expand_span(struct expander *x, const char **pos, int depth, bool emit)
{
	const char *s = *pos, *end = x->end;

	while (s < end) {
		if (depth > 0 && *s == '}')
			break; /* closes the reference this span is the default of */
		if (s[0] == '$' && s + 1 < end && s[1] == '{') {
			int rc = expand_ref(x, &s, depth, emit);
			if (rc)
				return rc;
			continue;
		}
		if (s[0] == '$' && s + 1 < end && s[1] == '$')
			s++; /* "$$" is one "$" */
		if (emit)
			vmig_buf_putc(&x->out, *s);
		s++;
	}
	*pos = s;
	return VMIG_OK;
}

int vmig_env_expand(const char *text, size_t len, vmig_env_lookup_fn *lookup, void *ctx, char **out,
                    size_t *out_len, size_t *err_offset, vmig_error *err)
{
	if (!text)
		text = ""; /* only with len 0 */
	struct expander x = {
	    .text = text,
	    .end = text + len,
	    .lookup = lookup ? lookup : vmig_env_getenv,
	    .ctx = ctx,
	    .err = err,
	};
	const char *pos = text;
	int rc = expand_span(&x, &pos, 0, true);

	if (rc) {
		vmig_buf_free(&x.out);
		*out = NULL;
		if (out_len)
			*out_len = 0;
		if (err_offset)
			*err_offset = x.err_offset;
		return rc;
	}
	if (out_len)
		*out_len = x.out.len;
	*out = vmig_buf_detach(&x.out);
	return VMIG_OK;
}
