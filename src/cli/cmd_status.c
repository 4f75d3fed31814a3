#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>

const char cmd_status_help[] =
    "usage: vmig status [--json]\n"
    "\n"
    "Lists every revision in order (parents first): applied (and when) or pending\n"
    "(not applied yet), `in progress` for a transaction-off revision that started\n"
    "and did not finish, and drift: `edited` for an applied revision whose SQL\n"
    "changed since, `gone` for an applied revision whose file is missing.  A last\n"
    "line counts them.  --json gives the same as one object, with the states\n"
    "\"applied\", \"pending\", \"in_progress\", \"edited\" and \"gone\".  Exit 0\n"
    "whatever it finds; `vmig check` is the gate.\n";

/* What status says about one revision. */
enum rev_state { STATE_IN_PROGRESS, STATE_GONE, STATE_EDITED, STATE_APPLIED, STATE_PENDING };

static const struct {
	const char *human; /* the word in the listing */
	const char *json;  /* the "state" value of --json */
	const char *color;
	bool drift;
} states[] = {
    [STATE_IN_PROGRESS] = {"in progress", "in_progress", CLI_RED, false},
    [STATE_GONE] = {"gone", "gone", CLI_RED, true},
    [STATE_EDITED] = {"edited", "edited", CLI_RED, true},
    [STATE_APPLIED] = {"applied", "applied", CLI_GREEN, false},
    [STATE_PENDING] = {"pending", "pending", CLI_YELLOW, false},
};

/* The widest human word, for the listing's first column. */
#define STATE_WIDTH 11

static enum rev_state state_of(const vmig_state *st, size_t v)
{
	const vmig_applied *row = st->row_of[v];
	if (row && row->dirty) /* a transaction-off revision that started and did not finish */
		return STATE_IN_PROGRESS;
	if (st->graph->revs[v]->from_db)
		return STATE_GONE;
	if (vmig_state_drifted(st, v))
		return STATE_EDITED;
	return st->applied[v] ? STATE_APPLIED : STATE_PENDING;
}

/* The counts of the last line (and of --json). */
struct tally {
	size_t applied, pending, drifted, in_progress;
};

static void count(struct tally *t, const vmig_state *st, size_t v, enum rev_state state)
{
	t->applied += st->applied[v];
	t->pending += !st->row_of[v];
	t->drifted += states[state].drift;
	t->in_progress += state == STATE_IN_PROGRESS;
}

static void print_json(cli_ctx *ctx, const vmig_state *st)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(root, "revisions");
	struct tally t = {0};
	cJSON_AddStringToObject(root, "database", ctx->db.redacted_url);
	for (size_t i = 0; i < st->graph->n; i++) {
		size_t v = st->graph->order[i];
		const vmig_revision *r = st->graph->revs[v];
		const vmig_applied *row = st->row_of[v];
		enum rev_state state = state_of(st, v);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "revision", r->id);
		cJSON_AddStringToObject(o, "message", r->message);
		if (r->from_db)
			cJSON_AddNullToObject(o, "path");
		else
			cJSON_AddStringToObject(o, "path", r->path);
		cJSON_AddBoolToObject(o, "applied", st->applied[v]);
		cJSON_AddStringToObject(o, "state", states[state].json);
		if (row && row->applied_at)
			cJSON_AddStringToObject(o, "applied_at", row->applied_at);
		else
			cJSON_AddNullToObject(o, "applied_at");
		if (row)
			cJSON_AddNumberToObject(o, "duration_ms",
			                        round(row->duration_ms * 1000) / 1000);
		cJSON_AddItemToArray(list, o);
		count(&t, st, v, state);
	}
	cJSON_AddNumberToObject(root, "applied", (double)t.applied);
	cJSON_AddNumberToObject(root, "pending", (double)t.pending);
	cJSON_AddNumberToObject(root, "drifted", (double)t.drifted);
	cJSON_AddNumberToObject(root, "in_progress", (double)t.in_progress);
	cli_print_json(root);
}

int cmd_status(cli_ctx *ctx, int argc, char **argv)
{
	vmig_state st;
	int rc = cli_state_command(ctx, argc, argv, &st);
	if (rc)
		return rc;
	if (ctx->opt.json) {
		print_json(ctx, &st);
		vmig_state_free(&st);
		return 0;
	}
	struct tally t = {0};
	printf("database: %s\n", ctx->db.redacted_url);
	for (size_t i = 0; i < st.graph->n; i++) {
		size_t v = st.graph->order[i];
		const vmig_revision *r = st.graph->revs[v];
		const vmig_applied *row = st.row_of[v];
		enum rev_state state = state_of(&st, v);
		char word[STATE_WIDTH + 1];
		snprintf(word, sizeof word, "%-*s", STATE_WIDTH, states[state].human);
		printf("%s %s  %s", cli_paint(ctx->color_out, states[state].color, word), r->id,
		       r->message);
		if (row && row->applied_at)
			printf("  (%s)", row->applied_at);
		putchar('\n');
		count(&t, &st, v, state);
	}
	printf("%zu applied, %zu pending, %zu drifted, %zu in progress\n", t.applied, t.pending,
	       t.drifted, t.in_progress);
	vmig_state_free(&st);
	return 0;
}
