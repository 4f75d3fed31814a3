/*
 * fuzz_config.c - vmig.yaml parsing and ${VAR} expansion (src/config.h,
 * src/envexpand.h).
 *
 * The input is a vmig.yaml.  A first line "#env NAME=VALUE NAME=VALUE ..."
 * (a YAML comment, so it stays part of the file) defines variables for this
 * input, seen through the lookup function before the environment; a few
 * variables are set in the environment for every input, one of them holding
 * a password.  Each input goes through vmig_env_expand (as bytes, with the
 * lookup), vmig_config_expand (as a C string, with getenv) and
 * vmig_config_parse (with the lookup).
 *
 * Properties: expansion of text without "${" only turns "$$" into "$"; a
 * failed expansion points at a "$"; the password of the environment never
 * shows in an error message (unless the input holds it itself); messages
 * hold no control byte but LF; a parsed config has its defaults filled in.
 */
#define _GNU_SOURCE /* memmem */
#include "config.h"
#include "envexpand.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "Zq9-hunter2-Kx"

static const char *const fixed_env[][2] = {
    {"VMIG_FZ_URL", "postgresql://app:" SECRET "@db:5432/app"},
    {"VMIG_FZ_PASSWORD", SECRET},
    {"VMIG_FZ_TABLE", "schema_versions"},
    {"VMIG_FZ_DIR", "db/migrations"},
    {"VMIG_FZ_EMPTY", ""},
    {"VMIG_FZ_DOLLAR", "$x${y}$$"},
    {"VMIG_FZ_TIMEOUT", "15"},
};

#define MAX_PICKED 8

struct vars {
	size_t n;
	char name[MAX_PICKED][64];
	char value[MAX_PICKED][256];
};

static void check(int ok, const char *what, const char *detail)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: property violated: %s\n  %s\n", what,
		        detail ? detail : "");
		abort();
	}
}

static void check_message(const char *msg, int holds_secret)
{
	check(msg[0] != '\0', "an error has a message", msg);
	check(holds_secret || !strstr(msg, SECRET),
	      "an error message shows a password from the environment", msg);
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		check((*p >= 0x20 && *p != 0x7f) || *p == '\n', "a message holds a control byte",
		      msg);
}

/* The input's variables first, then the environment. */
static const char *lookup(void *ctx, const char *name)
{
	const struct vars *v = ctx;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->name[i], name) == 0)
			return v->value[i];
	return getenv(name);
}

static int is_name(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

/* The variables of a leading "#env" line. */
static void pick_vars(const char *text, size_t size, struct vars *v)
{
	v->n = 0;
	if (size < 5 || memcmp(text, "#env ", 5) != 0)
		return;
	const char *p = text + 5, *eol = memchr(p, '\n', size - 5);
	if (!eol)
		eol = text + size;
	while (p < eol && v->n < MAX_PICKED) {
		const char *sp = memchr(p, ' ', (size_t)(eol - p));
		size_t item = sp ? (size_t)(sp - p) : (size_t)(eol - p);
		const char *eq = memchr(p, '=', item);
		size_t nlen = eq ? (size_t)(eq - p) : 0;
		if (eq && nlen < sizeof v->name[0] && is_name(p, nlen)) {
			size_t vlen = item - nlen - 1;
			if (vlen >= sizeof v->value[0])
				vlen = sizeof v->value[0] - 1;
			memcpy(v->name[v->n], p, nlen);
			v->name[v->n][nlen] = '\0';
			memcpy(v->value[v->n], eq + 1, vlen);
			v->value[v->n][vlen] = '\0'; /* a NUL in it ends it, as in an environment */
			v->n++;
		}
		p += item + 1;
	}
}

/* text[0..n) with every "$$" made "$": expansion's result when there is no "${". */
static char *undouble(const char *text, size_t n, size_t *outlen)
{
	char *out = malloc(n + 1);
	size_t o = 0;
	if (!out)
		abort();
	for (size_t i = 0; i < n; i++) {
		out[o++] = text[i];
		if (text[i] == '$' && i + 1 < n && text[i + 1] == '$')
			i++;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static void check_env_expand(const char *text, size_t size, struct vars *v, int holds_secret)
{
	char *out = (char *)"not set";
	size_t out_len = (size_t)-1, err_off = (size_t)-1;
	vmig_error err = {0};
	int rc = vmig_env_expand(text, size, lookup, v, &out, &out_len, &err_off, &err);
	if (rc != VMIG_OK) {
		check(rc == VMIG_ERR_INPUT, "an expansion error is VMIG_ERR_INPUT", err.msg);
		check_message(err.msg, holds_secret);
		check(out == NULL, "a failed expansion gives no string", err.msg);
		check(err_off < size && text[err_off] == '$', "the error offset is at a $",
		      err.msg);
		return;
	}
	check(out != NULL && out_len != (size_t)-1 && out[out_len] == '\0',
	      "a successful expansion gives a string and its length", NULL);
	if (!memmem(text, size, "${", 2)) {
		size_t want_len;
		char *want = undouble(text, size, &want_len);
		check(out_len == want_len && memcmp(out, want, want_len) == 0,
		      "without ${ only $$ changes", want);
		free(want);
	}
	free(out);
}

static void check_config_expand(const char *cstr, int holds_secret)
{
	char *out = NULL;
	vmig_error err = {0};
	if (vmig_config_expand(cstr, &out, &err) != VMIG_OK) {
		check_message(err.msg, holds_secret);
		check(out == NULL, "a failed expansion gives no string", err.msg);
		return;
	}
	check(out != NULL, "a successful expansion gives a string", cstr);
	free(out);
}

static void check_parse(const char *text, size_t size, struct vars *v, int holds_secret)
{
	vmig_config cfg;
	vmig_error err = {0};
	int rc = vmig_config_parse("conf/vmig.yaml", text, size, lookup, v, &cfg, &err);
	if (rc != VMIG_OK) {
		check(rc == VMIG_ERR_INPUT || rc == VMIG_ERR_RUNTIME, "a parse error's code",
		      err.msg);
		check_message(err.msg, holds_secret);
		check(cfg.path == NULL && cfg.migrations_dir == NULL && cfg.version_table == NULL &&
		          cfg.database_url == NULL,
		      "a failed parse leaves the config zeroed", err.msg);
		return;
	}
	check(cfg.path && strcmp(cfg.path, "conf/vmig.yaml") == 0, "the config names its file",
	      cfg.path);
	check(cfg.migrations_dir && cfg.migrations_dir[0], "migrations_dir is set", NULL);
	check(cfg.version_table && cfg.version_table[0], "version_table is set", NULL);
	check(cfg.lock_timeout <= INT_MAX / 1000 && cfg.wait_timeout <= INT_MAX / 1000,
	      "timeouts fit in milliseconds", NULL);
	vmig_config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		for (size_t i = 0; i < sizeof fixed_env / sizeof fixed_env[0]; i++)
			setenv(fixed_env[i][0], fixed_env[i][1], 1);
		ready = 1;
	}
	/* Exactly size bytes for the functions that take a length; a C string
	 * (cut at the first NUL) for the one that does not. */
	char *text = malloc(size ? size : 1);
	char *cstr = malloc(size + 1);
	if (!text || !cstr)
		abort();
	if (size)
		memcpy(text, data, size);
	memcpy(cstr, data, size);
	cstr[size] = '\0';

	struct vars v;
	pick_vars(text, size, &v);
	int holds_secret = memmem(text, size, SECRET, strlen(SECRET)) != NULL;

	check_env_expand(text, size, &v, holds_secret);
	check_config_expand(cstr, holds_secret);
	check_parse(text, size, &v, holds_secret);

	free(cstr);
	free(text);
	return 0;
}
