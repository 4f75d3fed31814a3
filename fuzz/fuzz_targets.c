/*
 * fuzz_targets.c - the --targets file (src/targets.h).
 *
 * Beyond crashes: every URL it returns has a scheme and no blank in it, and
 * no message shows the value of a variable the file refers to (a password
 * kept in the environment) unless the input holds that text itself.  A
 * violation aborts, so that libFuzzer reports it with the input.
 */
#define _GNU_SOURCE /* memmem */
#include "targets.h"

#include "url.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "pw-Zq81-secret"

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "PW") == 0 ? SECRET : strcmp(name, "HOST") == 0 ? "h" : NULL;
}

static void violated(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_targets: property violated: %s: %s\n", what, detail);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vmig_target_list l = {0};
	vmig_error err = {0};
	int rc = vmig_targets_parse("t.txt", (const char *)data, size, lookup, NULL, &l, &err);
	if (rc == VMIG_OK) {
		if (!l.n)
			violated("success with no URL", "");
		for (size_t i = 0; i < l.n; i++) {
			if (!vmig_url_scheme(l.urls[i], NULL, 0))
				violated("a URL without a scheme", l.urls[i]);
			if (strpbrk(l.urls[i], " \t\r\n"))
				violated("a blank in a URL", l.urls[i]);
		}
	} else if (!memmem(data, size, SECRET, strlen(SECRET)) && strstr(err.msg, SECRET)) {
		violated("the variable's value in the message", err.msg);
	}
	vmig_target_list_free(&l);
	return 0;
}
