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

bool vmig_sql_is_transaction_control(const char *stmt, size_t len)
{
	const char *end = stmt + len;
	size_t n, n2;
	const char *w = word(stmt, end, &n);
	if (is_word(w, n, "BEGIN") || is_word(w, n, "COMMIT") || is_word(w, n, "END") ||
	    is_word(w, n, "ABORT"))
		return true;
	const char *next = w + n;
	while (next < end && isspace((unsigned char)*next))
		next++;
	const char *w2 = word(next, end, &n2);
	if (is_word(w, n, "START"))
		return is_word(w2, n2, "TRANSACTION");
	if (is_word(w, n, "ROLLBACK")) /* ROLLBACK TO [SAVEPOINT] x stays inside */
		return !is_word(w2, n2, "TO");
	return false;
}
