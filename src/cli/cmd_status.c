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

/* How status shows each state (vmig_state_of). */
static const struct {
	const char *human; /* the word in the listing */
	const char *json;  /* the "state" value of --json */
	const char *color;
} states[] = {
    [VMIG_REV_IN_PROGRESS] = {"in progress", "in_progress", CLI_RED},
    [VMIG_REV_GONE] = {"gone", "gone", CLI_RED},
    [VMIG_REV_EDITED] = {"edited", "edited", CLI_RED},
    [VMIG_REV_APPLIED] = {"applied", "applied", CLI_GREEN},
    [VMIG_REV_PENDING] = {"pending", "pending", CLI_YELLOW},
};

/* The widest human word, for the listing's first column. */
#define STATE_WIDTH 11

static void print_json(cli_ctx *ctx, const vmig_state *st)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(root, "revisions");
	vmig_state_counts t;
	vmig_state_count(st, &t);
	cJSON_AddStringToObject(root, "database", ctx->db.redacted_url);
	for (size_t i = 0; i < st->graph->n; i++) {
		size_t v = st->graph->order[i];
		const vmig_revision *r = st->graph->revs[v];
		const vmig_applied *row = st->row_of[v];
		vmig_revision_state state = vmig_state_of(st, v);
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
	vmig_state_counts t;
	vmig_state_count(&st, &t);
	printf("database: %s\n", ctx->db.redacted_url);
	for (size_t i = 0; i < st.graph->n; i++) {
		size_t v = st.graph->order[i];
		const vmig_revision *r = st.graph->revs[v];
		const vmig_applied *row = st.row_of[v];
		vmig_revision_state state = vmig_state_of(&st, v);
		char word[STATE_WIDTH + 1];
		snprintf(word, sizeof word, "%-*s", STATE_WIDTH, states[state].human);
		printf("%s %s  %s", cli_paint(ctx->color_out, states[state].color, word), r->id,
		       r->message);
		if (row && row->applied_at)
			printf("  (%s)", row->applied_at);
		putchar('\n');
	}
	printf("%zu applied, %zu pending, %zu drifted, %zu in progress\n", t.applied, t.pending,
	       t.drifted, t.in_progress);
	vmig_state_free(&st);
	return 0;
}
