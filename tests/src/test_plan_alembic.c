/*
 * test_plan_alembic.c - `stamp` against Alembic itself, on random graphs.
 *
 * SPEC "Targets" takes the stamp rule from Alembic.  This test builds random
 * graphs (tests/support/graphutil.h), writes each one as an Alembic project
 * (one revision file per revision, the same ids and parents), and walks a
 * random sequence of states: between stamps the database moves by up and
 * down of random ids.  Every stamp (an id, head, heads, base) is planned by
 * vmig and done by Alembic's own MigrationContext.stamp on an in-memory
 * SQLite database whose alembic_version holds the same heads; the applied
 * sets (the heads and their ancestors) must be equal, and so must the
 * refusals.  Relative targets are left out: Alembic counts them from the
 * graph's heads, SPEC from the database.
 *
 * It needs Alembic (Debian: python3-alembic) for /usr/bin/python3, or the
 * interpreter in VMIG_TEST_PYTHON, and fails when it is missing.
 * VMIG_TEST_SEED=N runs seed N alone.
 */
#include "testutil.h"

#include "graphutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAPHS           6
#define STAMPS_PER_GRAPH 100

static const char driver_py[] =
    "import sys, warnings\n"
    "warnings.filterwarnings('ignore')\n"
    "from alembic.script import ScriptDirectory\n"
    "from alembic.runtime.migration import MigrationContext\n"
    "from sqlalchemy import create_engine, text\n"
    "\n"
    "conn = create_engine('sqlite://').connect()\n"
    "ctx = MigrationContext.configure(conn)\n"
    "ctx._ensure_version_table()\n"
    "script = None\n"
    "out = open(sys.argv[2], 'w')\n"
    "for line in open(sys.argv[1]):\n"
    "    parts = line.split()\n"
    "    if parts[0] == 'G':\n"
    "        script = ScriptDirectory(parts[1])\n"
    "        continue\n"
    "    conn.execute(text('DELETE FROM alembic_version'))\n"
    "    for h in ([] if parts[1] == '-' else parts[1].split(',')):\n"
    "        conn.execute(text('INSERT INTO alembic_version (version_num) VALUES (:v)'),\n"
    "                     {'v': h})\n"
    "    try:\n"
    "        ctx.stamp(script, parts[2])\n"
    "        out.write('OK ' + (','.join(sorted(ctx.get_current_heads())) or '-') + '\\n')\n"
    "    except Exception as e:\n"
    "        out.write('ERR ' + ' '.join(str(e).split()) + '\\n')\n"
    "out.close()\n";

static const char *python(void)
{
	const char *p = getenv("VMIG_TEST_PYTHON");
	return p && *p ? p : "/usr/bin/python3";
}

/* One stamp: the state before (applied heads) and vmig's result. */
typedef struct stamp_case {
	size_t graph;
	char *heads; /* "a,b" or "-" */
	char *target;
	bool refused; /* vmig refused it */
	bool *after;  /* vmig's applied set, by graph node */
} stamp_case;

typedef struct graph_run {
	uint64_t seed;
	tu_rgraph r;
	tu_graph t;
} graph_run;

static char *heads_str(const vmig_graph *g, const bool *mask)
{
	size_t *h = malloc((g->n ? g->n : 1) * sizeof *h);
	size_t n = vmig_applied_heads(g, mask, h);
	char *s = calloc(1, 2 + n * 72);
	for (size_t i = 0; i < n; i++)
		sprintf(s + strlen(s), "%s%s", i ? "," : "", g->revs[h[i]]->id);
	if (!n)
		strcpy(s, "-");
	free(h);
	return s;
}

/* Runs a plan's steps on mask. */
static void apply_plan(bool *mask, const vmig_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		mask[p->steps[i].node] = !p->steps[i].down;
}

/* Writes the graph as an Alembic project under dir. */
static void write_alembic(const char *dir, const tu_rgraph *r)
{
	char *versions = malloc(strlen(dir) + 16);
	sprintf(versions, "%s/versions", dir);
	tu_write(dir, "versions/.keep", "");
	for (size_t i = 0; i < r->n; i++) {
		char down[1024] = "None", name[64], text[2048];
		if (r->nparents[i] == 1)
			snprintf(down, sizeof down, "'%s'", r->ids[r->parents[i][0]]);
		else if (r->nparents[i] > 1) {
			size_t len = (size_t)snprintf(down, sizeof down, "(");
			for (size_t j = 0; j < r->nparents[i]; j++)
				len += (size_t)snprintf(down + len, sizeof down - len, "'%s', ",
				                        r->ids[r->parents[i][j]]);
			snprintf(down + len, sizeof down - len, ")");
		}
		snprintf(text, sizeof text,
		         "revision = '%s'\ndown_revision = %s\nbranch_labels = None\n"
		         "depends_on = None\n\n\ndef upgrade():\n    pass\n\n\n"
		         "def downgrade():\n    pass\n",
		         r->ids[i], down);
		snprintf(name, sizeof name, "versions/%s_rev.py", r->ids[i]);
		tu_write(dir, name, text);
	}
	free(versions);
}

static void test_stamp_like_alembic(void **state)
{
	(void)state;
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s -c 'import alembic' 2>/dev/null", python());
	if (system(cmd) != 0)
		fail_msg("%s cannot import alembic: this test needs Alembic (Debian: apt-get "
		         "install python3-alembic, or set VMIG_TEST_PYTHON to an interpreter "
		         "that has it)",
		         python());

	char *root = tu_tempdir("plan-alembic");
	char path[1024];
	snprintf(path, sizeof path, "%s/driver.py", root);
	tu_write(root, "driver.py", driver_py);
	snprintf(path, sizeof path, "%s/cases", root);
	FILE *cases = fopen(path, "w");
	assert_non_null(cases);

	const char *env = getenv("VMIG_TEST_SEED");
	size_t ngraphs = env && *env ? 1 : GRAPHS;
	graph_run *runs = calloc(ngraphs, sizeof *runs);
	stamp_case *sc = calloc(ngraphs * STAMPS_PER_GRAPH, sizeof *sc);
	size_t nsc = 0;
	for (size_t gi = 0; gi < ngraphs; gi++) {
		graph_run *gr = &runs[gi];
		gr->seed = env && *env ? strtoull(env, NULL, 10) : 1000 + gi;
		uint64_t rng = gr->seed;
		tu_rgraph_opts o = {.min_n = 100, .max_n = 250};
		tu_rgraph_make(&gr->r, &rng, &o);
		tu_graph_make(&gr->t, gr->r.spec);
		const vmig_graph *g = &gr->t.g;
		char dir[1024];
		snprintf(dir, sizeof dir, "%s/g%zu", root, gi);
		write_alembic(dir, &gr->r);
		fprintf(cases, "G %s\n", dir);

		bool *mask = calloc(g->n, sizeof *mask);
		for (size_t k = 0; k < STAMPS_PER_GRAPH;) {
			vmig_plan p;
			vmig_error err = {0};
			const char *id = g->revs[tu_rng_below(&rng, g->n)]->id;
			double d = tu_rng_unit(&rng);
			if (d < 0.35) {
				/* move the database: up or down an id (down only when applied) */
				size_t v = vmig_graph_find(g, id);
				int rc = d < 0.2 || !mask[v]
				             ? vmig_plan_up(g, mask, id, &p, &err)
				             : vmig_plan_down(g, mask, id, &p, &err);
				if (rc == VMIG_OK)
					apply_plan(mask, &p);
				vmig_plan_free(&p);
				continue;
			}
			const char *target = d < 0.38 ? "base" : d < 0.41 ? "head" : id;
			stamp_case *c = &sc[nsc++];
			c->graph = gi;
			c->heads = heads_str(g, mask);
			c->target = strdup(target);
			c->after = malloc(g->n * sizeof *c->after);
			int rc = vmig_plan_stamp(g, mask, target, &p, &err);
			c->refused = rc != VMIG_OK;
			if (rc == VMIG_OK)
				apply_plan(mask, &p);
			memcpy(c->after, mask, g->n * sizeof *mask);
			vmig_plan_free(&p);
			fprintf(cases, "C %s %s\n", c->heads, c->target);
			k++;
		}
		free(mask);
	}
	fclose(cases);

	char results[1024];
	snprintf(results, sizeof results, "%s/results", root);
	snprintf(cmd, sizeof cmd, "cd '%s' && %s driver.py cases results", root, python());
	if (system(cmd) != 0)
		fail_msg("running Alembic failed: %s", cmd);
	FILE *in = fopen(results, "r");
	assert_non_null(in);
	char line[1 << 16];
	size_t agree = 0;
	for (size_t i = 0; i < nsc; i++) {
		stamp_case *c = &sc[i];
		graph_run *gr = &runs[c->graph];
		const vmig_graph *g = &gr->t.g;
		if (!fgets(line, sizeof line, in))
			fail_msg("Alembic gave %zu results for %zu stamps", i, nsc);
		line[strcspn(line, "\n")] = '\0';
		bool refused = strncmp(line, "ERR ", 4) == 0;
		bool *theirs = calloc(g->n, sizeof *theirs);
		if (!refused && strncmp(line, "OK ", 3) == 0 && strcmp(line + 3, "-") != 0) {
			for (char *save = NULL, *tok = strtok_r(line + 3, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				vmig_graph_mark_ancestors(g, tu_node(&gr->t, tok), true, theirs);
		}
		bool same = refused == c->refused &&
		            (refused || memcmp(theirs, c->after, g->n * sizeof *theirs) == 0);
		if (!same) {
			char *ours = c->refused ? strdup("refused") : heads_str(g, c->after);
			char *alem = refused ? strdup(line) : heads_str(g, theirs);
			fprintf(stderr,
			        "seed %" PRIu64 " (replay: VMIG_TEST_SEED=%" PRIu64 "): "
			        "applied heads %s, `stamp %s`:\n  vmig leaves heads:    %s\n  "
			        "Alembic leaves heads: %s\ngraph: %s\n",
			        gr->seed, gr->seed, c->heads, c->target, ours, alem, gr->r.spec);
			fail_msg("vmig's stamp differs from Alembic's (details above)");
		}
		agree++;
		free(theirs);
	}
	fclose(in);
	print_message("%zu graphs, %zu stamps: vmig and Alembic agree on all\n", ngraphs, agree);

	for (size_t i = 0; i < nsc; i++) {
		free(sc[i].heads);
		free(sc[i].target);
		free(sc[i].after);
	}
	free(sc);
	for (size_t gi = 0; gi < ngraphs; gi++) {
		tu_graph_free(&runs[gi].t);
		tu_rgraph_free(&runs[gi].r);
	}
	free(runs);
	tu_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stamp_like_alembic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
