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
