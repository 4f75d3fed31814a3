#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

const char cmd_status_help[] =
    "usage: vmig status [--json]\n"
    "\n"
    "Lists every revision in order (parents first): applied (and when) or pending,\n"
    "and drift: `edited` for an applied revision whose SQL changed since, `gone`\n"
    "for an applied revision whose file is missing, `dirty` for a transaction-off\n"
    "revision that did not finish.  Exit 0 whatever it finds; `vmig check` is the\n"
    "gate.\n";

/* The word for node's state and the colour it is shown in. */
static const char *state_of(const vmig_state *st, size_t v, const char **color)
{
	const vmig_applied *row = st->row_of[v];
	*color = CLI_GREEN;
	if (row && row->dirty)
		return *color = CLI_RED, "dirty";
	if (st->graph->revs[v]->from_db)
		return *color = CLI_RED, "gone";
	if (vmig_state_drifted(st, v))
		return *color = CLI_RED, "edited";
	if (st->applied[v])
		return "applied";
	*color = CLI_YELLOW;
	return "pending";
}

static bool is_drift(const char *state)
{
	return strcmp(state, "edited") == 0 || strcmp(state, "gone") == 0;
}

static void print_json(cli_ctx *ctx, const vmig_state *st)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(root, "revisions");
	size_t applied = 0, pending = 0, drift = 0;
	cJSON_AddStringToObject(root, "database", ctx->db.shown_url);
	for (size_t i = 0; i < st->graph->n; i++) {
		size_t v = st->graph->order[i];
		const vmig_revision *r = st->graph->revs[v];
		const vmig_applied *row = st->row_of[v];
		const char *color, *state = state_of(st, v, &color);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "revision", r->id);
		cJSON_AddStringToObject(o, "message", r->message);
		if (r->from_db)
			cJSON_AddNullToObject(o, "path");
		else
			cJSON_AddStringToObject(o, "path", r->path);
		cJSON_AddBoolToObject(o, "applied", st->applied[v]);
		cJSON_AddStringToObject(o, "state", state);
		if (row && row->applied_at)
			cJSON_AddStringToObject(o, "applied_at", row->applied_at);
		else
			cJSON_AddNullToObject(o, "applied_at");
		if (row)
			cJSON_AddNumberToObject(o, "duration_ms",
			                        round(row->duration_ms * 1000) / 1000);
		cJSON_AddItemToArray(list, o);
		applied += st->applied[v];
		pending += !row;
		drift += is_drift(state);
	}
	cJSON_AddNumberToObject(root, "applied", (double)applied);
	cJSON_AddNumberToObject(root, "pending", (double)pending);
	cJSON_AddNumberToObject(root, "drifted", (double)drift);
	cJSON_AddNumberToObject(root, "dirty", (double)st->ndirty);
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
	size_t applied = 0, pending = 0, drift = 0;
	printf("database: %s\n", ctx->db.shown_url);
	for (size_t i = 0; i < st.graph->n; i++) {
		size_t v = st.graph->order[i];
		const vmig_revision *r = st.graph->revs[v];
		const vmig_applied *row = st.row_of[v];
		const char *color, *state = state_of(&st, v, &color);
		char word[16];
		snprintf(word, sizeof word, "%-8s", state);
		printf("%s %s  %s", cli_paint(ctx->color_out, color, word), r->id, r->message);
		if (row && row->applied_at)
			printf("  (%s)", row->applied_at);
		putchar('\n');
		applied += st.applied[v];
		pending += !row;
		drift += is_drift(state);
	}
	printf("%zu applied, %zu pending, %zu drifted, %zu dirty\n", applied, pending, drift,
	       st.ndirty);
	vmig_state_free(&st);
	return 0;
}
