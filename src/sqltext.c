#include "sqltext.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* The word at s (letters and '_'), its length written to *n. */
static const char *word(const char *s, const char *end, size_t *n)
{
	*n = 0;
	while (s + *n < end && (isalpha((unsigned char)s[*n]) || s[*n] == '_'))
		(*n)++;
	return s;
}

static bool is_word(const char *w, size_t n, const char *kw)
{
	return n == strlen(kw) && strncasecmp(w, kw, n) == 0;
}

/* The word after w (past white space and comments), its length in *n. */
static const char *next_word(const char *w, size_t wn, const char *end, size_t *n)
{
	const char *p = w + wn;
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
			const char *close = p + 2;
			while (close + 1 < end && !(close[0] == '*' && close[1] == '/'))
				close++;
			p = close + 2 <= end ? close + 2 : end;
		} else {
			break;
		}
	}
	return word(p, end, n);
}

bool vmig_sql_is_transaction_control(const char *stmt, size_t len)
{
	const char *end = stmt + len;
	size_t n, n2;
	const char *w = word(stmt, end, &n);
	const char *w2 = next_word(w, n, end, &n2);
	if (is_word(w, n, "BEGIN") || is_word(w, n, "END") || is_word(w, n, "ABORT"))
		return true;
	if (is_word(w, n, "COMMIT")) /* also COMMIT PREPARED */
		return true;
	if (is_word(w, n, "START"))
		return is_word(w2, n2, "TRANSACTION");
	if (is_word(w, n, "PREPARE")) /* PREPARE TRANSACTION 'x'; PREPARE name AS ... is not */
		return is_word(w2, n2, "TRANSACTION");
	if (is_word(w, n, "ROLLBACK")) { /* ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] x stays */
		if (is_word(w2, n2, "WORK") || is_word(w2, n2, "TRANSACTION"))
			w2 = next_word(w2, n2, end, &n2);
		return !is_word(w2, n2, "TO");
	}
	return false;
}

int vmig_sql_refuse_transaction_control(const char *stmt, size_t len, vmig_error *err)
{
	if (!vmig_sql_is_transaction_control(stmt, len))
		return VMIG_OK;
	return vmig_fail(err, VMIG_ERR_INPUT,
	                 "the revision's SQL begins or ends a transaction itself (BEGIN, COMMIT, "
	                 "END, ROLLBACK or PREPARE TRANSACTION), which would commit part of it on "
	                 "its own; remove that statement (vmig runs each revision in a "
	                 "transaction), or mark the revision `-- vmig:transaction off`");
}
