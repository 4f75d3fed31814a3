#include "graphutil.h"

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends s to the growing string *out (length *len). */
static void append(char **out, size_t *len, const char *s)
{
	size_t n = strlen(s);
	*out = realloc(*out, *len + n + 1);
	memcpy(*out + *len, s, n + 1);
	*len += n;
}

static void parse_one(const char *tok, vmig_revision *rev)
{
	char id[128], parents[1024] = "";
	const char *colon = strchr(tok, ':');
	size_t idlen = colon ? (size_t)(colon - tok) : strlen(tok);
	assert_true(idlen > 0 && idlen < sizeof id);
	memcpy(id, tok, idlen);
	id[idlen] = '\0';
	bool irreversible = id[idlen - 1] == '!';
	if (irreversible)
		id[idlen - 1] = '\0';
	if (colon) {
		snprintf(parents, sizeof parents, "%s", colon + 1);
		for (char *p = parents; *p; p++)
			if (*p == ',')
				*p = ' ';
	}
	char down[256] = "", text[2048], path[256];
	if (!irreversible)
		snprintf(down, sizeof down, "\n-- vmig:down\nDROP TABLE t_%s;\n", id);
	snprintf(text, sizeof text,
	         "-- vmig:revision %s\n"
	         "-- vmig:down_revision %s\n"
	         "-- vmig:message revision %s\n"
	         "\n"
	         "-- vmig:up\n"
	         "CREATE TABLE t_%s (id integer PRIMARY KEY);\n"
	         "%s",
	         id, parents, id, id, down);
	snprintf(path, sizeof path, "m/%s.sql", id);
	vmig_error err = {0};
	int rc = vmig_revision_parse(path, text, strlen(text), rev, &err);
	if (rc != VMIG_OK)
		fail_msg("spec revision \"%s\" does not parse: %s", tok, err.msg);
}

void tu_graph_parse(tu_graph *t, const char *spec)
{
	memset(t, 0, sizeof *t);
	char *copy = strdup(spec);
	size_t cap = 16;
	t->revs = calloc(cap, sizeof *t->revs);
	for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (t->n == cap) {
			cap *= 2;
			t->revs = realloc(t->revs, cap * sizeof *t->revs);
		}
		parse_one(tok, &t->revs[t->n++]);
	}
	free(copy);
	t->ptrs = calloc(t->n ? t->n : 1, sizeof *t->ptrs);
	for (size_t i = 0; i < t->n; i++)
		t->ptrs[i] = &t->revs[i];
}

int tu_graph_link(tu_graph *t, vmig_error *err)
{
	if (t->built)
		vmig_graph_free(&t->g);
	t->built = false;
	int rc = vmig_graph_build(t->ptrs, t->n, false, &t->g, err);
	t->built = rc == VMIG_OK;
	return rc;
}

void tu_graph_make(tu_graph *t, const char *spec)
{
	vmig_error err = {0};
	tu_graph_parse(t, spec);
	if (tu_graph_link(t, &err) != VMIG_OK)
		fail_msg("graph \"%s\" does not build: %s", spec, err.msg);
}

void tu_graph_free(tu_graph *t)
{
	if (t->built)
		vmig_graph_free(&t->g);
	for (size_t i = 0; i < t->n; i++)
		vmig_revision_free(&t->revs[i]);
	free(t->revs);
	free(t->ptrs);
	memset(t, 0, sizeof *t);
}

size_t tu_node(const tu_graph *t, const char *id)
{
	size_t v = vmig_graph_find(&t->g, id);
	if (v == VMIG_NONE)
		fail_msg("no revision \"%s\" in the graph", id);
	return v;
}

char *tu_ids(const tu_graph *t, const size_t *nodes, size_t n)
{
	char *out = calloc(1, 1);
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			append(&out, &len, " ");
		append(&out, &len, t->g.revs[nodes[i]]->id);
	}
	return out;
}

char *tu_order(const tu_graph *t)
{
	return tu_ids(t, t->g.order, t->g.n);
}

bool *tu_mask(const tu_graph *t, const char *ids)
{
	bool *mask = calloc(t->g.n ? t->g.n : 1, sizeof *mask);
	char *copy = strdup(ids);
	for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		mask[tu_node(t, tok)] = true;
	free(copy);
	return mask;
}

char *tu_marked(const tu_graph *t, const bool *mark)
{
	char *out = calloc(1, 1);
	size_t len = 0;
	for (size_t v = 0; v < t->g.n; v++) {
		if (!mark[v])
			continue;
		if (len)
			append(&out, &len, " ");
		append(&out, &len, t->g.revs[v]->id);
	}
	return out;
}

char *tu_plan_str(const tu_graph *t, const vmig_plan *p)
{
	char *out = calloc(1, 1);
	size_t len = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (i)
			append(&out, &len, " ");
		append(&out, &len, p->steps[i].down ? "-" : "+");
		append(&out, &len, t->g.revs[p->steps[i].node]->id);
	}
	return out;
}

uint64_t tu_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

size_t tu_rng_below(uint64_t *state, size_t n)
{
	return n ? (size_t)(tu_rng_next(state) % n) : 0;
}

double tu_rng_unit(uint64_t *state)
{
	return (double)(tu_rng_next(state) >> 11) / 9007199254740992.0;
}

static bool id_taken(const tu_rgraph *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->ids[i], id) == 0)
			return true;
	return false;
}

/* A new id: random hex of 3 to 6 characters, or now and then an existing id
 * with one or two characters more. */
static char *new_id(tu_rgraph *r, uint64_t *rng)
{
	static const char hex[] = "0123456789abcdef";
	char id[32];
	do {
		size_t len = 0;
		if (r->n && tu_rng_unit(rng) < 0.05) {
			const char *base = r->ids[tu_rng_below(rng, r->n)];
			len = strlen(base);
			if (len > 20)
				len = 20;
			memcpy(id, base, len);
			for (size_t k = 1 + tu_rng_below(rng, 2); k > 0; k--)
				id[len++] = hex[tu_rng_below(rng, 16)];
		} else {
			for (size_t k = 3 + tu_rng_below(rng, 4); k > 0; k--)
				id[len++] = hex[tu_rng_below(rng, 16)];
		}
		id[len] = '\0';
	} while (id_taken(r, id));
	return strdup(id);
}

/* Adds revision i with the k parents par (distinct). */
static void add_rev(tu_rgraph *r, uint64_t *rng, const tu_rgraph_opts *o, const size_t *par,
                    size_t k, bool *has_child)
{
	size_t i = r->n;
	char *id = new_id(r, rng);
	r->ids = realloc(r->ids, (i + 1) * sizeof *r->ids);
	r->parents = realloc(r->parents, (i + 1) * sizeof *r->parents);
	r->nparents = realloc(r->nparents, (i + 1) * sizeof *r->nparents);
	r->irreversible = realloc(r->irreversible, (i + 1) * sizeof *r->irreversible);
	r->ids[i] = id;
	r->parents[i] = malloc((k ? k : 1) * sizeof **r->parents);
	if (k)
		memcpy(r->parents[i], par, k * sizeof *par);
	r->nparents[i] = k;
	r->irreversible[i] = o->irreversible && tu_rng_unit(rng) < 0.01;
	for (size_t j = 0; j < k; j++)
		has_child[par[j]] = true;
	has_child[i] = false;
	r->n++;
}

/* The nodes without children, into heads; returns how many. */
static size_t rgraph_heads(const tu_rgraph *r, const bool *has_child, size_t *heads)
{
	size_t n = 0;
	for (size_t v = 0; v < r->n; v++)
		if (!has_child[v])
			heads[n++] = v;
	return n;
}

/* Whether a is an ancestor of b (or b itself). */
static bool rgraph_reaches(const tu_rgraph *r, size_t a, size_t b)
{
	bool *seen = calloc(r->n, sizeof *seen);
	size_t *stack = malloc(r->n * sizeof *stack), top = 0;
	bool found = false;
	stack[top++] = b;
	seen[b] = true;
	while (top && !found) {
		size_t v = stack[--top];
		found = v == a;
		for (size_t j = 0; j < r->nparents[v]; j++)
			if (!seen[r->parents[v][j]] && r->parents[v][j] >= a) {
				seen[r->parents[v][j]] = true;
				stack[top++] = r->parents[v][j];
			}
	}
	free(seen);
	free(stack);
	return found;
}

void tu_rgraph_make(tu_rgraph *r, uint64_t *rng, const tu_rgraph_opts *o)
{
	memset(r, 0, sizeof *r);
	size_t want = o->min_n + tu_rng_below(rng, o->max_n - o->min_n + 1);
	size_t cap = want * 2 + 8;
	bool *has_child = calloc(cap, sizeof *has_child);
	size_t *heads = malloc(cap * sizeof *heads);
	/* the shape */
	static const double forks[] = {0.01, 0.05, 0.15};
	static const double merges[] = {0.02, 0.06, 0.12};
	double p_fork = forks[tu_rng_below(rng, 3)];
	double p_merge = merges[tu_rng_below(rng, 3)];
	size_t max_roots = 1 + tu_rng_below(rng, 4), nroots = 1;
	bool join = tu_rng_below(rng, 2) == 0;

	add_rev(r, rng, o, NULL, 0, has_child);
	while (r->n < want) {
		double x = tu_rng_unit(rng);
		size_t nh = rgraph_heads(r, has_child, heads);
		size_t par[3], k = 0;
		if (nroots < max_roots && x < 0.015) {
			nroots++;
		} else if (x < 0.015 + p_merge && nh >= 2) {
			k = nh >= 3 && tu_rng_unit(rng) < 0.2 ? 3 : 2;
			for (size_t j = 0; j < k; j++) {
				size_t pick = tu_rng_below(rng, nh - j);
				par[j] = heads[pick];
				heads[pick] = heads[nh - j - 1];
				heads[nh - j - 1] = par[j];
			}
			double y = tu_rng_unit(rng);
			if (o->redundant_merges && y < 0.2) {
				/* a head and one of its own ancestors, in either order */
				size_t v = par[0];
				for (size_t up = 1 + tu_rng_below(rng, 4); up > 0 && r->nparents[v];
				     up--)
					v = r->parents[v][tu_rng_below(rng, r->nparents[v])];
				if (v != par[0]) {
					k = 2;
					par[y < 0.1 ? 0 : 1] = v;
					par[y < 0.1 ? 1 : 0] = heads[nh - 1];
				}
			} else if (y < 0.35) {
				/* now and then one parent is any revision instead of a head */
				size_t v = tu_rng_below(rng, r->n);
				bool ok = true;
				for (size_t j = 0; j < k; j++)
					ok = ok && v != par[j] &&
					     (o->redundant_merges ||
					      (!rgraph_reaches(r, v, par[j]) &&
					       !rgraph_reaches(r, par[j], v)));
				if (ok)
					par[k - 1] = v;
			}
		} else if (x < 0.015 + p_merge + p_fork) {
			/* any revision: a fork where it has children already */
			par[k++] = tu_rng_below(rng, r->n);
		} else {
			/* extend a line: mostly the newest head, so that lines grow long */
			par[k++] =
			    tu_rng_unit(rng) < 0.7 ? heads[nh - 1] : heads[tu_rng_below(rng, nh)];
		}
		add_rev(r, rng, o, par, k, has_child);
	}
	while (join) {
		size_t nh = rgraph_heads(r, has_child, heads);
		if (nh < 2)
			break;
		size_t par[2] = {heads[0], heads[1 + tu_rng_below(rng, nh - 1)]};
		add_rev(r, rng, o, par, 2, has_child);
	}
	free(has_child);
	free(heads);

	size_t len = 0;
	r->spec = calloc(1, 1);
	for (size_t i = 0; i < r->n; i++) {
		char tok[256];
		int w = snprintf(tok, sizeof tok, "%s%s%s%s", i ? " " : "", r->ids[i],
		                 r->irreversible[i] ? "!" : "", r->nparents[i] ? ":" : "");
		for (size_t j = 0; j < r->nparents[i]; j++)
			w += snprintf(tok + w, sizeof tok - (size_t)w, "%s%s", j ? "," : "",
			              r->ids[r->parents[i][j]]);
		append(&r->spec, &len, tok);
	}
}

void tu_rgraph_free(tu_rgraph *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->ids[i]);
		free(r->parents[i]);
	}
	free(r->ids);
	free(r->parents);
	free(r->nparents);
	free(r->irreversible);
	free(r->spec);
	memset(r, 0, sizeof *r);
}
